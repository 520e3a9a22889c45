"""Parameter models of the query API: one per analysis, mirroring the CLI's options.

Same names and defaults as the CLI (``--lookback-days`` is ``lookback_days``), with these
JSON conventions:

* **Lists** are JSON arrays; a comma-separated text (the CLI's form) is accepted too:
  ``"steps": ["a", "b"]`` or ``"steps": "a,b"``.
* **Durations** are texts with a unit, as on the command line: ``"45s"``, ``"30m"``,
  ``"1h30m"``, ``"7d"``, ``"2w"`` (a bare number is refused rather than guessed).
* **Moments** (``as_of``) are ISO dates or date-times; a date means the end of that day (UTC).
* Unknown fields are refused (422), so a typo never silently falls back to a default.

The CLI's ``--view``/``--table``/``--format`` only choose what to print: the API returns every
table of a result. Where a view is a different computation (``paths``; ``phases`` episodes)
the ``view`` field stays.

>>> FunnelParams(steps="view,cart").steps
['view', 'cart']
>>> SessionsParams(gap="90m").gap, duration("1h30m")
('90m', Timedelta('0 days 01:30:00'))
>>> from pydantic import ValidationError
>>> try:
...     SessionsParams(gap="90")
... except ValidationError as exc:
...     print(exc.errors()[0]["msg"])
Value error, cannot read duration '90'; write it like 30m, 1h30m, 2d or 45s
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

import pandas as pd
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from wegweiser.commands._common import parse_duration
from wegweiser.errors import InvalidInput

DURATION_PATTERN = r"^(\d{1,6}(\.\d{1,6})?[smhdw]){1,6}$"
_SPAN = r"(\d{1,6}(\.\d{1,6})?[smhdw]){1,6}"
# Documented in the schema (and used by fuzzers); the analyses check them with the CLI's
# messages (400), so these stay hints rather than 422s.
STEP_WINDOW_PATTERN = rf"^(step)?\d{{1,2}}:{_SPAN}(,(step)?\d{{1,2}}:{_SPAN})*$"
WHERE_PATTERN = r"^(step)?\d{1,2}:[^=]+=.*$"
GROUP_PATTERN = r"^.+=.+$"
ATTRIBUTION_PATTERN = r"^(first_touch|last_touch|step:\d{1,2})$"
BREAKDOWN_PATTERN = (
    r"^(channel|campaign|source|medium|device|platform|country|phase"
    r"|property:.+|trait:.+)$"
)
MAX_DAYS = 36_600  # a century: longer windows overflow timestamps
MAX_BOOTSTRAP = 200  # a request should not hold the store for minutes


def _split(value: Any) -> Any:
    """``"a, b"`` -> ``["a", "b"]`` (the CLI's comma lists); anything else unchanged."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _duration(text: str) -> str:
    try:
        span = parse_duration(text, what="duration")
    except InvalidInput as exc:
        raise ValueError(str(exc)) from None
    except OverflowError:
        span = timedelta.max
    if span > timedelta(days=MAX_DAYS):
        raise ValueError(f"duration {text!r} is too long; use at most {MAX_DAYS}d")
    return text


def duration(text: str | None) -> timedelta | None:
    """A checked duration text as a timedelta (None stays None).

    A :class:`pandas.Timedelta`: Ibis cannot make a literal of a plain ``timedelta`` of
    zero or of mixed units (``1d1s``), but can of this subclass.
    """
    return None if text is None else pd.Timedelta(parse_duration(text))


Duration = Annotated[
    str,
    Field(max_length=64, json_schema_extra={"pattern": DURATION_PATTERN}, examples=["30m", "7d"]),
    AfterValidator(_duration),
]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Names = Annotated[list[Name], BeforeValidator(_split), Field(max_length=100)]
Limit = Annotated[int, Field(ge=0, le=1_000_000)]

Unit = Literal["person", "session"]
Period = Literal["day", "week", "month"]
ModelName = Literal[
    "first_touch",
    "last_touch",
    "last_non_direct",
    "linear",
    "time_decay",
    "position_based",
    "j_curve",
    "inverse_j",
    "custom",
    "markov",
    "shapley",
]
Touchpoint = Literal["device", "channel", "platform", "country", "source", "medium", "campaign"]


class Params(BaseModel):
    """Base of the parameter models: unknown fields and NaN/inf numbers are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class NoParams(Params):
    """No options."""


class SessionsParams(Params):
    """``wegweiser sessions``."""

    gap: Duration | None = Field(
        None,
        description="Inactivity that ends a session, e.g. 30m "
        "(default: the project's windows.session_gap_minutes).",
    )
    limit: Annotated[int, Field(ge=1, le=100_000)] = Field(
        20, description="Rows of the per-session table (earliest first)."
    )


class PhasesParams(Params):
    """``wegweiser phases``."""

    view: Literal[
        "current", "over-time", "transitions", "dwell", "nonlinear", "stuck", "episodes"
    ] = Field(
        "current",
        description="episodes: each person's phase episodes; any other view "
        "returns all six phase tables.",
    )
    period: Period = Field("week", description="Periods of over_time (UTC, weeks from Monday).")
    stuck_days: Annotated[float, Field(ge=0, le=MAX_DAYS)] | None = Field(
        None,
        description="Stuck: in the current phase for more than N days (default: "
        "windows.stuck_days).",
    )
    as_of: Annotated[str, Field(max_length=40)] | None = Field(
        None,
        description="Look at the data as of this date/time (a date: the end of that "
        "day). Default: the latest event.",
        examples=["2026-10-31"],
    )
    person: Names | None = Field(None, description="episodes: only these persons.")
    limit: Limit = Field(50, description="Rows of episodes and stuck (0: all).")


class PathsParams(Params):
    """``wegweiser paths``."""

    view: Literal["transitions", "top", "sankey", "steps", "match"] | None = Field(
        None, description="Default: top (match when pattern is given)."
    )
    start: Name | None = Field(
        None, description="Begin at each unit's first event matching this (top, sankey, steps)."
    )
    end: Name | None = Field(
        None, description="top: the steps up to each unit's first event matching this."
    )
    steps: Annotated[int, Field(ge=1, le=50)] | None = Field(
        None, description="Steps shown by sankey (default 5) and steps (default 10)."
    )
    max_length: Annotated[int, Field(ge=1, le=50)] = Field(
        10, description="top: longest path, in steps."
    )
    top: Annotated[int, Field(ge=1, le=10_000)] = Field(20, description="top: how many paths.")
    group: Annotated[
        list[Annotated[str, Field(max_length=400, json_schema_extra={"pattern": GROUP_PATTERN})]],
        BeforeValidator(_split),
        Field(max_length=100),
    ] = Field(
        default_factory=list, description="PATTERN=NAME: rename matching events (first rule wins)."
    )
    exclude: Names = Field(default_factory=list, description="Drop events matching these patterns.")
    collapse: bool = Field(False, description="Keep only the first of repeated consecutive events.")
    pattern: Annotated[str, Field(min_length=1, max_length=1000)] | None = Field(
        None, description="match: e.g. 'add_to_cart -> [^support_*]* -> order_completed'."
    )
    by: Unit = Field("person", description="Follow persons (all sessions) or sessions.")


class FunnelStepSpec(Params):
    """A funnel step as an object: event name, property filters, window since the previous
    step."""

    event: Name
    where: dict[Name, Annotated[str, Field(max_length=1000)]] | None = None
    within: Duration | None = None


class FunnelParams(Params):
    """``wegweiser funnel``."""

    steps: Annotated[
        list[Name | FunnelStepSpec], BeforeValidator(_split), Field(min_length=2, max_length=20)
    ] = Field(
        description="Events in funnel order (names, or objects with event/where/within).",
        examples=[["checkout_started", "order_completed"]],
    )
    mode: Literal["ordered", "strict", "unordered"] = "ordered"
    window: Duration | None = Field(
        None,
        description="Conversion window from the entry, "
        "inclusive (default: windows.conversion_days).",
    )
    step_window: (
        Annotated[str, Field(max_length=500, json_schema_extra={"pattern": STEP_WINDOW_PATTERN})]
        | None
    ) = Field(None, description="Max time since the previous step, per step: 2:1h,3:30m.")
    exclude: Names = Field(
        default_factory=list,
        description="Events that end an attempt when they come after the entry.",
    )
    where: Annotated[
        list[Annotated[str, Field(max_length=1000, json_schema_extra={"pattern": WHERE_PATTERN})]],
        Field(max_length=100),
    ] = Field(default_factory=list, description="Property filters of steps: step2:plan=pro.")
    by: Unit = Field("person", description="Count persons, or sessions.")
    breakdown: Annotated[Name, Field(json_schema_extra={"pattern": BREAKDOWN_PATTERN})] | None = (
        Field(
            None,
            description="channel, campaign, source, medium, "
            "device, platform, country, phase, property:KEY or "
            "trait:KEY.",
        )
    )
    attribution: Annotated[
        str, Field(max_length=20, json_schema_extra={"pattern": ATTRIBUTION_PATTERN})
    ] = Field(
        "first_touch",
        description="Whose breakdown value counts: first_touch, last_touch or step:K.",
    )
    dropped: Annotated[int, Field(ge=2, le=20)] | None = Field(
        None,
        description="Also list the units that reached step DROPPED-1 but not DROPPED "
        "(table dropped).",
    )
    limit: Limit = Field(100, description="With dropped: at most this many rows (0: all).")


class ConversionParams(Params):
    """``wegweiser conversion``."""

    events: Names | None = Field(
        None, description="Conversion events (default: the project's conversion_events)."
    )
    lookback: Duration | None = Field(
        None, description="Only count touchpoints this long before the conversion (default: all)."
    )


class RetentionParams(Params):
    """``wegweiser retention``."""

    cohort: Literal["first_event", "first_purchase"] = "first_event"
    period: Period = "week"
    kind: Literal["n_period", "unbounded"] = "n_period"
    return_event: Names | None = Field(
        None, description="Events that count as coming back (default: any event)."
    )
    max_periods: Annotated[int, Field(ge=0, le=1000)] = Field(
        12, description="Periods 0..N after the cohort period."
    )


class DropoffsParams(Params):
    """``wegweiser dropoffs``."""

    by: Touchpoint | None = Field(None, description="Break loops down by this column.")
    top: Annotated[int, Field(ge=1, le=10_000)] | None = Field(
        None, description="Rows per phase of where_instead (default 5) and loops (default 10)."
    )


class AttributionParams(Params):
    """``wegweiser attribution`` (``--paths`` files are a CLI matter: the API reads the
    store)."""

    model: ModelName = "markov"
    compare: bool = Field(False, description="All models side by side.")
    models: (
        Annotated[list[ModelName], BeforeValidator(_split), Field(min_length=1, max_length=20)]
        | None
    ) = Field(None, description="compare: these models (default: all but custom).")
    by: Literal["channel", "campaign"] = "channel"
    order: Annotated[int, Field(ge=1, le=4)] = Field(1, description="Markov chain order.")
    lookback_days: Annotated[int, Field(ge=1, le=MAX_DAYS)] | None = Field(
        None,
        description="Days before a conversion whose touches count (default: "
        "windows.attribution_lookback_days).",
    )
    half_life: Annotated[float, Field(gt=0, le=MAX_DAYS)] = Field(
        7.0, description="Time decay: days until a touch's weight halves."
    )
    position: (
        Annotated[
            list[Annotated[float, Field(ge=0, le=1)]],
            BeforeValidator(_split),
            Field(min_length=1, max_length=2),
        ]
        | None
    ) = Field(None, description="Position-based first,last shares, e.g. [0.4, 0.4].")
    weights: (
        Annotated[
            list[Annotated[float, Field(ge=0, le=1e6)]],
            BeforeValidator(_split),
            Field(min_length=1, max_length=100),
        ]
        | None
    ) = Field(
        None, description="Custom weights from the conversion backwards, e.g. [0.6, 0.3, 0.1]."
    )
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
        f"{MAX_BOOTSTRAP} on the server, use the Python API for more).",
    )
    seed: Annotated[int, Field(ge=0, le=2**32 - 1)] = Field(
        0, description="Random seed (bootstrap, Shapley sampling)."
    )


class JourneyMapParams(Params):
    """The journey map: phases x touchpoints."""

    by: Literal["channel", "event"] = Field(
        "channel", description="Touchpoint: the event's channel or its name."
    )
    top_events: Annotated[int, Field(ge=1, le=100)] = Field(
        3, description="Most frequent events listed per cell."
    )


class QuarantineParams(Params):
    """``wegweiser quarantine list``."""

    limit: Annotated[int, Field(ge=1, le=100_000)] = Field(
        50, description="At most this many rows."
    )
    reason: Name | None = Field(None, description="Only rows whose reason contains this.")
    source: Name | None = Field(None, description="Only rows whose source contains this.")


class MergesParams(Params):
    """``wegweiser identities merges``."""

    status: Literal["merged", "refused"] | None = None
    limit: Annotated[int, Field(ge=1, le=100_000)] = Field(
        50, description="At most this many rows."
    )


class IdentityParams(Params):
    """``wegweiser identities lookup``."""

    id: Annotated[str, Field(min_length=1, max_length=500)]


class ReplayParams(Params):
    """``wegweiser quarantine replay``."""

    model_config = ConfigDict(populate_by_name=True)

    mapping: Annotated[str, Field(max_length=2000)] | None = Field(
        None, alias="map", description="Rename columns: user_id=client_id,event=action."
    )
    reason: Name | None = Field(None, description="Only rows whose reason contains this.")


class DropParams(Params):
    """``wegweiser quarantine drop``: give ``reason``, ``ids`` or ``all``."""

    reason: Name | None = Field(None, description="Only rows whose reason contains this.")
    ids: (
        Annotated[
            list[Annotated[int, Field(ge=0, le=2**62)]], Field(min_length=1, max_length=100_000)
        ]
        | None
    ) = Field(None, description="Quarantine ids to drop.")
    all: bool = Field(False, description="Drop every quarantined row (with no reason/ids).")
