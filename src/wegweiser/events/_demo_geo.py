"""The demo's geo holdout (internal; ``generate(..., geo_holdout=True)``).

A media experiment: online video is switched off in Austria and Switzerland for four weeks
(``GEO_HOLDOUT``) while it runs on in the other countries. In the holdout, at those times:

* no visit comes from video -- a visit the simulation draws from it comes ``direct``, so it
  costs nothing (the demo's costs follow the tracked touches);
* video's planted effect is gone: a video-exposed person buys at the decision with 1.4x the
  chance (``CHANNEL_EFFECTS["video"]``), so without video ``1 - 1/1.4`` of their online
  orders do not happen. Each such order is lost with that chance, drawn from the holdout's
  own random stream; the person then leaves (buys elsewhere).

``truth["geo_holdout"]`` records the definition and what was lost: orders and revenue, by
the holdout's own count -- the incremental effect of video in the holdout that a readout
should find again (``wegweiser experiment_geo``).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING, Any

from wegweiser.events import _demo_planted as _planted

if TYPE_CHECKING:
    from wegweiser.events._demo_people import _Person

__all__ = ["GEO_HOLDOUT", "Holdout"]

_DAY_US = 86_400_000_000

GEO_HOLDOUT: dict[str, Any] = {
    "name": "video_off_alps",
    "channel": "video",
    "geo": "country",
    "holdout": ["AT", "CH"],
    "weeks": 4,
    "lost_share": round(1 - 1 / _planted.CHANNEL_EFFECTS["video"]["conversion_multiplier"], 6),
}


class Holdout:
    """The holdout's state during one simulation run: its period and what it lost."""

    def __init__(self, seed: int, t0: int, n_days: int) -> None:
        self.rng = random.Random(f"{seed}:geo_holdout")
        self.first_day = max(n_days // 2, n_days - 7 * GEO_HOLDOUT["weeks"] - 7)
        self.last_day = min(self.first_day + 7 * GEO_HOLDOUT["weeks"], n_days)  # exclusive
        self.start, self.end = t0 + self.first_day * _DAY_US, t0 + self.last_day * _DAY_US
        self.t0 = t0
        self.planted = False  # generate(geo_holdout=True) plants it
        self.lost_orders = 0
        self.lost_revenue = 0.0
        self.switched_visits = 0
        self.leaving: _Person | None = None  # who lost an order last (and leaves)

    def on(self, p: _Person, t: int) -> bool:
        """Whether the channel is off for person ``p`` at time ``t``."""
        return (self.planted and p.country in GEO_HOLDOUT["holdout"]
                and self.start <= t < self.end)

    def switch(self, p: _Person, channel: str, t: int) -> str:
        """The channel of a visit at ``t``: ``direct`` instead of the switched-off one."""
        if channel == GEO_HOLDOUT["channel"] and self.on(p, t):
            self.switched_visits += 1
            return "direct"
        return channel

    def lose(self, p: _Person, t: int, value: float) -> bool:
        """Whether an online order (worth ``value``) at ``t`` is lost for want of video."""
        if GEO_HOLDOUT["channel"] not in p.exposed or not self.on(p, t):
            return False
        if self.rng.random() >= GEO_HOLDOUT["lost_share"]:
            return False
        self.lost_orders += 1
        self.lost_revenue += value
        self.leaving = p
        return True

    def gone(self, p: _Person) -> bool:
        """Whether ``p`` lost an order to the holdout (and left to buy elsewhere)."""
        return p is self.leaving

    def truth(self) -> dict[str, Any]:
        start = dt.datetime.fromtimestamp(self.t0 / 1_000_000, tz=dt.UTC).date()
        return {
            **GEO_HOLDOUT,
            "start": (start + dt.timedelta(days=self.first_day)).isoformat(),
            "end": (start + dt.timedelta(days=self.last_day)).isoformat(),
            "end_is": "exclusive",
            "lost_orders": self.lost_orders,
            "lost_revenue": round(self.lost_revenue, 2),
            "switched_visits": self.switched_visits,
            "meaning": (
                "Video is off in the holdout countries from start to end (exclusive): its "
                "visits come direct, and each online order of a video-exposed person there is "
                "lost with lost_share (the planted conversion multiplier 1.4); lost_orders and "
                "lost_revenue are the incremental conversions and revenue of video in the "
                "holdout that a readout should find."
            ),
        }
