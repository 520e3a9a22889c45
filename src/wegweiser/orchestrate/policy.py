"""The delivery policy, in one place for every journey: time zone, quiet hours, frequency
caps, consent, the global control group, per-journey holdouts and random splits.

Pure functions over a person snapshot, the settings and the send history; the runtime asks
:func:`decide` right before each send, inside the transaction that records the send, so
two workers can never both take the last slot of a cap.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from wegweiser.events.consent import channel_allowed

if TYPE_CHECKING:
    from collections.abc import Sequence

    from wegweiser.orchestrate.person import Person
    from wegweiser.orchestrate.settings import Cap, ControlGroup, Delivery, QuietHours

#: Country (ISO 3166 alpha-2) -> time zone, for persons without a time zone trait. Countries
#: spanning several zones get their most populous one.
COUNTRY_ZONES = {
    "DE": "Europe/Berlin", "AT": "Europe/Vienna", "CH": "Europe/Zurich",
    "LI": "Europe/Vaduz", "LU": "Europe/Luxembourg", "NL": "Europe/Amsterdam",
    "BE": "Europe/Brussels", "FR": "Europe/Paris", "IT": "Europe/Rome", "ES": "Europe/Madrid",
    "PT": "Europe/Lisbon", "GB": "Europe/London", "UK": "Europe/London", "IE": "Europe/Dublin",
    "DK": "Europe/Copenhagen", "SE": "Europe/Stockholm", "NO": "Europe/Oslo",
    "FI": "Europe/Helsinki", "PL": "Europe/Warsaw", "CZ": "Europe/Prague",
    "SK": "Europe/Bratislava", "HU": "Europe/Budapest", "SI": "Europe/Ljubljana",
    "HR": "Europe/Zagreb", "RO": "Europe/Bucharest", "BG": "Europe/Sofia",
    "GR": "Europe/Athens", "TR": "Europe/Istanbul", "UA": "Europe/Kyiv",
    "US": "America/New_York", "CA": "America/Toronto", "MX": "America/Mexico_City",
    "BR": "America/Sao_Paulo", "AR": "America/Argentina/Buenos_Aires",
    "AU": "Australia/Sydney", "NZ": "Pacific/Auckland", "JP": "Asia/Tokyo",
    "CN": "Asia/Shanghai", "IN": "Asia/Kolkata", "SG": "Asia/Singapore",
    "AE": "Asia/Dubai", "IL": "Asia/Jerusalem", "ZA": "Africa/Johannesburg",
}

COUNTED = ("sending", "sent", "unknown")
"""Ledger states that use up a cap (an ``unknown`` message may have gone out)."""


def _zone(name: object) -> ZoneInfo | None:
    if not isinstance(name, str) or not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def person_zone(person: Person, delivery: Delivery) -> ZoneInfo:
    """The person's time zone: the time zone trait, else the country, else the default."""
    zone = _zone(person.traits.get(delivery.timezone_trait))
    if zone is None:
        country = person.country or person.traits.get("country")
        if isinstance(country, str):
            zone = _zone(COUNTRY_ZONES.get(country.strip().upper()))
    return zone or ZoneInfo(delivery.default_timezone)


def _minutes(moment: datetime) -> int:
    return moment.hour * 60 + moment.minute


def in_quiet_hours(at: datetime, zone: ZoneInfo, quiet: QuietHours | None) -> bool:
    """Whether the instant ``at`` lies in the quiet hours of the local clock of ``zone``
    (``start`` inclusive, ``end`` exclusive; a window may span midnight)."""
    if quiet is None:
        return False
    local = _minutes(at.astimezone(zone))
    start, end = _minutes_of(quiet.start), _minutes_of(quiet.end)
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def _minutes_of(clock: object) -> int:
    return int(clock.hour) * 60 + int(clock.minute)  # type: ignore[attr-defined]


def quiet_end(at: datetime, zone: ZoneInfo, quiet: QuietHours) -> datetime:
    """The first instant at or after ``at`` outside the quiet hours (DST gaps and folds
    included: the answer is checked on the local clock, not assumed)."""
    candidate = at.astimezone(UTC)
    for _ in range(3):
        if not in_quiet_hours(candidate, zone, quiet):
            return candidate
        local = candidate.astimezone(zone)
        end = local.replace(hour=quiet.end.hour, minute=quiet.end.minute, second=0,
                            microsecond=0, fold=0)
        if end <= local:
            end = (local + timedelta(days=1)).replace(
                hour=quiet.end.hour, minute=quiet.end.minute, second=0, microsecond=0, fold=0
            )
        candidate = max(_first_instant(end, zone, quiet), candidate + timedelta(minutes=1))
    while in_quiet_hours(candidate, zone, quiet):  # pathological zones: walk forward
        candidate += timedelta(minutes=1)
    return candidate


