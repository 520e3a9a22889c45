"""Media and channel experiments: a geo holdout's incremental conversions, revenue and ROAS.

A channel (or one campaign of it) is switched off in some regions -- the *holdout* -- for a
test period ``start`` .. ``end`` (end exclusive) and runs on in the *control* regions. The
region of an event is a journey column (``country`` by default, or ``device``, ...), an
event property (``property:region``) or a person trait (``trait:region``).

1. On the engine: conversions (the journey's ``is_conversion`` events) and their revenue per
   day, summed over the holdout regions and over the control regions (default: every other
   region), from ``pre_days`` before the test to its end.
2. :func:`~wegweiser.analysis.experiments.tbr.tbr` (time-based regression, Kerman et al.
   2017; why not a bootstrap over regions: see there) -- the holdout's counterfactual from
   the controls, and what it lost: the channel's **incremental** conversions and revenue in
   the holdout, with ``1 - alpha`` intervals, and as a share (``lift``) of what it would
   have had.
3. The same share of what the control regions had in the test period is the channel's
   incremental effect *where it ran*; over its spend there (the project's costs for the
   channel, or channel/campaign, in the test period) it is the **incremental ROAS**.
   The share's interval treats the counterfactual as known (its error is small beside the
   effect's over a test of several weeks).
4. Beside it, what the attribution models credit the channel with in the control regions
   over the test period (paths of the journey in that period and those regions,
   :func:`~wegweiser.analysis.attribution.compare`): ``overstated`` is credited /
   incremental - 1 (positive: attribution claims more than the channel caused).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import ibis
import numpy as np
import pandas as pd

from wegweiser.analysis._time import epoch_us
from wegweiser.analysis.attribution.compare import compare, spend
from wegweiser.analysis.attribution.paths import CAMPAIGN_SEP
from wegweiser.analysis.experiments.notes import Note, english
from wegweiser.analysis.experiments.tbr import Tbr, tbr
from wegweiser.analysis.filters import TEXT_COLUMNS, property_value
from wegweiser.analysis.result import Result, to_frame
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import ibis.expr.types as ir

__all__ = ["GeoResult", "geo_readout"]

_DAY_US = 86_400_000_000
_EPOCH = date(1970, 1, 1)
METRICS = ("conversions", "revenue")
MODELS = ("last_touch", "linear", "markov")
SUMMARY_COLUMNS = (
    "metric", "holdout_observed", "holdout_expected", "incremental", "low", "high", "lift",
    "lift_low", "lift_high", "control_observed", "incremental_where_on", "low_where_on",
    "high_where_on", "decision", "r2", "pre_days", "test_days",
)
ROAS_COLUMNS = (
    "touchpoint", "spend", "incremental_revenue", "low", "high", "iroas", "iroas_low",
    "iroas_high", "incremental_conversions", "cost_per_incremental_conversion",
)
ATTRIBUTION_COLUMNS = (
    "model", "touchpoint", "credited_conversions", "incremental_conversions",
    "overstated_conversions", "credited_revenue", "incremental_revenue", "overstated_revenue",
    "roas", "iroas",
)
DAY_COLUMNS = ("date", "period", "observed", "expected")
CUMULATIVE_COLUMNS = ("date", "cumulative", "cumulative_low", "cumulative_high")


@dataclass(frozen=True)
class GeoResult(Result):
    """``summary``: per metric (conversions, revenue) the holdout's observed and expected
    sums, the incremental effect with its interval, the lift, and the same where the channel
    ran; ``roas``: spend and incremental ROAS; ``attribution``: each model's credits beside
    the incremental figures; ``by_day``: the holdout's conversions per day and their
    counterfactual (the fit before the test, the prediction in it); ``cumulative``: the
    incremental conversions summed up to each test day, with their interval."""

    summary: pd.DataFrame
    roas: pd.DataFrame
    attribution: pd.DataFrame
    by_day: pd.DataFrame
    cumulative: pd.DataFrame
    note: str = field(default="", kw_only=True)
    notes: tuple[Note, ...] = field(default=(), kw_only=True)


def empty(notes: Sequence[Note], params: dict[str, Any] | None = None) -> GeoResult:
    """A result without figures that says why (``notes``)."""
    return GeoResult(
        summary=pd.DataFrame({c: [] for c in SUMMARY_COLUMNS}),
        roas=pd.DataFrame({c: [] for c in ROAS_COLUMNS}),
        attribution=pd.DataFrame({c: [] for c in ATTRIBUTION_COLUMNS}),
        by_day=pd.DataFrame({c: [] for c in DAY_COLUMNS}),
        cumulative=pd.DataFrame({c: [] for c in CUMULATIVE_COLUMNS}),
        params=dict(params or {}),
        note=english(notes),
        notes=tuple(notes),
    )


def region_of(
    journey: ir.Table, geo: str, traits: Callable[[str], ir.Table] | None = None
) -> ir.Table:
    """``journey`` with a ``_region`` column: the journey column, ``property:KEY`` or
    ``trait:KEY`` named by ``geo``."""
    kind, _, key = geo.partition(":")
    if kind == "property" and key:
        return journey.mutate(_region=property_value(journey.properties, key))
    if kind == "trait" and key:
        if traits is None:
            raise InvalidInput(f"geo {geo!r}: person traits need a project")
        tr = traits(key)
        tr = tr.select(_tp=tr.person_id, _region=tr[key].cast("string"))
        joined = journey.left_join(tr, journey.person_id == tr._tp)
        return joined.drop("_tp")
    if geo in TEXT_COLUMNS and geo not in ("event", "phase"):
        return journey.mutate(_region=journey[geo])
    raise InvalidInput(
        f"geo {geo!r} is not a region: use a journey column (country, device, platform, "
        "channel, campaign, source, medium), property:KEY or trait:KEY"
    )


def _check_regions(found: Sequence[str], wanted: Sequence[str], what: str) -> None:
    missing = [r for r in wanted if r not in found]
    if not missing:
        return
    close = difflib.get_close_matches(missing[0], list(found), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise InvalidInput(
        f"{what} region(s) {', '.join(missing)} not in the data; it has "
        f"{', '.join(found) or 'no regions'}.{hint}"
    )


def daily(
    journey: ir.Table,
    *,
    holdout: Sequence[str],
    controls: Sequence[str] | None,
    first: date,
    last: date,
) -> pd.DataFrame:
    """Conversions and revenue per day (``first`` .. ``last`` exclusive) of the groups
    ``holdout`` and ``control`` (``journey`` has ``_region``): one row per group and day,
    zeros where a group had none."""
    lo = (first - _EPOCH).days * _DAY_US
    hi = (last - _EPOCH).days * _DAY_US
    t = journey.filter(journey.is_conversion)
    t = t.mutate(_us=epoch_us(t.timestamp))
    t = t.filter((t._us >= lo) & (t._us < hi) & t._region.notnull())
    in_control = t._region.isin(list(controls)) if controls else ~t._region.isin(list(holdout))
    group = ibis.cases((t._region.isin(list(holdout)), "holdout"), (in_control, "control"))
    t = t.mutate(group=group, day=(t._us // _DAY_US).cast("int64"))
    t = t.filter(t.group.notnull())
    agg = to_frame(
        t.group_by("group", "day").agg(
            conversions=t.count(), revenue=t.revenue.cast("float64").fill_null(0.0).sum()
        )
    )
    days = range((first - _EPOCH).days, (last - _EPOCH).days)
    full = pd.MultiIndex.from_product([["control", "holdout"], days], names=["group", "day"])
    out = agg.set_index(["group", "day"]).reindex(full, fill_value=0).reset_index()
    out["conversions"] = out["conversions"].astype("int64")
    out["revenue"] = out["revenue"].astype("float64")
    return out


def _decision(r: Tbr) -> str:
    if r.low > 0:
        return "incremental"
    if r.high < 0:
        return "negative"
    return "inconclusive"


def geo_readout(
    journey: ir.Table,
    *,
    channel: str,
    holdout: Sequence[str],
    start: date,
    end: date,
    geo: str = "country",
    controls: Sequence[str] | None = None,
    campaign: str | None = None,
    pre_days: int = 56,
    alpha: float = 0.05,
    costs: ir.Table | None = None,
    traits: Callable[[str], ir.Table] | None = None,
    models: Sequence[str] = MODELS,
) -> GeoResult:
    """The readout of a geo holdout of ``channel`` (see the module docstring)."""
    if end <= start:
        raise InvalidInput(f"the test must end after it starts, got {start} .. {end}")
    if not holdout:
        raise InvalidInput("name the holdout regions (where the channel was off)")
    overlap = sorted(set(holdout) & set(controls or ()))
    if overlap:
        raise InvalidInput(f"region(s) {', '.join(overlap)} are both holdout and control")
    j = region_of(journey, geo, traits)
    span = to_frame(
        j.filter(j.is_conversion).agg(
            first=epoch_us(j.timestamp).min(), last=epoch_us(j.timestamp).max()
        )
    ).iloc[0]
    if pd.isna(span["first"]):
        return empty([("geo_no_conversions", {})])
    found = sorted(str(v) for v in to_frame(j.select("_region").distinct())["_region"].dropna())
    _check_regions(found, holdout, "holdout")
    _check_regions(found, controls or (), "control")
    data_first = _EPOCH + timedelta(days=int(span["first"]) // _DAY_US)
    data_end = _EPOCH + timedelta(days=int(span["last"]) // _DAY_US + 1)
    last = min(end, data_end)
    if last <= start:
        raise InvalidInput(
            f"the test {start} .. {end} lies after the data, which end on {data_end}"
        )
    if start <= data_first:
        raise InvalidInput(
            f"the test starts on {start}, but the data's first conversion is on {data_first}: "
            "the readout needs days before the test to learn the counterfactual"
        )
    first = start - timedelta(days=min(pre_days, (start - data_first).days))
    series = daily(j, holdout=holdout, controls=controls, first=first, last=last)
    n_pre = (start - first).days
    fits: dict[str, Tbr] = {}
    control_totals: dict[str, float] = {}
    for metric in METRICS:
        wide = series.pivot(index="day", columns="group", values=metric).sort_index()
        h, c = wide["holdout"].to_numpy(float), wide["control"].to_numpy(float)
        fits[metric] = tbr(h[:n_pre], c[:n_pre], h[n_pre:], c[n_pre:], alpha=alpha)
        control_totals[metric] = float(c[n_pre:].sum())
    summary = pd.DataFrame([_summary_row(m, fits[m], control_totals[m]) for m in METRICS])
    touchpoint = channel if campaign is None else f"{channel}{CAMPAIGN_SEP}{campaign}"
    notes: list[Note] = []
    cost = None
    if costs is not None:
        frame = spend(costs, by="campaign" if campaign else "channel", start=start,
                      end=last - timedelta(days=1))
        match = frame[frame["touchpoint"] == touchpoint]
        cost = float(match["cost"].sum()) if len(match) else 0.0
    if not cost:
        notes.append(("geo_no_costs", {"touchpoint": touchpoint}))
    roas = _roas(touchpoint, cost, summary)
    period = j.filter((j.timestamp >= _at(start)) & (j.timestamp < _at(last)))
    where_on = (
        period._region.isin(list(controls)) if controls else ~period._region.isin(list(holdout))
    )
    attribution = _attribution(
        period.filter(where_on.fill_null(False)).drop("_region"),
        touchpoint=touchpoint,
        by="campaign" if campaign else "channel",
        summary=summary,
        cost=cost,
        models=models,
    )
    fit = fits["conversions"]
    if fit.r2 < 0.5:
        notes.append(("geo_weak_fit", {"r2": f"{fit.r2:.2f}", "days": n_pre}))
    if last < end:
        notes.append(("geo_cut", {"last": (last - timedelta(days=1)).isoformat(),
                                  "days": (last - start).days}))
    notes.append(("geo_method", {"days": n_pre}))
    by_day = _by_day(series, fit, n_pre)
    params = {"first": first.isoformat(), "end": last.isoformat(), "pre_days": n_pre}
    return GeoResult(
        summary=summary[list(SUMMARY_COLUMNS)],
        roas=roas[list(ROAS_COLUMNS)],
        attribution=attribution[list(ATTRIBUTION_COLUMNS)],
        by_day=by_day[list(DAY_COLUMNS)],
        cumulative=_cumulative(by_day, fit),
        params=params,
        note=english(notes),
        notes=tuple(notes),
    )


def _at(day: date) -> Any:
    return ibis.timestamp(pd.Timestamp(day, tz="UTC").to_pydatetime())


def _summary_row(metric: str, r: Tbr, control: float) -> dict[str, Any]:
    cf = r.counterfactual
    share = (lambda v: v / cf) if cf > 0 else (lambda v: np.nan)
    lift, lo, hi = share(r.effect), share(r.low), share(r.high)
    return {
        "metric": metric, "holdout_observed": r.observed, "holdout_expected": cf,
        "incremental": r.effect, "low": r.low, "high": r.high, "lift": lift, "lift_low": lo,
        "lift_high": hi, "control_observed": control, "incremental_where_on": lift * control,
        "low_where_on": lo * control, "high_where_on": hi * control, "decision": _decision(r),
        "r2": r.r2, "pre_days": r.n_pre, "test_days": len(r.cumulative),
    }


def _roas(touchpoint: str, cost: float | None, summary: pd.DataFrame) -> pd.DataFrame:
    rev = summary.set_index("metric").loc["revenue"]
    conv = summary.set_index("metric").loc["conversions"]
    paid = cost if cost else np.nan
    return pd.DataFrame([{
        "touchpoint": touchpoint, "spend": cost if cost is not None else np.nan,
        "incremental_revenue": rev["incremental_where_on"], "low": rev["low_where_on"],
        "high": rev["high_where_on"], "iroas": rev["incremental_where_on"] / paid,
        "iroas_low": rev["low_where_on"] / paid, "iroas_high": rev["high_where_on"] / paid,
        "incremental_conversions": conv["incremental_where_on"],
        "cost_per_incremental_conversion": paid / conv["incremental_where_on"]
        if conv["incremental_where_on"] > 0 else np.nan,
    }])


def _attribution(
    journey: ir.Table,
    *,
    touchpoint: str,
    by: str,
    summary: pd.DataFrame,
    cost: float | None,
    models: Sequence[str],
) -> pd.DataFrame:
    credits = compare(journey, models=list(models), by=by).credits
    inc = summary.set_index("metric")["incremental_where_on"]
    rows = []
    for model in models:
        mine = credits[(credits["model"] == model) & (credits["touchpoint"] == touchpoint)]
        conv = float(mine["conversions"].sum()) if len(mine) else 0.0
        rev = float(mine["revenue"].sum()) if len(mine) else 0.0
        rows.append({
            "model": model, "touchpoint": touchpoint, "credited_conversions": conv,
            "incremental_conversions": inc["conversions"],
            "overstated_conversions": _over(conv, inc["conversions"]),
            "credited_revenue": rev, "incremental_revenue": inc["revenue"],
            "overstated_revenue": _over(rev, inc["revenue"]),
            "roas": rev / cost if cost else np.nan,
            "iroas": inc["revenue"] / cost if cost else np.nan,
        })
    return pd.DataFrame(rows)


def _over(credited: float, incremental: float) -> float:
    return credited / incremental - 1 if incremental > 0 else np.nan


def _by_day(series: pd.DataFrame, fit: Tbr, n_pre: int) -> pd.DataFrame:
    wide = series.pivot(index="day", columns="group", values="conversions").sort_index()
    h, c = wide["holdout"].to_numpy(float), wide["control"].to_numpy(float)
    expected = fit.intercept + fit.slope * c
    return pd.DataFrame({
        "date": [(_EPOCH + timedelta(days=int(d))).isoformat() for d in wide.index],
        "period": ["pre"] * n_pre + ["test"] * (len(h) - n_pre),
        "observed": h, "expected": expected,
    })


def _cumulative(by_day: pd.DataFrame, fit: Tbr) -> pd.DataFrame:
    cum, half = np.asarray(fit.cumulative), np.asarray(fit.cumulative_half)
    return pd.DataFrame({
        "date": by_day.loc[by_day["period"] == "test", "date"].to_numpy(),
        "cumulative": cum, "cumulative_low": cum - half, "cumulative_high": cum + half,
    })
