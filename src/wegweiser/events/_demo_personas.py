"""The demo's personas (internal, for :mod:`wegweiser.events.demo`): four groups of
customers and the numbers that drive how each travels.

Beside them: the shop's events and catalogue (``_demo_shop.py``), its channels and costs
(``_demo_channels.py``), the planted effects (``_demo_planted.py``) and the feedback texts
(``_demo_feedback.py``). The simulation itself lives in ``demo.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Persona:
    """How one group of customers travels; the numbers drive the simulation."""

    name: str
    profile: str
    share: float
    devices: dict[str, float]  # device kind -> weight (first device; others drawn alike)
    app: float  # chance that a mobile/tablet device uses the app instead of the web
    channels: dict[str, float]  # channel -> weight of a visit's channel
    exposure: dict[str, float]  # effect channel -> share of persons who see it (see EFFECTS)
    n_devices: tuple[float, float, float]  # weights of 1, 2, 3 devices
    need: float  # mean number of sessions before the purchase decision
    depth: float  # mean number of product views in a consideration session
    gap_days: float  # mean days between sessions
    event_gap_s: float  # mean seconds between events of a session
    buy: float  # base chance to buy at the decision
    identifies: float  # chance that the person has/creates an account
    orders: tuple[float, ...]  # weights of 1, 2, 3, ... orders for buyers
    order_value: float  # multiplier of the basket value
    hours: tuple[float, ...]  # 24 weights, hour of day (UTC) of session starts
    review: float  # chance to write a review after an order
    referral: float
    loyalty: float
    countries: dict[str, float]
    store_buy: float = 0.0  # chance that a purchase happens in a store
    existing: bool = False  # already a customer with an account when the window starts


_EVENING = (1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 2, 3, 3, 3, 3.5, 4, 3.5, 3, 3, 3.5, 4, 5, 6.5, 7,
            6.5, 4.5, 2.5)
_DAYTIME = (0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1.5, 3, 5, 6, 6, 5, 4, 4.5, 5, 5, 4.5, 4, 3.5, 3, 2.5,
            1.5, 0.8, 0.4)
_DACH = {"DE": 0.62, "AT": 0.13, "CH": 0.1, "GB": 0.09, "US": 0.06}

PERSONAS: tuple[Persona, ...] = (
    Persona(
        name="mobile_bargain_hunters",
        profile=(
            "Young, price-driven shoppers on their phones. They come from social ads, push "
            "messages, SMS deals and cashback partners, visit often and briefly, collect "
            "coupons and are the ones who hit the mobile payment problems at checkout."
        ),
        share=0.34,
        devices={"mobile": 0.86, "desktop": 0.09, "tablet": 0.05},
        app=0.45,
        channels={"paid_social": 0.24, "affiliate": 0.11, "push": 0.12, "sms": 0.08,
                  "paid_search": 0.1, "social": 0.09, "email": 0.05, "direct": 0.08,
                  "organic_search": 0.05, "referral": 0.02},
        exposure={"video": 0.15, "review_site": 0.08, "display": 0.3},
        n_devices=(0.45, 0.4, 0.15),
        need=15.0, depth=1.3, gap_days=2.2, event_gap_s=14.0, buy=0.38, identifies=0.7,
        orders=(0.75, 0.2, 0.05), order_value=0.65, hours=_EVENING,
        review=0.05, referral=0.08, loyalty=0.12,
        countries=_DACH,
    ),
    Persona(
        name="review_readers",
        profile=(
            "Careful researchers on desktop computers. They search, read test reports and "
            "reviews, watch product videos and compare for weeks before they decide; when "
            "they buy, they buy well, and they expect a smooth checkout."
        ),
        share=0.26,
        devices={"desktop": 0.72, "mobile": 0.23, "tablet": 0.05},
        app=0.15,
        channels={"organic_search": 0.3, "paid_search": 0.14, "direct": 0.12, "referral": 0.1,
                  "email": 0.07, "social": 0.04, "chat": 0.04, "paid_social": 0.03},
        exposure={"video": 0.45, "review_site": 0.55, "display": 0.2},
        n_devices=(0.4, 0.45, 0.15),
        need=8.0, depth=4.8, gap_days=3.0, event_gap_s=55.0, buy=0.4, identifies=0.72,
        orders=(0.85, 0.15), order_value=1.7, hours=_EVENING,
        review=0.18, referral=0.05, loyalty=0.1,
        countries={"DE": 0.55, "AT": 0.1, "CH": 0.12, "GB": 0.13, "US": 0.1}, store_buy=0.03,
    ),
    Persona(
        name="loyal_repeat_buyers",
        profile=(
            "Existing customers who log in, read the newsletter and use the app. They come "
            "back directly or via email and push, buy again and again, write reviews and "
            "recommend the shop to friends."
        ),
        share=0.22,
        devices={"mobile": 0.58, "desktop": 0.32, "tablet": 0.1},
        app=0.72,
        channels={"email": 0.28, "direct": 0.25, "push": 0.15, "organic_search": 0.08,
                  "paid_search": 0.06, "social": 0.05, "referral": 0.04, "paid_social": 0.04,
                  "sms": 0.03},
        exposure={"video": 0.15, "review_site": 0.15, "display": 0.2},
        n_devices=(0.35, 0.45, 0.2),
        need=4.0, depth=2.2, gap_days=4.0, event_gap_s=25.0, buy=0.8, identifies=0.96,
        orders=(0.2, 0.3, 0.25, 0.15, 0.1), order_value=1.0, hours=_EVENING,
        review=0.4, referral=0.25, loyalty=0.45,
        countries=_DACH, store_buy=0.05, existing=True,
    ),
    Persona(
        name="hybrid_seniors",
        profile=(
            "Older customers who started shopping online recently. They browse on a tablet "
            "or desktop during the day, notice display ads, call the hotline with questions "
            "and often finish the purchase in a store."
        ),
        share=0.18,
        devices={"tablet": 0.52, "desktop": 0.4, "mobile": 0.08},
        app=0.1,
        channels={"store": 0.22, "call_centre": 0.15, "direct": 0.14, "organic_search": 0.14,
                  "email": 0.14, "paid_search": 0.1, "chat": 0.03},
        exposure={"video": 0.2, "review_site": 0.25, "display": 0.7},
        n_devices=(0.6, 0.35, 0.05),
        need=9.0, depth=3.0, gap_days=4.0, event_gap_s=40.0, buy=0.36, identifies=0.64,
        orders=(0.8, 0.2), order_value=1.2, hours=_DAYTIME,
        review=0.12, referral=0.04, loyalty=0.3,
        countries={"DE": 0.7, "AT": 0.18, "CH": 0.12}, store_buy=0.5,
    ),
)


def persona_profiles() -> dict[str, dict[str, Any]]:
    return {p.name: {
        "profile": p.profile, "share": p.share, "devices": p.devices, "channels": p.channels,
        "effect_channel_exposure": p.exposure,
        "mean_sessions_to_decision": p.need, "buy_chance": p.buy,
        "order_value_factor": p.order_value, "store_purchase_share": p.store_buy,
        "existing_customers": p.existing} for p in PERSONAS}
