"""Watch the fix: did a change at a touchpoint work?

A **fix** (a file ``fixes/<name>.toml`` in the project; ``wegweiser fixes add`` writes it)
names the day a change went live (``date``, optionally the ``time`` of day, UTC), the
``touchpoint`` it was made at — a name plus the conditions that define it (``where``, the
filter model of :mod:`wegweiser.analysis.filters`, e.g. ``event=checkout_payment`` and
``device=mobile``) — the **metric** watched, and a ``note``:

* ``friction`` (default): the share of persons at the touchpoint on a day who that day also
  hit the ``friction`` event (conditions; default ``event contains error``) — lower is
  better;
* ``conversion``: the share of persons at the touchpoint on a day who converted that day
  (the project's conversion events) — higher is better.

The daily rates come from the engine (:mod:`._fix_metric`); the estimate from statsmodels
on that small table (:mod:`._fix_estimate`):

Without ``where`` the touchpoint is looked up by name in the touchpoint catalogue
(``[[touchpoints]]`` in wegweiser.toml, else the touchpoints derived from the data; see
:mod:`wegweiser.analysis.touchpoint_catalogue`) when the fix is checked.

* **its** — an interrupted time series (segmented regression: level and slope change,
  day-of-week effects, Newey-West errors): the average change after the fix;
* **did** — difference-in-differences against an untouched comparison group: the
  ``control`` conditions, by default the touchpoint's conditions with every condition not on
  ``event`` negated (``device=mobile`` -> ``device!=mobile``: the other devices at the same
  step); none when every condition is on ``event`` and no ``control`` is given.

Each comes with a 95% interval. The **verdict** (of the time series; the other beside it)
is ``worked``, ``none`` (no detectable effect), ``worse`` (got worse) or ``too_early``
(fewer than 14 days before or 7 days after). A fix's window ends where the next fix at the
same touchpoint (by name) begins. Checking again later recomputes everything from the
current store: the fix keeps being watched.

>>> fix = Fix(name="mobile-pay", date="2026-10-01", touchpoint="mobile payment",
...           where=["event=checkout_payment", "device=mobile"])
>>> [filters.describe(c) for c in control_of(fix)]
['event=checkout_payment', 'device!=mobile']
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Literal

import pandas as pd
from pydantic import Field, model_validator

from wegweiser.analysis import filters
from wegweiser.analysis._fix_estimate import (
    Estimate,
    difference_in_differences,
    interrupted_series,
    verdict,
)
from wegweiser.analysis._fix_metric import daily_rates
from wegweiser.analysis.params import Params
from wegweiser.analysis.registry import Analysis, Chart, Words
from wegweiser.analysis.result import Result
from wegweiser.analysis.segments import NAME_PATTERN, Where
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    import ibis.expr.types as ir

    from wegweiser.analysis.registry import Inputs
    from wegweiser.analysis.touchpoint_catalogue import Touchpoint
    from wegweiser.config import Config

__all__ = [
    "VERDICTS",
    "Fix",
    "FixResult",
    "FixSpec",
    "FixesParams",
    "check_fixes",
    "check_name",
    "control_of",
    "fix_annotations",
    "with_conditions",
]

DEFAULT_FRICTION = "event contains error"
VERDICTS: dict[str, Words] = {
    "worked": Words("worked", "hat gewirkt"),
    "none": Words("no detectable effect", "keine nachweisbare Wirkung"),
    "worse": Words("got worse", "verschlechtert"),
    "too_early": Words("too early to tell", "noch zu früh"),
}
#: the note of a project without fixes (catalogue key ``note.no_fixes``)
NO_FIXES = Words("no fixes yet: add one with `wegweiser fixes add`",
                 "noch keine Korrekturen: legen Sie eine mit `wegweiser fixes add` an")
_NEGATE = {"=": "!=", "!=": "=", "in": "not in", "not in": "in", "contains": "not contains",
           "not contains": "contains", ">": "<=", "<=": ">", "<": ">=", ">=": "<",
           "is set": "is not set", "is not set": "is set"}
_Text = Annotated[str, Field(max_length=500)]


def _default_friction() -> list[str | filters.Condition]:
    return [filters.parse(DEFAULT_FRICTION)]


class FixSpec(Params):
    """What a fix is (see :mod:`wegweiser.analysis.fixes`); the API's body."""

    date: dt.date = Field(description="The day the fix went live (UTC).")
    time: dt.time | None = Field(None, description="The time of day (UTC) it went live; that "
                                 "day is then mixed and left out.")
    touchpoint: Annotated[str, Field(min_length=1, max_length=100)]
    where: Where = Field(default_factory=list, description="The conditions that define the "
                         "touchpoint (none: the touchpoint catalogue's conditions of that name).")
    metric: Literal["friction", "conversion"] = "friction"
    friction: Where = Field(default_factory=lambda: _default_friction(),
                            description="The friction event's conditions (metric friction).")
    control: Where = Field(default_factory=list, description="The untouched comparison "
                           "group (default: the touchpoint's non-event conditions negated).")
    note: _Text = ""

    @model_validator(mode="after")
    def _check(self) -> FixSpec:
        for c in filters.conditions([*self.where, *self.friction, *self.control]):
            if c.step is not None:
                raise ValueError("a fix's condition cannot name a step")
        return self

    @property
    def better(self) -> Literal["lower", "higher"]:
        return "lower" if self.metric == "friction" else "higher"

    @property
    def partial(self) -> bool:
        """Whether the fix went live during its day (that day is left out)."""
        return self.time is not None and self.time != dt.time(0, 0)

    def definition(self) -> dict[str, Any]:
        """The fix as JSON, conditions in their text form (what its file holds)."""
        data = self.model_dump(mode="json", exclude_none=True)
        for key in ("where", "friction", "control"):
            data[key] = [filters.describe(c) for c in filters.conditions(getattr(self, key))]
        return data

    def summary(self) -> dict[str, Any]:
        """One row of ``fixes list``."""
        return {
            "name": getattr(self, "name", ""), "date": self.date.isoformat(),
            "time": self.time.isoformat() if self.time else "",
            "touchpoint": self.touchpoint,
            "where": "; ".join(filters.describe(c) for c in filters.conditions(self.where)),
            "metric": self.metric, "note": self.note,
        }


