"""Event names given to an analysis must occur in the data (internal).

A typo in a funnel step, a path's start or end, a pattern, a conversion or a return event
would otherwise give a table of zeros. :func:`check_event_names` raises
:class:`~wegweiser.errors.InvalidInput` with "Did you mean …?" (closest names present, by
:mod:`difflib`) instead, so every face (CLI, API, dashboard, report) says the same.

A name is present when an event of the journey has exactly that name; with
``patterns=True`` a glob (``checkout_*``, ``?``) or ``re:<regex>`` is present when it
matches at least one event name, with the semantics of the paths analysis. An empty journey
is not checked (there is nothing to compare with; the analysis returns empty tables).
Within :func:`names_from` (the registry's date range, filters and segments), names are
checked against the whole journey: a name that exists but not in the range gives zeros.

>>> import ibis
>>> journey = ibis.memtable({"event": ["product_viewed", "order_completed"]})
>>> check_event_names(journey, ["order_complete"], what="funnel step 2")
Traceback (most recent call last):
...
wegweiser.errors.InvalidInput: no event named 'order_complete' in the data (funnel step 2). Did you mean 'order_completed'?
"""  # noqa: E501

from __future__ import annotations

import contextlib
import difflib
import re
from contextvars import ContextVar
from typing import TYPE_CHECKING

from wegweiser.analysis.result import to_frame
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    import ibis.expr.types as ir

__all__ = ["check_event_names", "conversion_hint", "event_names", "names_from"]

_SHOWN = 8
#: words of event names that look like a conversion (English and German exports)
_BUYING = re.compile(r"purchas|order|checkout|buy|bought|transaction|payment_succe|"
                     r"kauf|bestell|zahlung", re.IGNORECASE)
_WHOLE: ContextVar[Callable[[], list[str]] | None] = ContextVar("whole_journey", default=None)


@contextlib.contextmanager
def names_from(journey: Callable[[], ir.Table]) -> Iterator[None]:
    """Inside, names are checked against ``journey()`` (read once, when first needed)."""
    cache: list[list[str]] = []

    def names() -> list[str]:
        if not cache:
            cache.append(_distinct(journey()))
        return cache[0]

    token = _WHOLE.set(names)
    try:
        yield
    finally:
        _WHOLE.reset(token)


def event_names(journey: ir.Table) -> list[str]:
    """The distinct event names of ``journey``, sorted (one small query); inside
    :func:`names_from`, those of the whole journey."""
    whole = _WHOLE.get()
    return whole() if whole is not None else _distinct(journey)


def _distinct(journey: ir.Table) -> list[str]:
    names = to_frame(journey.select("event").distinct())["event"]
    return sorted(str(n) for n in names if isinstance(n, str))


def check_event_names(
    journey: ir.Table, names: Iterable[str | None], *, what: str,
    also: Iterable[str] = (), patterns: bool = False, present: Iterable[str] | None = None,
) -> None:
    """Raise :class:`InvalidInput` for the first of ``names`` (None skipped) that no event of
    ``journey`` has. ``what`` says where the name was given ("funnel step 2"); ``also`` are
    further valid names (e.g. group names of the paths analysis); ``present`` the journey's
    names when the caller has them already."""
    wanted = [n for n in names if n is not None]
    if not wanted:
        return
    known = sorted(set(event_names(journey) if present is None else present) | set(also))
    if not known:
        return
    for name in wanted:
        if not _found(name, known, patterns=patterns):
            raise InvalidInput(_message(name, known, what))


def _found(name: str, known: list[str], *, patterns: bool) -> bool:
    if not patterns:
        return name in known
    if name.startswith("re:"):
        regex = re.compile(name[3:])
    elif "*" in name or "?" in name:
        from wegweiser.analysis.phases import glob_regex  # phases registers an analysis

        regex = re.compile(glob_regex(name))
    else:
        return name in known
    return any(regex.search(k) for k in known)


def _message(name: str, known: list[str], what: str) -> str:
    text = f"no event named {name!r} in the data ({what})."
    close = difflib.get_close_matches(name.removeprefix("re:"), known, n=3, cutoff=0.6)
    if close:
        return text + " Did you mean " + " or ".join(repr(c) for c in close) + "?"
    shown = ", ".join(known[:_SHOWN]) + (", …" if len(known) > _SHOWN else "")
    return text + f" Event names in the data: {shown}."


def conversion_hint(present: Iterable[str], conversion_events: Iterable[str]) -> str:
    """Why every conversion figure will be 0, or ``""`` when one of ``conversion_events``
    (the project's setting) is among the event names ``present`` in the data (or there are
    none yet).

    Named look-alikes are the present names equal to a conversion event up to case, spaces
    and dashes (Segment's spec name ``Order Completed``) or holding a word of buying.

    >>> conversion_hint(["home", "purchase"], ["order_completed", "store_purchase"])
    'none of the conversion events (order_completed, store_purchase) occurs in the data, so \
conversions, revenue and attribution are 0: set conversion_events in wegweiser.toml, e.g. \
conversion_events = ["purchase"]'
    >>> conversion_hint(["purchase"], ["purchase"])
    ''
    """
    names = sorted(set(present))
    wanted = list(dict.fromkeys(conversion_events))
    if not names or set(wanted) & set(names):
        return ""
    own = {_folded(w) for w in wanted}
    alike = [n for n in names if _folded(n) in own] or [n for n in names if _BUYING.search(n)]
    events = ", ".join(wanted) if wanted else "none set"
    text = (f"none of the conversion events ({events}) occurs in the data, so conversions, "
            "revenue and attribution are 0: set conversion_events in wegweiser.toml")
    if not alike:
        return text + " to the events that count as a conversion"
    shown = ", ".join(f'"{n}"' for n in alike[:3])
    return text + f", e.g. conversion_events = [{shown}]"


def _folded(name: str) -> str:
    return re.sub(r"[\s_\-]+", "_", name.strip().lower())
