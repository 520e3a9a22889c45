"""The planted truth of the demo (internal; see :mod:`wegweiser.events.demo`): what one
simulated person adds to it, the truth dictionary, and the files the demo writes."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pyarrow.parquet as pq

from wegweiser.config import default_config
from wegweiser.events import _demo_channels as _channels
from wegweiser.events import _demo_feedback as _feedback
from wegweiser.events import _demo_personas as pers
from wegweiser.events import _demo_planted as _planted
from wegweiser.events import _demo_shop as _shop

if TYPE_CHECKING:
    import datetime as dt

    from wegweiser.events._demo_people import _Person
    from wegweiser.events.demo import DemoData, _Sim

__all__ = ["record", "truth", "write_demo"]


def record(self: _Sim, p: _Person) -> None:
    """Truth of one person: identity, persona and final phase of each stitched key."""
    name = p.persona.name
    self.buyers += p.orders > 0
    self.n_persons += 1
    for ch in _planted.CHANNEL_EFFECTS:
        stats = self.effects[(name, ch, ch in p.exposed)]
        stats[0] += 1
        stats[1] += p.orders > 0
        stats[2] += p.to_order
    _count_payment_errors(self, p)
    _count_repeat_purchases(self, p)
    linked = [d for d in p.devices if d.linked]
    keys = [d.bought for d in p.devices if d.n and not d.linked]  # one person each
    if linked:
        keys.append(any(d.bought for d in linked))
    self.buyers_stitched += sum(keys)
    self.seen += bool(keys)
    self.split += len(keys) > 1
    self.extra_keys += max(len(keys) - 1, 0)
    if linked and p.uid is not None:
        self.identity[p.uid] = sorted(d.anon for d in linked)
        self.personas[p.uid] = self.persona_of[p.uid] = name
        phase = max(linked, key=lambda d: d.last_ts).last_phase
        if phase is not None:
            self.final_phase[p.uid] = phase
    elif p.devices[0].n:
        self.personas[p.devices[0].anon] = name
    for d in p.devices:
        if d.n and not d.linked:
            self.persona_of[d.anon] = name
            if d.last_phase is not None:
                self.final_phase[d.anon] = d.last_phase


def _count_repeat_purchases(self: _Sim, p: _Person) -> None:
    """Per persona, the identified buyers (an account linked, so one person in the store)
    and their orders made on a linked device (those the store puts under the account; a
    store purchase on an unlinked device stays anonymous): the repeat orders, and who was
    still an active customer when the window ended (the journey cut by the end with planned
    orders left)."""
    seen = sum(d.linked for d in p.bought_on)
    if seen == 0 or p.uid is None:
        return
    state: dict[str, Any] = self.__dict__.setdefault("repeat_state", {"alive": []})
    stats = state.setdefault(p.persona.name, [0, 0, 0, 0])
    alive = p.at_end and p.left > 0
    stats[0] += 1
    stats[1] += seen - 1
    stats[2] += alive
    stats[3] += p.left if alive else 0
    if alive:
        state["alive"].append(p.uid)


def repeat_truth(self: _Sim) -> dict[str, Any]:
    """The planted repeat-purchase process and what the simulation made of it.

    Each buyer plans 1, 2, 3 ... orders (the persona's weights: ``planned_orders`` is the
    mean) and stops after the last one; after an order the next visit is three of the
    persona's visit gaps away on average. ``by_persona`` counts the identified buyers
    (``buyers``), their ``repeat_orders`` (orders under their account after the first) and
    ``alive_at_end``:
    those whose journey the end of the window cut while they still planned orders (their
    ``orders_left`` in all); ``alive`` lists their user ids. A lifetime-value model sees
    only the orders, never the plan: its P(alive) should rank these buyers above the rest.
    """
    state = self.__dict__.get("repeat_state", {"alive": []})
    planned = {per.name: sum((k + 1) * w for k, w in enumerate(per.orders)) / sum(per.orders)
               for per in pers.PERSONAS}
    return {
        "planned_orders": {k: round(v, 4) for k, v in planned.items()},
        "by_persona": {name: {"buyers": v[0], "repeat_orders": v[1], "alive_at_end": v[2],
                              "orders_left": v[3]}
                       for name, v in sorted(state.items()) if name != "alive"},
        "alive": sorted(state["alive"]),
    }


def _count_payment_errors(self: _Sim, p: _Person) -> None:
    """Per device kind: the persons whose journey held a payment error (the sim's payment
    counters grew while simulating them) and how many of them still bought."""
    state: dict[str, Any] = self.__dict__.setdefault("pain_state", {
        "seen": dict.fromkeys(self.payments, 0), "persons": dict.fromkeys(self.payments, 0),
        "buyers": dict.fromkeys(self.payments, 0)})
    for kind, (_, errors) in self.payments.items():
        if errors > state["seen"][kind]:
            state["persons"][kind] += 1
            state["buyers"][kind] += p.orders > 0
        state["seen"][kind] = errors


def pain_truth(self: _Sim) -> dict[str, Any]:
    """The planted pain point's cost as the simulation produced it, per device kind.

    ``lost_conversions`` = affected persons x the clean completion rate - the affected who
    bought anyway: the buyers the errors cost, were the affected to complete like everyone
    who pays without an error (``complete_without_error``). Counted by the simulation while
    it ran, so it stays right when the error rate changes over time.
    """
    state = self.__dict__.get("pain_state")
    out: dict[str, Any] = {}
    for kind, (attempts, errors) in self.payments.items():
        persons = state["persons"][kind] if state else 0
        buyers = state["buyers"][kind] if state else 0
        out[kind] = {
            "attempt_visits": attempts, "with_error": errors,
            "rate": round(errors / attempts, 4) if attempts else None,
            "persons_with_error": persons, "buyers_with_error": buyers,
            "lost_conversions": round(persons * _planted.COMPLETE_CLEAN - buyers, 2),
        }
    return out


def persons_note(*, simulated: int, seen: int, stitched: int, split: int, extra: int,
                 buyers: int, buyers_stitched: int) -> str:
    """Why Wegweiser's person and buyer counts differ from the people simulated."""
    return (
        f"{simulated:,} people were simulated ({seen:,} with events); Wegweiser sees "
        f"{stitched:,} persons because {split:,} people used devices they never logged in "
        f"on, and each such device stays a person of its own ({extra:,} extra persons): "
        "stitching needs an identify (login) or alias that links the device. "
        f"{buyers:,} people bought; {buyers_stitched:,} stitched persons carry a purchase "
        f"({' or '.join(_shop.PURCHASE_EVENTS)}, the demo's conversion events)."
    )


