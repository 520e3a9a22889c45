"""When a message with ``send_at = "best_time"`` goes out: one function,
:func:`best_send_time`, that the runtime (and so the dry run) asks.

This first version returns the fallback time: the delivery settings' ``default_send_time``
(10:00 unless set) in the person's time zone, its next occurrence after ``now`` (so always
within 24 hours). A learned per-person model replaces the body; the signature stays.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from wegweiser.orchestrate.policy import person_zone
from wegweiser.orchestrate.waits import next_local_time

if TYPE_CHECKING:
    from wegweiser.orchestrate.person import Person
    from wegweiser.orchestrate.settings import Delivery

__all__ = ["best_send_time"]


def best_send_time(person: Person, channel: str, now: datetime, *,
                   delivery: Delivery) -> datetime:
    """The instant (UTC) within the 24 hours after ``now`` at which ``channel`` reaches
    ``person`` best. The delivery policy (quiet hours, caps, consent) still applies at that
    instant.

    >>> from wegweiser.orchestrate.person import Person
    >>> from wegweiser.orchestrate.settings import Delivery
    >>> at = best_send_time(Person("p", traits={"timezone": "Europe/Berlin"}), "email",
    ...                     datetime(2026, 6, 1, 12, tzinfo=UTC), delivery=Delivery())
    >>> at.isoformat()
    '2026-06-02T08:00:00+00:00'
    """
    del channel  # the fallback is the same on every channel
    zone = person_zone(person, delivery)
    start = now.timestamp() if now.tzinfo else now.replace(tzinfo=UTC).timestamp()
    instant = next_local_time(start, zone, delivery.default_send_time)
    return datetime.fromtimestamp(instant, UTC)
