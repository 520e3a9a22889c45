"""Funnel steps and options, checked once (internal; see :mod:`wegweiser.analysis.funnels`)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Literal, cast

from wegweiser.analysis.filters import Condition, describe
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

Mode = Literal["ordered", "strict", "unordered"]
Unit = Literal["person", "session"]
Entry = Literal["any", "first"]

MODES: tuple[str, ...] = ("ordered", "strict", "unordered")
UNITS: tuple[str, ...] = ("person", "session")
ENTRIES: tuple[str, ...] = ("any", "first")
BREAKDOWN_COLUMNS: tuple[str, ...] = (
    "channel", "campaign", "source", "medium", "device", "platform", "country", "phase",
)
MAX_STEPS = 20


@dataclass(frozen=True)
class FunnelStep:
    """One funnel step: an event name, optional property filters and an optional window.

    ``where`` keeps only events whose JSON ``properties`` have each key equal to the given
    text (a JSON string compares by its value, a number or boolean by its JSON text, so
    ``{"step": "3"}`` matches ``{"step": 3}``). ``within`` bounds the time since the previous
    step (inclusive); it cannot be set on the first step.

    >>> FunnelStep("checkout_payment", where={"method": "card"}).label
    'checkout_payment [method=card]'
    """

    event: str
    where: Mapping[str, str] | None = None
    within: timedelta | None = None
    conditions: tuple[Condition, ...] = ()

    @property
    def label(self) -> str:
        shown = [f"{k}={v}" for k, v in (self.where or {}).items()]
        shown += [describe(c.model_copy(update={"step": None})).removeprefix("property:")
                  for c in self.conditions]
        return f"{self.event} [{', '.join(shown)}]" if shown else self.event

    @property
    def tests(self) -> tuple[Condition, ...]:
        """Every filter of the step as conditions (``where`` keys are property keys)."""
        plain = tuple(Condition(field="property", key=k, op="=", value=str(v), step=None)
                      for k, v in (self.where or {}).items())
        return plain + self.conditions

    def key(self) -> tuple[str, tuple[str, ...]]:
        return self.event, tuple(sorted(describe(c) for c in self.tests))


@dataclass(frozen=True)
class Spec:
    steps: tuple[FunnelStep, ...]
    mode: Mode
    window: timedelta
    step_windows: tuple[timedelta | None, ...]
    exclude: tuple[str, ...]
    by: Unit
    breakdown: str | None
    attribution: str
    params: dict[str, object] = field(default_factory=dict)
    entry: Entry = "any"

    @property
    def n(self) -> int:
        return len(self.steps)

    @property
    def attributed_step(self) -> int | None:
        """0-based step of ``step:<k>`` attribution, else None."""
        if self.attribution.startswith("step:"):
            return int(self.attribution[5:]) - 1
        return None


def make_spec(
    steps: Sequence[str | FunnelStep],
    *,
    mode: str,
    window: timedelta,
    step_windows: Sequence[timedelta | None] | None,
    exclude: Sequence[str] | None,
    by: str,
    breakdown: str | None,
    attribution: str,
    entry: str = "any",
) -> Spec:
    """Check the options; every problem is an :class:`InvalidInput` saying what to do."""
    if isinstance(steps, str):
        raise InvalidInput(f"steps must be a list of events, not the text {steps!r}; "
                           "pass e.g. ['product_view', 'add_to_cart']")
    norm = tuple(s if isinstance(s, FunnelStep) else FunnelStep(str(s)) for s in steps)
    if len(norm) < 2 or len(norm) > MAX_STEPS:
        raise InvalidInput(f"a funnel needs 2 to {MAX_STEPS} steps, got {len(norm)}; "
                           "pass the events in order, e.g. --steps product_view,add_to_cart")
    if any(not s.event for s in norm):
        raise InvalidInput("a funnel step has an empty event name; name every step")
    if mode not in MODES:
        raise InvalidInput(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    if entry not in ENTRIES:
        raise InvalidInput(f"entry must be 'any' (every step-1 event starts an attempt) or "
                           f"'first' (only the first one), not {entry!r}")
    if by not in UNITS:
        raise InvalidInput(f"by must be 'person' or 'session', not {by!r}")
    if window < timedelta(0):
        raise InvalidInput(f"the conversion window must not be negative, got {window}")
    windows = _step_windows(norm, step_windows)
    if mode == "unordered":
        if any(w is not None for w in windows):
            raise InvalidInput("per-step windows need an order; use mode 'ordered' or 'strict'")
        keys = [s.key() for s in norm]
        if len(set(keys)) < len(keys):
            raise InvalidInput("an unordered funnel cannot repeat a step; drop the repeat")
    excluded = tuple(dict.fromkeys(e.strip() for e in exclude or () if e.strip()))
    clash = sorted(set(excluded) & {s.event for s in norm})
    if clash:
        raise InvalidInput(f"{', '.join(clash)} is both a step and an exclusion; remove it "
                           "from one of them")
    _check_breakdown(breakdown)
    _check_attribution(attribution, len(norm))
    params: dict[str, object] = {
        "steps": [s.label for s in norm], "mode": mode,
        "window_seconds": window.total_seconds(),
        "step_window_seconds": [None if w is None else w.total_seconds() for w in windows],
        "exclude": list(excluded), "by": by, "breakdown": breakdown, "attribution": attribution,
        "entry": entry,
    }
    return Spec(norm, cast("Mode", mode), window, windows, excluded, cast("Unit", by), breakdown,
                attribution, params, cast("Entry", entry))


def _step_windows(
    steps: tuple[FunnelStep, ...], given: Sequence[timedelta | None] | None
) -> tuple[timedelta | None, ...]:
    if given is not None and len(given) != len(steps):
        raise InvalidInput(f"step_windows needs one entry per step ({len(steps)}, None for no "
                           f"window), got {len(given)}")
    out: list[timedelta | None] = []
    for k, step in enumerate(steps):
        listed = given[k] if given is not None else None
        if listed is not None and step.within is not None and listed != step.within:
            raise InvalidInput(f"step {k + 1} has two windows ({listed} and {step.within}); "
                               "give one")
        w = listed if listed is not None else step.within
        if w is not None and k == 0:
            raise InvalidInput("the first step cannot have a step window (it has no previous "
                               "step); use the conversion window")
        if w is not None and w < timedelta(0):
            raise InvalidInput(f"the window of step {k + 1} must not be negative, got {w}")
        out.append(w)
    return tuple(out)


def _check_breakdown(breakdown: str | None) -> None:
    if breakdown is None:
        return
    for prefix in ("property:", "trait:"):
        if breakdown.startswith(prefix):
            if not breakdown[len(prefix):]:
                raise InvalidInput(f"name the key after {prefix!r}, e.g. {prefix}plan")
            return
    if breakdown not in BREAKDOWN_COLUMNS:
        close = difflib.get_close_matches(breakdown, BREAKDOWN_COLUMNS, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise InvalidInput(
            f"cannot break down by {breakdown!r}: use one of {', '.join(BREAKDOWN_COLUMNS)}, "
            f"property:<key> or trait:<key>.{hint}"
        )


def _check_attribution(attribution: str, n: int) -> None:
    if attribution in ("first_touch", "last_touch"):
        return
    if attribution.startswith("step:") and attribution[5:].isdigit():
        if 1 <= int(attribution[5:]) <= n:
            return
        raise InvalidInput(f"{attribution!r}: the funnel has steps 1 to {n}")
    raise InvalidInput(f"attribution must be first_touch, last_touch or step:<k> (k = 1..{n}), "
                       f"not {attribution!r}")
