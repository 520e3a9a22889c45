"""The demo's simulated people (internal, for :mod:`wegweiser.events.demo`): a person, each
of their devices, a visit's tags, and the weighted picks the simulation draws from."""

from __future__ import annotations

from itertools import accumulate
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wegweiser.events._demo_personas import Persona

# visit: (channel, source, medium, campaign, referrer, explicit channel, device, platform)
_Visit = tuple[str, str | None, str | None, str | None, str | None, str | None, str | None, str]
_Picks = tuple[list[Any], list[float]]


class _Device:
    __slots__ = ("anon", "bought", "kind", "last_phase", "last_ts", "linked", "n", "platform")

    def __init__(self, anon: str, kind: str, platform: str) -> None:
        self.anon, self.kind, self.platform = anon, kind, platform
        self.linked = False  # has carried the user id (after its identify event)
        self.last_phase: str | None = None  # phase and time of its last phase-mapped event
        self.last_ts = -1
        self.n = 0
        self.bought = False  # carries a purchase event


class _Person:
    __slots__ = ("account", "app", "at_end", "bought_on", "country", "cw", "devices", "exposed",
                 "failed", "focus", "lang", "left", "opted", "orders", "path", "persona", "t",
                 "to_order", "uid", "variant")

    def __init__(self, persona: Persona, country: str, lang: str, devices: list[_Device],
                 uid: str | None, focus: str) -> None:
        self.persona, self.country, self.lang, self.devices = persona, country, lang, devices
        self.uid, self.focus = uid, focus  # uid: the account the person has or will create
        self.account = self.opted = persona.existing and uid is not None
        self.app = next((d for d in devices if d.platform != "web"), None)
        self.failed = False  # ran into the payment error loop
        self.orders = 0
        self.left = 0  # planned orders not made yet (the repeat-purchase truth)
        self.bought_on: list[_Device] = []  # the device of each order
        self.at_end = False  # the journey was cut by the end of the window, not ended
        self.to_order = 0  # visits until the first order
        self.exposed: tuple[str, ...] = ()  # effect channels the person sees
        self.t = 0  # time of the last event
        self.cw: dict[str, _Picks] = {}
        self.path: list[tuple[int, str]] = []  # (start, channel) of visits since the last order
        self.variant: str | None = None  # variant of the planted experiment, once exposed


def _picks(weights: dict[Any, float]) -> _Picks:
    return list(weights), list(accumulate(weights.values()))