def truth(self: _Sim, start: dt.date, end: dt.date) -> dict[str, Any]:
    counts = Counter(self.final_phase.values())
    combos = [{"source": s, "medium": m, "referrer": r,
               "referrer_host": urlsplit(r).hostname if r else None, "channel": c}
              for (s, m, r), c in sorted(self.combos.items(), key=lambda kv: str(kv[0]))]
    pay = pain_truth(self)
    return {
        "seed": self.seed, "persons": self.n_persons, "n_events": self.n_events,
        "start": start.isoformat(), "end": end.isoformat(),
        "channels": sorted({c["channel"] for c in combos} | set(_channels.OFFLINE_CHANNELS)),
        "channel_map": combos, "offline_channels": _channels.OFFLINE_CHANNELS,
        "persona_profiles": pers.persona_profiles(),
        "personas": self.personas, "persona_of": self.persona_of,
        "identity": self.identity, "final_phase": self.final_phase,
        "phase_counts": {p.name: counts[p.name] for p in default_config().phases
                         if counts[p.name]},
        "buyers": self.buyers,
        "conversion_events": list(_shop.PURCHASE_EVENTS),
        "stitched_persons": len(self.persona_of),
        "buyers_stitched": self.buyers_stitched,
        "persons_note": persons_note(
            simulated=self.n_persons, seen=self.seen, stitched=len(self.persona_of),
            split=self.split, extra=self.extra_keys, buyers=self.buyers,
            buyers_stitched=self.buyers_stitched),
        "channel_effects": _planted.effect_summary(self.effects),
        "pain_point": {**_planted.PAIN_POINT, "observed": pay},
        "feedback": _feedback.feedback_summary(self.surveys, self.n_persons),
        "repeat_purchases": repeat_truth(self),
    }


def write_demo(data: DemoData, folder: Path) -> dict[str, Path]:
    """Write events.parquet, costs.csv and truth.json into folder; return their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"events": folder / "events.parquet", "costs": folder / "costs.csv",
             "truth": folder / "truth.json"}
    pq.write_table(data.events, paths["events"])
    with paths["costs"].open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(data.costs.column_names)
        for row in data.costs.to_pylist():
            writer.writerow([row["date"].isoformat(), row["channel"], row["campaign"],
                             f"{row['cost']:.2f}", row["currency"]])
    with paths["truth"].open("w", encoding="utf-8") as fh:
        json.dump(data.truth, fh, ensure_ascii=False, sort_keys=True)
    return paths
