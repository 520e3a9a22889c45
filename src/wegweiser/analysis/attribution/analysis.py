"""Attribution in the analysis registry: its parameters and how the faces run it.

One model (``model``) or all side by side (``compare``), by channel or campaign, over the
project's journey -- or, on the command line only, over a path table file (``paths``) of
another tool. With imported costs: ROAS, CPA, ROI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from wegweiser.analysis.attribution.compare import DEFAULT_MODELS, attribution, compare, make_model
from wegweiser.analysis.attribution.paths import read_paths
from wegweiser.analysis.params import MAX_DAYS, CliOnly, Names, Params, Short, split
from wegweiser.analysis.registry import Analysis, Chart, Words
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from wegweiser.analysis.attribution._base import AttributionModel
    from wegweiser.analysis.registry import Inputs
    from wegweiser.analysis.result import Result

MAX_BOOTSTRAP = 200  # a request should not hold the store for minutes
ModelName = Literal[
    "first_touch", "last_touch", "last_non_direct", "linear", "time_decay", "position_based",
    "j_curve", "inverse_j", "custom", "markov", "shapley",
]


class AttributionParams(Params):
    """Credit conversions and revenue to channels or campaigns (multi-touch attribution).

    Touches: one per session, the channel (campaign) of its first event. A conversion's path:
    the person's touches after their previous conversion that start at most lookback_days
    before it (inclusive), ordered by time, then message id; the conversion's own session
    always counts. Non-converting paths: each person's touches after their last conversion,
    within the lookback before their last event. Markov: removal effects of order 1-4,
    solved exactly; Shapley: the simplified Shapley value (Zhao et al. 2018), exact: each
    converting path's conversions and revenue split equally among its distinct channels.
    Every model: one channel per person gives each channel its own conversions and revenue;
    credits add up to the totals.
    With costs (wegweiser import-costs): ROAS, CPA, ROI over the data's dates.

    These models describe paths; they do not measure incrementality. Use holdout
    experiments for causal effects.
    """

    model: Annotated[ModelName, Short("-m")] = Field("markov", description="The model.")
    compare: bool = Field(False, description="All models side by side (one column per model).")
    models: (
        Annotated[list[ModelName], BeforeValidator(split), Field(min_length=1, max_length=20)]
        | None
    ) = Field(None, description="compare: these models (default: all but custom).")
    by: Literal["channel", "campaign"] = Field("channel", description="Credit channels or "
                                               "campaigns.")
    order: Annotated[int, Field(ge=1, le=4)] = Field(1, description="Markov chain order.")
    lookback_days: Annotated[int, Field(ge=1, le=MAX_DAYS)] | None = Field(
        None,
        description="Days before a conversion whose touches count (default: "
        "windows.attribution_lookback_days).",
    )
    half_life: Annotated[float, Field(gt=0, le=MAX_DAYS)] = Field(
        7.0, description="Time decay: days until a touch's weight halves (path files: touches)."
    )
    position: (
        Annotated[
            list[Annotated[float, Field(ge=0, le=1)]],
            BeforeValidator(split),
            Field(min_length=1, max_length=2),
        ]
        | None
    ) = Field(None, description="Position-based first,last shares, e.g. 0.4,0.4.")
    weights: (
        Annotated[
            list[Annotated[float, Field(ge=0, le=1e6)]],
            BeforeValidator(split),
            Field(min_length=1, max_length=100),
        ]
        | None
    ) = Field(None, description="Custom weights from the conversion backwards, e.g. 0.6,0.3,0.1.")
    direct: Names = Field(
        default_factory=lambda: ["direct"],
        description="Channels that count as direct for last_non_direct.",
    )
    metric: Literal["conversions", "revenue", "share", "roas", "cpa", "roi"] = Field(
        "conversions", description="compare: what the table shows per model."
    )
    bootstrap: Annotated[int, Field(ge=0, le=MAX_BOOTSTRAP)] = Field(
        0,
        description="Bootstrap resamples of journeys for 95% intervals (0: none; at most "
        f"{MAX_BOOTSTRAP}, use the Python API for more).",
    )
    seed: Annotated[int, Field(ge=0, le=2**32 - 1)] = Field(
        0, description="Random seed (bootstrap)."
    )
    paths: Annotated[str | None, CliOnly()] = Field(
        None, description="Use a path table file (CSV: path, conversions, nulls, value) "
        "instead of the store."
    )
    sep: Annotated[str, CliOnly(), Field(min_length=1, max_length=10)] = Field(
        ">", description="Separator of touchpoints in paths."
    )


def estimator(name: str, p: AttributionParams) -> AttributionModel:
    """The model ``name`` with the options of ``p`` that apply to it."""
    options: dict[str, Any] = {}
    if name == "markov":
        options["order"] = p.order
    if name == "time_decay":
        options["half_life"] = p.half_life
    if name == "position_based" and p.position:
        first, last = [*p.position, 0.0, 0.0][:2]
        options.update(first=first, last=last)
    if name == "last_non_direct":
        options["direct"] = tuple(p.direct)
    if name == "custom":
        if not p.weights:
            raise InvalidInput(
                "model custom needs weights, e.g. 0.7,0.2,0.1 (from the conversion backwards)"
            )
        options["weights"] = tuple(p.weights)
    return make_model(name, **options)


def _compute(inputs: Inputs, p: AttributionParams) -> Result:
    source: Any = read_paths(p.paths, sep=p.sep) if p.paths is not None else inputs.journey()
    costs = inputs.costs()
    lookback = p.lookback_days or inputs.config.windows.attribution_lookback_days
    if p.compare:
        models: list[str | AttributionModel] = [
            estimator(name, p) for name in (p.models or DEFAULT_MODELS)
        ]
        return compare(source, models=models, by=p.by, lookback_days=lookback, costs=costs,
                       metric=p.metric, n_bootstrap=p.bootstrap, random_state=p.seed)
    est = estimator(p.model, p).set_params(n_bootstrap=p.bootstrap, random_state=p.seed)
    return attribution(source, model=est, by=p.by, lookback_days=lookback, costs=costs)


ANALYSIS = Analysis(
    name="attribution",
    renumber=False,  # reads seq only as an order, no next_event
    params=AttributionParams,
    compute=_compute,
    title=Words("Attribution", "Attribution"),
    summary=Words("Multi-touch attribution: one model or all",
                  "Multi-Touch-Attribution: ein Modell oder alle"),
    views={"credits": "credits", "table": "table", "removal_effects": "removal_effects",
           "transition_matrix": "transition_matrix", "flows": "flows",
           "shapley_values": "shapley_values"},
    view_of=lambda p: "table" if p.compare else None,
    compare=("credits", ("touchpoint",)),
    charts=(Chart("hbar", "credits", x="conversions", y="touchpoint"),),
    standalone=lambda p: p.paths is not None,
)