def _first_instant(wall: datetime, zone: ZoneInfo, quiet: QuietHours) -> datetime:
    """The instant of the local wall time ``wall`` (fold 0); when it falls in a DST gap (it
    does not exist: 02:15 on a night the clock jumps from 02:00 to 03:00), the first instant
    after the quiet hours within the gap's span, i.e. when the clock jumps (03:00), not the
    wall time read with the old offset (03:15)."""
    early, late = wall.replace(fold=1).astimezone(UTC), wall.replace(fold=0).astimezone(UTC)
    if early >= late:  # an ordinary wall time, or one that occurs twice (fold 0: the first)
        return late
    step = early
    while step < late and in_quiet_hours(step, zone, quiet):
        step += timedelta(minutes=1)
    return step


def _day_bounds(at: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    local = at.astimezone(zone)
    start = datetime(local.year, local.month, local.day, tzinfo=zone)
    nxt = start.replace(tzinfo=None) + timedelta(days=1)
    end = datetime(nxt.year, nxt.month, nxt.day, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def cap_free_at(
    history: Sequence[tuple[str, float]],
    channel: str,
    at: datetime,
    zone: ZoneInfo,
    caps: Sequence[Cap],
) -> datetime | None:
    """None if one more message on ``channel`` at ``at`` keeps every cap, else the earliest
    instant when it would. ``history``: ``(channel, epoch seconds)`` of counted sends."""
    moment = at
    for _ in range(64):
        later = None
        for cap in caps:
            if cap.channel not in ("*", channel):
                continue
            times = sorted(t for c, t in history if cap.channel == "*" or c == channel)
            if cap.per == "day":
                start, end = _day_bounds(moment, zone)
                n = sum(start.timestamp() <= t < end.timestamp() for t in times)
                free = end if n >= cap.max else None
            else:
                assert cap.window is not None
                window = cap.window.total_seconds()
                inside = [t for t in times if moment.timestamp() - window < t <= moment.timestamp()]
                if len(inside) >= cap.max:
                    oldest = inside[len(inside) - cap.max] if cap.max else moment.timestamp()
                    free = datetime.fromtimestamp(oldest + window, UTC) + timedelta(seconds=1)
                    if cap.max == 0:
                        free = datetime.max.replace(tzinfo=UTC)
                else:
                    free = None
            if free is not None and (later is None or free > later):
                later = free
        if later is None:
            return None if moment == at else moment
        if later.year >= 9999:
            return later
        moment = later
    return moment


def _share(*parts: str) -> float:
    """A number in [0, 1) fixed by ``parts`` (SHA-256): the same on every worker and run."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def in_control_group(person_id: str, control: ControlGroup) -> bool:
    """Whether the person belongs to the global control group (exempt from every journey)."""
    return control.share > 0 and _share("control", control.salt, person_id) < control.share


def in_holdout(journey: str, person_id: str, share: float) -> bool:
    return share > 0 and _share("holdout", journey, person_id) < share


def random_branch(journey: str, step: str, person_id: str, shares: Sequence[float]) -> int:
    """The branch index of a random split: fixed per (journey, step, person).

    >>> random_branch("j", "ab", "p1", [50, 50]) == random_branch("j", "ab", "p1", [50, 50])
    True
    """
    point = _share("split", journey, step, person_id) * sum(shares)
    total = 0.0
    for index, share in enumerate(shares):
        total += share
        if point < total:
            return index
    return len(shares) - 1


@dataclass(frozen=True)
class Decision:
    verdict: Literal["send", "defer", "drop", "suppress"]
    until: datetime | None = None
    reason: str = ""


def consented(person: Person, channel: str, delivery: Delivery, unsubscribed: bool) -> bool:
    """No consent, no send. The person must not have unsubscribed from the channel; then
    the channel's consent trait (``delivery.consent``) and consent categories
    (``delivery.consent_categories``) decide: any withdrawal wins, else the trait true or
    every category true is consent, and no information is none
    (:func:`wegweiser.events.consent.channel_allowed`)."""
    if unsubscribed:
        return False
    trait = delivery.consent.get(channel)
    return channel_allowed(
        person.consent, person.traits.get(trait) if trait else None,
        delivery.consent_categories.get(channel, ()), has_trait=bool(trait))


def decide(
    person: Person,
    channel: str,
    at: datetime,
    delivery: Delivery,
    history: Sequence[tuple[str, float]],
    *,
    unsubscribed: bool = False,
) -> Decision:
    """Send now, defer until a time, drop (quiet hours with ``mode = "drop"``), or suppress
    (no consent)."""
    if not consented(person, channel, delivery, unsubscribed):
        return Decision("suppress", reason=f"no consent for {channel}")
    zone = person_zone(person, delivery)
    quiet = delivery.quiet_hours
    if quiet is not None and in_quiet_hours(at, zone, quiet):
        if quiet.mode == "drop":
            return Decision("drop", reason="quiet hours")
        return Decision("defer", until=quiet_end(at, zone, quiet), reason="quiet hours")
    free = cap_free_at(history, channel, at, zone, delivery.caps)
    if free is not None:
        if quiet is not None and in_quiet_hours(free, zone, quiet):
            free = quiet_end(free, zone, quiet)
        return Decision("defer", until=free, reason="frequency cap")
    return Decision("send")
