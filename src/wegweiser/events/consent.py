"""Consent categories per person, and whether a channel may be used.

Where consent comes from (latest wins, per category, by event time):

* Segment's consent object on **any** event: ``context.consent.categoryPreferences``, a
  mapping of category ids (``Advertising``, ``Analytics``, ``Functional``, ``Marketing``,
  ...) to booleans. Events without it, or with an empty one, change nothing.
* A trait (``[privacy] consent_trait``, default ``consent``) on ``identify`` events holding
  the same mapping.
* ``POST /api/v1/persons/{id}/consent`` and ``wegweiser consent set``, which record a
  ``Segment Consent Preference Updated`` track event with the consent object, so the change
  flows through the store like every other event.

Per channel (:func:`channel_allowed`), the delivery settings name the consent trait
(``consent``, as before) and the categories (``consent_categories``) that govern it:

1. an explicit withdrawal always wins: the trait false, or any of the channel's categories
   false, means no send;
2. otherwise the channel needs a grant: the trait true, or every one of its categories true;
3. no information is no consent (as before for the trait);
4. a channel with neither a trait nor categories (a webhook to your own system) needs none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

CONSENT_EVENT = "Segment Consent Preference Updated"
"""The event :func:`consent_event` records (Segment's name for a consent change)."""

_TRUE = ("true", "yes", "1")
_FALSE = ("false", "no", "0")


def flag(value: object) -> bool | None:
    """A consent value as True, False or None (unknown).

    >>> [flag(v) for v in (True, "yes", False, "No", None, "maybe", 1)]
    [True, True, False, False, None, None, None]
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        low = value.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
    return None


def preferences(context: Mapping[str, Any] | None, traits: Mapping[str, Any] | None = None,
                *, trait: str | None = "consent") -> dict[str, bool]:
    """The categories one event states: from ``context.consent.categoryPreferences`` and,
    for ``identify`` events, from the trait ``trait`` (the context counts last).

    >>> preferences({"consent": {"categoryPreferences": {"Marketing": False, "X": "?"}}})
    {'Marketing': False}
    >>> preferences({}, {"consent": {"Analytics": "true"}})
    {'Analytics': True}
    """
    found: dict[str, bool] = {}
    sources: list[object] = []
    if trait and traits:
        sources.append(traits.get(trait))
    if context:
        consent = context.get("consent")
        if isinstance(consent, Mapping):
            sources.append(consent.get("categoryPreferences"))
    for source in sources:
        if isinstance(source, Mapping):
            for category, value in source.items():
                known = flag(value)
                if known is not None and isinstance(category, str) and category:
                    found[category] = known
    return found


def fold(history: Iterable[Mapping[str, bool]]) -> dict[str, bool]:
    """The consent state after ``history`` (the stated categories of each event, oldest
    first): per category, the latest statement wins.

    >>> fold([{"Marketing": True, "Analytics": True}, {"Marketing": False}, {}])
    {'Marketing': False, 'Analytics': True}
    """
    state: dict[str, bool] = {}
    for stated in history:
        state.update(stated)
    return state


def channel_allowed(consent: Mapping[str, bool], trait_value: object,
                    categories: Sequence[str], *, has_trait: bool) -> bool:
    """Whether a channel may be used (the rules of the module docstring).

    >>> channel_allowed({}, True, ["Marketing"], has_trait=True)
    True
    >>> channel_allowed({"Marketing": False}, True, ["Marketing"], has_trait=True)
    False
    >>> channel_allowed({"Marketing": True}, None, ["Marketing"], has_trait=True)
    True
    >>> channel_allowed({}, None, ["Marketing"], has_trait=True)
    False
    >>> channel_allowed({}, None, [], has_trait=False)
    True
    """
    if not has_trait and not categories:
        return True
    by_trait = flag(trait_value) if has_trait else None
    stated = [consent.get(c) for c in categories]
    if by_trait is False or any(v is False for v in stated):
        return False
    return by_trait is True or (bool(categories) and all(v is True for v in stated))


def consent_event(user_id: str | None, anonymous_id: str | None,
                  categories: Mapping[str, bool], *, timestamp: str,
                  message_id: str, source: str) -> dict[str, Any]:
    """A Segment track event recording a consent change (``source``: who recorded it)."""
    return {
        "type": "track", "event": CONSENT_EVENT, "userId": user_id, "anonymousId": anonymous_id,
        "timestamp": timestamp, "messageId": message_id,
        "properties": {"source": source},
        "context": {"consent": {"categoryPreferences": dict(categories)}},
    }
