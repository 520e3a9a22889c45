"""Attribution results: one model or all side by side, with costs (ROAS, CPA, ROI).

:func:`attribution` fits one model, :func:`compare` every model (or the ones named) on the
same paths. Both take the ``journey`` table (paths are built by
:func:`~wegweiser.analysis.attribution.journeys.load_paths`) or a ready
:class:`~wegweiser.analysis.attribution.paths.Paths` table, and optionally the store's
``costs`` table: spend is summed per touchpoint over the dates of the data (first touch to
last event, inclusive; all dates for path tables) and gives

* ``roas`` = credited revenue / cost, ``cpa`` = cost / credited conversions,
* ``roi`` = (credited revenue - cost) / cost (empty where there is no cost).

Touchpoints with spend but no touches are listed with zero credit. Every result carries
:data:`NOTE`: path-based credit is not incrementality.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from wegweiser.analysis.attribution._base import NOTE, AttributionModel
from wegweiser.analysis.attribution.heuristic import (
    CustomWeights,
    FirstTouch,
    InverseJ,
    JCurve,
    LastNonDirect,
    LastTouch,
    Linear,
    PositionBased,
    TimeDecay,
)
from wegweiser.analysis.attribution.journeys import load_paths
from wegweiser.analysis.attribution.markov import Markov
from wegweiser.analysis.attribution.paths import CAMPAIGN_SEP, NO_CAMPAIGN, Paths
from wegweiser.analysis.attribution.shapley import Shapley
from wegweiser.analysis.result import Result, to_frame
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import plotly.graph_objects as go

MODELS: dict[str, type[AttributionModel]] = {
    m.name: m for m in (FirstTouch, LastTouch, LastNonDirect, Linear, TimeDecay, PositionBased,
                        JCurve, InverseJ, CustomWeights, Markov, Shapley)
}
#: models of ``compare`` by default (``custom`` needs your weights)
DEFAULT_MODELS = tuple(name for name in MODELS if name != "custom")
METRICS = ("conversions", "revenue", "share", "roas", "cpa", "roi")


def make_model(name: str, **params: Any) -> AttributionModel:
    """A model by its name (``markov``, ``shapley``, ``linear``...) with hyper-parameters."""
    cls = MODELS.get(name)
    if cls is None:
        raise InvalidInput(f"unknown attribution model {name!r}; use one of {', '.join(MODELS)}")
    model = cls()
    return model.set_params(**params)


@dataclass(frozen=True)
class Attribution(Result):
    """Credits of one model; Markov and Shapley add their own tables."""

    credits: pd.DataFrame
    removal_effects: pd.DataFrame | None = None
    transition_matrix: pd.DataFrame | None = None
    flows: pd.DataFrame | None = None
    shapley_values: pd.DataFrame | None = None
    note: str = field(default=NOTE, kw_only=True)

    def figure(self) -> go.Figure:
        import plotly.graph_objects as go

        frame = self.credits.iloc[::-1]
        error = None
        if "conversions_low" in frame:
            error = {"type": "data", "symmetric": False,
                     "array": (frame.conversions_high - frame.conversions).tolist(),
                     "arrayminus": (frame.conversions - frame.conversions_low).tolist()}
        fig = go.Figure(go.Bar(x=frame.conversions, y=frame.touchpoint, orientation="h",
                               error_x=error, name="credited conversions"))
        fig.update_layout(
            title=f"Credited conversions ({self.params.get('model', '')}); not incrementality",
            xaxis_title="conversions", yaxis_title=None, height=max(300, 28 * len(frame) + 120),
        )
        return fig


@dataclass(frozen=True)
class Comparison(Result):
    """All models side by side: ``table`` (one column per model for ``metric``) and
    ``credits`` (long: one row per model and touchpoint, with costs)."""

    table: pd.DataFrame
    credits: pd.DataFrame
    note: str = field(default=NOTE, kw_only=True)

    def figure(self) -> go.Figure:
        import plotly.graph_objects as go

        metric = str(self.params.get("metric", "conversions"))
        fig = go.Figure()
        for model, part in self.credits.groupby("model", sort=False):
            fig.add_trace(go.Bar(x=part.touchpoint, y=part[metric], name=str(model)))
        fig.update_layout(barmode="group", title=f"{metric} by model (paths, not incrementality)",
                          xaxis_title=None, yaxis_title=metric, legend_title="model")
        return fig


# -- costs ----------------------------------------------------------------------------------
def spend(
    costs: ir.Table | pd.DataFrame, *, by: str = "channel", start: Any = None, end: Any = None
) -> pd.DataFrame:
    """Cost per touchpoint (``touchpoint``, ``cost``, ``currency``) between ``start`` and
    ``end`` (dates, inclusive; None: open). ``currency`` lists the currencies found."""
    if isinstance(costs, pd.DataFrame):
        import ibis

        costs = ibis.memtable(costs)
    c = costs
    if start is not None:
        c = c.filter(c.date >= start)
    if end is not None:
        c = c.filter(c.date <= end)
    label = c.channel if by != "campaign" else c.channel.concat(
        CAMPAIGN_SEP, c.campaign.fill_null(NO_CAMPAIGN))
    grouped = c.group_by(touchpoint=label).agg(
        cost=c.cost.sum(), currency=c.currency.fill_null("").collect(distinct=True)
    )
    frame = to_frame(grouped)
    frame["currency"] = [", ".join(sorted(x for x in v if x)) for v in frame["currency"]]
    return frame.sort_values("touchpoint", kind="stable").reset_index(drop=True)


def with_costs(credits: pd.DataFrame, cost: pd.DataFrame | None, by: str) -> pd.DataFrame:
    """``credits`` plus ``cost``, ``roas``, ``cpa``, ``roi`` (touchpoints with spend but no
    touches are added with zero credit)."""
    if cost is None:
        return credits
    missing = cost[~cost.touchpoint.isin(credits.touchpoint)]
    if len(missing):
        extra = _touchpoints(missing.touchpoint.tolist(), by)
        for col in credits.columns:
            if col not in extra:
                extra[col] = 0.0
        credits = pd.concat([credits, extra[credits.columns]], ignore_index=True)
    out = credits.merge(cost[["touchpoint", "cost"]], on="touchpoint", how="left")
    spent = out.cost.where(out.cost > 0)
    out["roas"] = out.revenue / spent
    out["cpa"] = spent / out.conversions.where(out.conversions > 0)
    out["roi"] = (out.revenue - spent) / spent
    return out


def _touchpoints(labels: list[str], by: str) -> pd.DataFrame:
    from wegweiser.analysis.attribution.paths import touchpoint_frame

    return touchpoint_frame(labels, by)


def _paths_of(journey: Any, *, by: str, lookback_days: int) -> Paths:
    if isinstance(journey, Paths):
        return journey
    return load_paths(journey, lookback_days=lookback_days, by=by)


def _spend_for(paths: Paths, costs: Any) -> tuple[pd.DataFrame | None, str]:
    if costs is None:
        return None, ""
    by = "campaign" if paths.by == "campaign" else "channel"
    frame = spend(costs, by=by, start=paths.params.get("start"), end=paths.params.get("end"))
    currencies = {c for v in frame.currency for c in v.split(", ") if c}
    note = ""
    if len(currencies) > 1:
        note = (f" Costs are in several currencies ({', '.join(sorted(currencies))}) and were "
                "added up as they are.")
    return frame, note


# -- faces ----------------------------------------------------------------------------------
def attribution(
    journey: ir.Table | Paths,
    *,
    model: str | AttributionModel = "markov",
    by: str = "channel",
    lookback_days: int = 30,
    costs: ir.Table | pd.DataFrame | None = None,
) -> Attribution:
    """Credited conversions and revenue per touchpoint for one model.

    ``journey`` is the journey table (paths per :mod:`.journeys`) or a :class:`Paths`
    table; ``model`` a name from :data:`MODELS` or a configured model instance;
    ``costs`` the store's costs table for ROAS/CPA/ROI.
    """
    paths = _paths_of(journey, by=by, lookback_days=lookback_days)
    est = make_model(model) if isinstance(model, str) else model
    est.fit(paths)
    cost, extra = _spend_for(paths, costs)
    credits = with_costs(est.credits_, cost, paths.by)
    params = {"model": est.name, **est.get_params(), **paths.params, "by": paths.by,
              "conversions": paths.total_conversions, "journeys": paths.n_journeys,
              "paths": paths.n_paths}
    details: dict[str, Any] = {}
    if isinstance(est, Markov):
        details = {"removal_effects": est.removal_effects_,
                   "transition_matrix": est.transition_matrix_, "flows": est.flows_}
    elif isinstance(est, Shapley):
        details = {"shapley_values": est.shapley_values_}
    return Attribution(credits, **details, params=params, note=NOTE + extra)


def compare(
    journey: ir.Table | Paths,
    *,
    models: list[str | AttributionModel] | None = None,
    by: str = "channel",
    lookback_days: int = 30,
    costs: ir.Table | pd.DataFrame | None = None,
    metric: str = "conversions",
    n_bootstrap: int = 0,
    confidence: float = 0.95,
    random_state: int | None = 0,
) -> Comparison:
    """Every model (default: all but ``custom``) on the same paths, side by side.

    ``n_bootstrap`` > 0 adds percentile intervals (``*_low``/``*_high``) to ``credits``,
    resampling journeys with ``random_state``.
    """
    if metric not in METRICS:
        raise InvalidInput(f"unknown metric {metric!r}; use one of {', '.join(METRICS)}")
    paths = _paths_of(journey, by=by, lookback_days=lookback_days)
    cost, extra = _spend_for(paths, costs)
    if metric in ("roas", "cpa", "roi") and cost is None:
        raise InvalidInput(f"metric {metric} needs costs; import them with `wegweiser "
                           "import-costs FILE` or choose conversions or revenue")
    frames = []
    names = []
    for item in models if models is not None else list(DEFAULT_MODELS):
        est = make_model(item) if isinstance(item, str) else item
        est.set_params(n_bootstrap=n_bootstrap, confidence=confidence, random_state=random_state)
        est.fit(paths)
        credits = with_costs(est.credits_, cost, paths.by)
        credits.insert(0, "model", est.name)
        frames.append(credits)
        names.append(est.name)
    long = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        {"model": [], "touchpoint": [], metric: []})
    if len(long):
        wide = long.pivot_table(index="touchpoint", columns="model", values=metric,
                                aggfunc="sum", sort=False).reindex(columns=names)
        wide.columns.name = None
        ids = _touchpoints(list(wide.index), paths.by)
        if paths.by != "campaign":
            ids = ids[["touchpoint"]]
        wide = ids.merge(wide.reset_index(), on="touchpoint")
        if cost is not None:
            wide = wide.merge(cost[["touchpoint", "cost"]], on="touchpoint", how="left")
        order = wide[names].mean(axis=1).fillna(0.0)
        wide = wide.assign(_o=order).sort_values(["_o", "touchpoint"], ascending=[False, True],
                                                kind="stable").drop(columns="_o")
        wide = wide.reset_index(drop=True)
    else:
        wide = pd.DataFrame({"touchpoint": pd.Series([], dtype=object)})
    params = {"models": names, "metric": metric, **paths.params, "by": paths.by,
              "conversions": paths.total_conversions, "journeys": paths.n_journeys,
              "n_bootstrap": n_bootstrap, "random_state": random_state}
    return Comparison(wide, long, params=params, note=NOTE + extra)
