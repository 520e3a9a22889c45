"""The touchpoint catalogue: named touchpoints defined by rules over the journey's events.

A **touchpoint** is a name, a rule -- one or more conditions of the filter grammar
(:mod:`wegweiser.analysis.filters`), all of which an event must satisfy to be an experience
of the touchpoint -- and what is known about it: ``controlled`` (the company controls it, or
only indirectly), the stated ``importance`` (1-5) and a competitor ``benchmark`` (0-1).

The catalogue is ``[[touchpoints]]`` in ``wegweiser.toml``. Without one, it is derived from
the data (:func:`default_catalogue`): one touchpoint per **channel** (``channel=<c>``) and one
per **key event** -- an event named literally (not a pattern) in a phase's rules that is not
a conversion event and occurs in the journey, e.g. ``video_view`` or ``review_read``.
Derived channel touchpoints count as controlled unless the channel is one of
:data:`INDIRECT_CHANNELS` (social media, review sites, referrals, resellers).

:func:`touchpoint_condition` gives one touchpoint's conditions by name, so that other parts
(e.g. watching a fix) can refer to touchpoints the same way.

>>> from wegweiser.config import parse_config
>>> config = parse_config('[[touchpoints]]\\nname = "Videos"\\nrule = "channel=video"')
>>> [describe(c) for c in touchpoint_condition(config, "Videos")]
['channel=video']
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import ibis

from wegweiser.analysis.filters import Condition, describe, matches, parse
from wegweiser.analysis.result import to_frame
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from wegweiser.config import Config

__all__ = [
    "INDIRECT_CHANNELS",
    "Touchpoint",
    "catalogue",
    "default_catalogue",
    "experienced",
    "touchpoint_condition",
]

#: channels a company influences only indirectly (derived touchpoints: ``controlled`` False)
INDIRECT_CHANNELS = frozenset({"social", "review_site", "referral", "affiliate", "organic_search"})
#: at most this many touchpoints are derived from the data (the most reached first)
MAX_DERIVED = 30


@dataclass(frozen=True)
class Touchpoint:
    """One touchpoint: ``name``, its ``conditions`` (all must hold) and what is stated."""

    name: str
    conditions: tuple[Condition, ...]
    controlled: bool = True
    importance: float | None = None
    benchmark: float | None = None
    derived: bool = False

    @property
    def rule(self) -> str:
        """The conditions in their text form, joined by ``AND``."""
        return " AND ".join(describe(c) for c in self.conditions)

    @property
    def channels(self) -> frozenset[str]:
        """The channels a rule names with ``channel =`` or ``channel in`` (else empty)."""
        out: set[str] = set()
        for c in self.conditions:
            if c.field == "channel" and c.op in ("=", "in"):
                out.update(c.values)
        return frozenset(out)


def _configured(config: Config) -> list[Touchpoint]:
    out = []
    for i, t in enumerate(config.touchpoints):
        conds = []
        for text in t.rules:
            try:
                cond = parse(text)
            except InvalidInput as exc:
                raise InvalidInput(
                    f"touchpoints[{i}] ({t.name!r}) in wegweiser.toml: the rule {text!r} "
                    f"does not read: {exc}"
                ) from None
            if cond.field == "trait" or cond.step is not None:
                raise InvalidInput(
                    f"touchpoints[{i}] ({t.name!r}) in wegweiser.toml: the rule {text!r} must "
                    "test an event (event, channel, device, property:KEY, ...), not a person "
                    "trait or a funnel step"
                )
            conds.append(cond)
        out.append(Touchpoint(t.name, tuple(conds), t.controlled, t.importance, t.benchmark))
    return out


def default_catalogue(journey: ir.Table, config: Config) -> list[Touchpoint]:
    """Touchpoints derived from the data (module docstring), the most reached first."""
    literal = {e for p in config.phases for e in p.events if not any(ch in e for ch in "*?[")}
    key_events = literal - set(config.conversion_events) - set(config.feedback.events)
    reach = journey.group_by(kind=ibis.literal("channel"), name=journey.channel).agg(
        persons=journey.person_id.nunique()
    )
    events = journey.filter(journey.event.isin(sorted(key_events) or [""]))
    reach_e = events.group_by(kind=ibis.literal("event"), name=events.event).agg(
        persons=events.person_id.nunique()
    )
    frame = to_frame(ibis.union(reach, reach_e, distinct=False))
    frame = frame[frame["name"].notna()].sort_values(
        ["persons", "kind", "name"], ascending=[False, True, True]
    )
    out = []
    for kind, name in frame[["kind", "name"]].head(MAX_DERIVED).itertuples(index=False):
        cond = Condition(field=kind, key=None, op="=", value=str(name), step=None)
        controlled = kind == "event" or name not in INDIRECT_CHANNELS
        label = f"{kind}: {name}"
        out.append(Touchpoint(label, (cond,), controlled=controlled, derived=True))
    return out


def catalogue(config: Config, journey: ir.Table | None = None) -> list[Touchpoint]:
    """The project's touchpoints: the configured ones, else derived from ``journey``."""
    configured = _configured(config)
    if configured or journey is None:
        return configured
    return default_catalogue(journey, config)


def touchpoint_condition(
    config: Config, name: str, journey: ir.Table | None = None,
    *, touchpoints: list[Touchpoint] | None = None,
) -> list[Condition]:
    """The conditions of the touchpoint ``name`` (configured, or derived from ``journey``
    when the project configures none; ``touchpoints``: that catalogue, built already); an
    unknown name raises :class:`InvalidInput`."""
    listed = touchpoints if touchpoints is not None else catalogue(config, journey)
    found = {t.name: t for t in listed}
    if name in found:
        return list(found[name].conditions)
    close = difflib.get_close_matches(name, list(found), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    known = ", ".join(map(repr, found)) or "none (add [[touchpoints]] to wegweiser.toml)"
    raise InvalidInput(f"unknown touchpoint {name!r}; the catalogue has {known}.{hint}")


def experienced(journey: ir.Table, touchpoint: Touchpoint) -> ir.BooleanValue:
    """Whether an event of ``journey`` is an experience of ``touchpoint`` (never NULL)."""
    return ibis.and_(*[matches(journey, c) for c in touchpoint.conditions])
