"""The demo's emerging group (internal; ``generate(..., emerging=True)``).

The seeds' example of personas changing over time: older customers who used to buy in the
store start shopping online in the later weeks and turn hybrid -- the shop's app on a
tablet during the day, push messages, and still the store. They are
simulated after everyone else (so the other persons' events stay exactly as without them),
``SHARE`` of the persons, each starting on a random day of the last ``1 - FROM`` of the
window. ``truth["emerging"]`` records who and from when; their ``persona_of`` entries say
``online_seniors``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from wegweiser.events._demo_personas import Persona

if TYPE_CHECKING:
    from wegweiser.events.demo import _Sim

__all__ = ["EMERGING", "FROM", "SHARE", "plant"]

SHARE = 0.15  # emerging persons per simulated person
FROM = 0.6  # they start in the last 40% of the window
_DAYTIME = (
    0.1,
    0.1,
    0.1,
    0.1,
    0.2,
    0.4,
    1.5,
    3,
    5,
    6,
    6,
    5,
    4,
    4.5,
    5,
    5,
    4.5,
    4,
    3,
    2,
    1.2,
    0.8,
    0.4,
    0.2,
)

EMERGING = Persona(
    name="online_seniors",
    profile=(
        "Older store customers who begin shopping online in the later weeks and turn hybrid: "
        "the shop's app on a phone or tablet during the day, push messages, and they still "
        "visit and buy in the store."
    ),
    share=0.0,
    devices={"mobile": 0.7, "tablet": 0.3},
    app=1.0,
    channels={"push": 0.4, "store": 0.3, "email": 0.1, "direct": 0.1, "organic_search": 0.1},
    exposure={},
    n_devices=(0.7, 0.3, 0.0),
    need=5.0,
    depth=2.0,
    gap_days=2.5,
    event_gap_s=35.0,
    buy=0.6,
    identifies=0.97,
    orders=(0.3, 0.4, 0.3),
    order_value=1.1,
    hours=_DAYTIME,
    review=0.1,
    referral=0.05,
    loyalty=0.3,
    countries={"DE": 0.75, "AT": 0.15, "CH": 0.1},
    store_buy=0.4,
    existing=True,
)


def plant(sim: _Sim, persons: int) -> dict[str, Any]:
    """Simulate the emerging group after ``persons`` regular persons; its truth entry."""
    n = round(persons * SHARE)
    first_day = int(sim.n_days * FROM)
    sim.register(EMERGING)
    before = set(sim.persona_of)
    for idx in range(persons, persons + n):
        sim.person(idx, EMERGING, first_day)
    keys = sorted(set(sim.persona_of) - before)
    start = dt.datetime.fromtimestamp(sim.t0 / 1_000_000, tz=dt.UTC).date()
    return {
        "persona": EMERGING.name,
        "profile": EMERGING.profile,
        "persons": n,
        "from": (start + dt.timedelta(days=first_day)).isoformat(),
        "keys": keys,
    }