class Fix(FixSpec):
    """A change made at a touchpoint, to be watched (see :mod:`wegweiser.analysis.fixes`)."""

    name: Annotated[str, Field(pattern=NAME_PATTERN)]


def check_name(name: str) -> str:
    """``name`` if it can name a fix (a file name), else :class:`InvalidInput`."""
    if not re.match(NAME_PATTERN, name):
        raise InvalidInput(f"fix name {name!r}: use letters, digits, '-' and '_' (at most 64, "
                           "starting with a letter or digit)")
    return name


def control_of(fix: Fix) -> list[filters.Condition]:
    """The comparison group's conditions: ``control``, else the touchpoint's with each
    non-``event`` condition negated; empty when there is none."""
    if fix.control:
        return filters.conditions(fix.control)
    conds = filters.conditions(fix.where)
    if all(c.field == "event" for c in conds):
        return []
    return [c if c.field == "event" else c.model_copy(update={"op": _NEGATE[c.op]})
            for c in conds]


def fix_annotations(fixes: Iterable[Fix]) -> list[dict[str, Any]]:
    """The fixes as date annotations of a time chart: ``{"date", "label", "note"}``, sorted
    by date (``date`` an ISO date; ``label`` the fix's touchpoint and name)."""
    rows = [{"date": f.date.isoformat(), "label": f"{f.touchpoint} ({f.name})", "note": f.note}
            for f in fixes]
    return sorted(rows, key=lambda r: (r["date"], r["label"]))


@dataclass(frozen=True)
class FixResult(Result):
    """``fixes``: one row per fix with its verdict and both estimates; ``daily``: the daily
    rate of the touchpoint (``group`` treated) and of the comparison group (control)."""

    fixes: pd.DataFrame
    daily: pd.DataFrame
    note: str = field(default="", kw_only=True)
    #: the note as message keys (``note.<key>`` of the catalogue) with their fields
    notes: tuple[tuple[str, dict[str, Any]], ...] = field(default=(), kw_only=True)


