"""A small journey generator with confounding and planted pain points (tests and
benchmarks/bench_touchpoints.py).

Each person has an **intent** (high with probability 0.4) that shows in their habits: high
intent persons come mostly by ``search`` and use a desktop, low intent ones mostly by
``social`` on a phone; each session comes by the intent's channel with chance 0.85. High
intent persons buy more (0.35 vs 0.10 at the decision) and see the touchpoints more often.
``video`` multiplies the chance to buy by :data:`VIDEO_EFFECT`; ``newsletter`` does nothing.

How the touchpoints follow intent (``confounding``):

* ``"observed"`` (default): through what the person shows before them -- the channel they
  came by in the first session, where both touchpoints are met (``video``: 0.6 after
  ``search``, 0.2 after ``social``; ``newsletter``: 0.5 / 0.15). Intent still confounds
  (it drives buying and the first channel), but everything the exposure depends on is
  observed before it: the condition under which an adjusted estimate can recover the
  planted effect (no unmeasured confounding), so the planted 1.5 is the truth to recover.
* ``"latent"``: on intent itself (0.6 / 0.2 and 0.5 / 0.15), which before the touchpoint
  shows only through the first session's channel (85% right) and the device. No estimator
  on pre-touchpoint covariates can remove all of that; the adjusted ratio lands between the
  planted and the naive one (benchmarks/RESULTS.md measures both).

In the last session each person passes the steps of :data:`PAINS`; a step on the planted
device fails (an error event right after the step) with a chance that is higher for low
intent persons, and a failure multiplies the chance to buy by the step's factor. Errors of
:data:`DECOYS` happen as well but cost nothing. The truth per pain point is the expected
number of conversions the errors cost: the sum over affected persons of
``p_without * (1 - factor)``, ``p_without`` their chance to buy without that error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import ibis
import numpy as np
import pandas as pd

VIDEO_EFFECT = 1.5
#: (step event, error event, device, factor on buying, chance low / high intent)
PAINS = (
    ("checkout_payment", "payment_error", "mobile", 0.35, 0.5, 0.2),
    ("address_form", "address_error", "desktop", 0.5, 0.4, 0.15),
    ("coupon_entry", "coupon_error", "mobile", 0.55, 0.35, 0.1),
    ("login", "login_failed", "desktop", 0.45, 0.3, 0.1),
    ("cart_update", "cart_error", "tablet", 0.3, 0.5, 0.2),
)
#: (step event, error event, chance) on every device, costing nothing
DECOYS = (("gallery", "image_error", 0.3), ("consent", "tracking_error", 0.4))
T0 = datetime(2026, 5, 1, tzinfo=UTC)


@dataclass
class Sim:
    journey: pd.DataFrame
    #: person_id -> high intent
    intent: dict[str, bool] = field(default_factory=dict)
    lost: dict[tuple[str, str], float] = field(default_factory=dict)
    affected: dict[tuple[str, str], int] = field(default_factory=dict)


def simulate(n: int, *, seed: int = 0,
             confounding: Literal["observed", "latent"] = "observed") -> Sim:
    """``n`` persons (module docstring)."""
    if confounding not in ("observed", "latent"):
        raise ValueError(f"confounding must be 'observed' or 'latent', got {confounding!r}")
    rng = np.random.default_rng(seed)
    rows: list[tuple[Any, ...]] = []
    lost: dict[tuple[str, str], float] = {(e, d): 0.0 for _, e, d, *_ in PAINS}
    affected: dict[tuple[str, str], int] = dict.fromkeys(lost, 0)
    intent: dict[str, bool] = {}
    for i in range(n):
        high = rng.random() < 0.4
        device = rng.choice(["desktop", "mobile", "tablet"],
                            p=[0.6, 0.25, 0.15] if high else [0.2, 0.6, 0.2])
        main, other = ("search", "social") if high else ("social", "search")
        sessions = [main if rng.random() < 0.85 else other
                    for _ in range(int(rng.integers(2, 5)))]
        keen = high if confounding == "latent" else sessions[0] == "search"
        video = rng.random() < (0.6 if keen else 0.2)
        news = rng.random() < (0.5 if keen else 0.15)
        p = (0.35 if high else 0.10) * (VIDEO_EFFECT if video else 1.0)
        t = T0 + timedelta(days=float(rng.uniform(0, 30)))
        person = f"p{i:05d}"
        intent[person] = bool(high)
        events: list[tuple[str, str]] = []
        for s, ch in enumerate(sessions):
            events.append(("landing", ch))
            events.extend(("product_view", ch) for _ in range(int(rng.integers(1, 3))))
            if s == 0 and video:
                events.append(("video_view", "video"))
            if s == 0 and news:
                events.append(("newsletter_open", "email"))
            events.append(("(session end)", ""))
        factors = []
        for step, error, dev, factor, low_q, high_q in PAINS:
            if rng.random() < 0.7:
                events.append((step, main))
                if dev == device and rng.random() < (high_q if high else low_q):
                    events.append((error, main))
                    factors.append((error, dev, factor))
        for step, error, chance in DECOYS:
            if rng.random() < 0.6:
                events.append((step, main))
                if rng.random() < chance:
                    events.append((error, main))
        total = float(np.prod([f for *_, f in factors])) if factors else 1.0
        p_with = min(p * total, 1.0)
        for error, dev, factor in factors:
            without = min(p * total / factor, 1.0)
            lost[(error, dev)] += without - p_with
            affected[(error, dev)] += 1
        if rng.random() < p_with:
            events.append(("order_completed", main))
        seq, session = 0, 0
        for event, ch in events:
            if event == "(session end)":
                session += 1
                t += timedelta(days=1)
                continue
            t += timedelta(seconds=30)
            revenue = 50.0 if event == "order_completed" else None
            rows.append((person, seq, t, event, ch, device, revenue, session))
            seq += 1
    frame = pd.DataFrame(rows, columns=["person_id", "seq", "timestamp", "event", "channel",
                                        "device", "revenue", "session"])
    return Sim(frame, intent, lost, affected)


def journey_table(frame: pd.DataFrame) -> Any:
    """``frame`` (person_id, seq, timestamp, event, channel, device, revenue, session and
    optionally phase and properties) as a journey table with every column the analysis reads."""
    f = frame.sort_values(["person_id", "seq"]).reset_index(drop=True)
    f["next_event"] = f.groupby("person_id")["event"].shift(-1)
    f["is_conversion"] = f["event"] == "order_completed"
    f["platform"] = "web"
    f["country"] = "DE"
    if "properties" not in f:
        f["properties"] = "{}"
    for col in ("campaign", "source", "medium", "phase"):
        if col not in f:
            f[col] = pd.Series([None] * len(f), dtype="string")
    f["revenue"] = f["revenue"].astype(float)
    f["next_event"] = f["next_event"].astype("string")
    return ibis.memtable(f)