FIX_COLUMNS = ["fix", "touchpoint", "date", "metric", "rate_before", "rate_after", "effect",
               "low", "high", "p_value", "days_before", "days_after", "verdict", "did_effect",
               "did_low", "did_high", "did_verdict", "note"]
DAILY_COLUMNS = ["fix", "group", "day", "n", "k", "rate", "after"]


def _pooled(daily: pd.DataFrame, mask: pd.Series) -> float:
    n = float(daily.n[mask].sum())
    return float(daily.k[mask].sum()) / n if n else math.nan


def _after(days: pd.Series, fix: Fix) -> pd.Series:
    return days > fix.date if fix.partial else days >= fix.date


def next_fix(fix: Fix, fixes: Iterable[Fix]) -> dt.date | None:
    """The date of the next fix at the same touchpoint (by name) after ``fix``, if any: the
    end of ``fix``'s window."""
    later = [f.date for f in fixes if f.touchpoint == fix.touchpoint and f.date > fix.date]
    return min(later, default=None)


def check_one(
    journey: ir.Table, fix: Fix, *, until: dt.date | None = None,
    traits: Callable[[str], ir.Table] | None = None,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """The row of ``fixes`` and the ``daily`` rows of one fix (module docstring), on the
    days before ``until`` (the next fix at the touchpoint) when given."""
    outcome = filters.conditions(fix.friction) if fix.metric == "friction" else None
    control = control_of(fix)
    groups = {"treated": filters.conditions(fix.where)}
    if control:
        groups["control"] = control
    rates = daily_rates(journey, groups, outcome, traits=traits)
    if until is not None:
        rates = {g: d[d.day < until].reset_index(drop=True) for g, d in rates.items()}
    treated = rates["treated"]
    its = interrupted_series(treated, fix_day=fix.date, partial=fix.partial)
    frames = [treated.assign(group="treated")]
    did = Estimate.missing("did", 0, 0)
    if control:
        other = rates["control"]
        did = difference_in_differences(treated, other, fix_day=fix.date, partial=fix.partial)
        frames.append(other.assign(group="control"))
    daily = pd.concat(frames, ignore_index=True).assign(fix=fix.name)
    daily["after"] = _after(daily.day, fix)
    mixed = (daily.day == fix.date) & fix.partial
    tr = (daily.group == "treated") & ~mixed
    row = {
        "fix": fix.name, "touchpoint": fix.touchpoint, "date": fix.date.isoformat(),
        "metric": fix.metric, "rate_before": _pooled(daily, tr & ~daily.after),
        "rate_after": _pooled(daily, tr & daily.after), "effect": its.effect, "low": its.low,
        "high": its.high, "p_value": its.p_value, "days_before": its.days_before,
        "days_after": its.days_after, "verdict": verdict(its, better=fix.better),
        "did_effect": did.effect, "did_low": did.low, "did_high": did.high,
        "did_verdict": verdict(did, better=fix.better) if control else "",
        "note": fix.note,
    }
    return row, daily[DAILY_COLUMNS]


def check_fixes(
    journey: ir.Table | None, fixes: Iterable[Fix], *, only: str | None = None,
    traits: Callable[[str], ir.Table] | None = None,
) -> FixResult:
    """Check every fix (or the one named ``only``) on ``journey`` (the whole journey of the
    project); a fix's window ends at the next fix at the same touchpoint."""
    rows, days = [], []
    fixes = list(fixes)
    for fix in fixes:
        if only is not None and fix.name != only:
            continue
        if journey is None:
            raise InvalidInput("checking a fix needs the journey of a project")
        row, daily = check_one(journey, fix, until=next_fix(fix, fixes), traits=traits)
        rows.append(row)
        days.append(daily)
    daily = (pd.concat(days, ignore_index=True) if days
             else pd.DataFrame({c: [] for c in DAILY_COLUMNS}))
    notes: tuple[tuple[str, dict[str, Any]], ...] = () if rows else (("no_fixes", {}),)
    return FixResult(pd.DataFrame(rows, columns=FIX_COLUMNS), daily,
                     note=NO_FIXES.en if notes else "", notes=notes)


def say(row: Mapping[str, Any], lang: str) -> str:
    """One sentence on a row of ``fixes``: the verdict and its interval, in ``lang``."""
    word = VERDICTS[str(row["verdict"])](lang)
    if row["verdict"] == "too_early":
        return f"{row['fix']}: {word}"
    pts = "Pkt." if lang == "de" else "pts"

    def p(x: float) -> str:
        text = f"{100 * x:+.1f}"
        return text.replace(".", ",") if lang == "de" else text

    text = (f"{row['fix']}: {word} ({p(row['effect'])} {pts}, 95 %: {p(row['low'])} .. "
            f"{p(row['high'])})")
    if row.get("did_verdict") not in ("", "too_early", None):
        other = "Diff.-in-Diff." if lang == "de" else "diff.-in-diff."
        text += (f"; {other}: {VERDICTS[str(row['did_verdict'])](lang)} "
                 f"({p(row['did_effect'])} {pts}, 95 %: {p(row['did_low'])} .. "
                 f"{p(row['did_high'])})")
    return text


class FixesParams(Params):
    """Watch the fixes (files fixes/<name>.toml, `wegweiser fixes add`): the daily rate at
    each fix's touchpoint before and after, an interrupted time series and a
    difference-in-differences against an untouched group, each with a 95% interval, and the
    verdict worked / no detectable effect / got worse."""

    fix: Annotated[str | None, Field(pattern=NAME_PATTERN)] = Field(
        None, description="Only this fix (default: every fix).")


def _compute(inputs: Inputs, p: FixesParams) -> FixResult:
    listed: Callable[[], Mapping[str, Fix]] | None = getattr(inputs, "fixes", None)
    found = dict(listed()) if listed is not None else {}
    if p.fix is not None and p.fix not in found:
        raise InvalidInput(f"no fix {p.fix!r}; saved: {', '.join(found) or 'none yet'}")
    if not found:
        return check_fixes(None, [])  # no journey is read
    journey = inputs.journey()
    touchpoints = None  # the catalogue, built once when a fix names its touchpoint only
    if any(not f.where for f in found.values()):
        from wegweiser.analysis.touchpoint_catalogue import catalogue

        touchpoints = catalogue(inputs.config, journey)
    # every fix, not only the one asked for: a fix's window ends at the next one's date
    fixes = [with_conditions(f, inputs.config, journey, touchpoints=touchpoints)
             for f in found.values()]
    return check_fixes(journey, fixes, only=p.fix, traits=inputs.traits)


def with_conditions(
    fix: Fix, config: Config, journey: ir.Table | None = None,
    *, touchpoints: list[Touchpoint] | None = None,
) -> Fix:
    """``fix`` with its touchpoint's conditions: its own ``where``, else those of the
    catalogue's touchpoint of that name (``touchpoints``: the catalogue, built already; an
    unknown name raises :class:`InvalidInput`)."""
    if fix.where:
        return fix
    from wegweiser.analysis.touchpoint_catalogue import touchpoint_condition

    try:
        where = touchpoint_condition(config, fix.touchpoint, journey, touchpoints=touchpoints)
    except InvalidInput as exc:
        raise InvalidInput(f"fix {fix.name!r} gives no conditions (where), so its touchpoint "
                           f"is looked up in the catalogue: {exc}") from None
    return fix.model_copy(update={"where": where})


ANALYSIS = Analysis(
    name="fix_effects",
    params=FixesParams,
    compute=_compute,
    title=Words("Watch the fix", "Wirkung der Korrekturen"),
    summary=Words("Did a fix at a touchpoint work? Time series and difference-in-differences",
                  "Hat eine Korrektur am Kontaktpunkt gewirkt? Zeitreihe und "
                  "Differenz-von-Differenzen"),
    views={"fixes": "fixes", "daily": "daily"},
    charts=(Chart("line", "daily", x="day", y="rate", color="group", format="percent"),),
    report=True,  # without fixes the section says so (the report skips empty charts)
    scope=False,
)
