"""Tables and helpers behind :mod:`wegweiser.events.demo`.

Personas, touch sources, campaigns and costs, products, feedback texts, the planted effects,
and the functions that turn the simulation's lists into tables and summaries. The simulation
itself lives in ``demo.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    from collections.abc import Mapping

EVENTS_SCHEMA = pa.schema([
    ("message_id", pa.string()), ("type", pa.string()), ("event", pa.string()),
    ("anonymous_id", pa.string()), ("user_id", pa.string()),
    ("timestamp", pa.timestamp("us", tz="UTC")), ("source", pa.string()),
    ("medium", pa.string()), ("campaign", pa.string()), ("referrer", pa.string()),
    ("channel", pa.string()), ("device", pa.string()), ("platform", pa.string()),
    ("country", pa.string()), ("revenue", pa.float64()), ("currency", pa.string()),
    ("properties", pa.string()),
])
COSTS_SCHEMA = pa.schema([
    ("date", pa.date32()), ("channel", pa.string()), ("campaign", pa.string()),
    ("cost", pa.float64()), ("currency", pa.string()),
])

#: Every event name the simulation emits.
VOCABULARY = (
    "ad_impression", "ad_click", "video_view", "social_post_view", "blog_view",
    "landing_page_view", "product_view", "product_list_view", "search", "review_read",
    "compare_products", "newsletter_signup", "email_open", "email_click", "push_open",
    "store_visit", "add_to_cart", "wishlist_add", "chat_started", "chat_ended", "call_started",
    "call_ended", "coupon_view", "checkout_started", "checkout_shipping", "checkout_payment",
    "payment_error", "order_completed", "store_purchase", "order_shipped", "delivery_confirmed",
    "support_contacted", "return_requested", "survey_answered", "review_written",
    "referral_sent", "loyalty_joined", "identify", "experiment_viewed",
)
#: The planted A/B test: from the middle of the period, a person's first online checkout
#: shows them one variant of the cart (Segment's Experiment Viewed properties), 50/50, drawn
#: from its own random stream so the rest of the simulation is unchanged. In the
#: ``treatment`` variant every order from that checkout on is worth ``revenue_factor`` times
#: as much (bundles in the cart); whether and how often people order is unchanged. True lifts:
#: revenue per order and revenue per person +15%, conversion and orders 0.
EXPERIMENT: dict[str, Any] = {
    "experiment_id": "cart_bundles", "control": "control", "treatment": "bundles",
    "revenue_factor": 1.15,
    "true_lift": {"revenue_per_order": 0.15, "revenue": 0.15, "conversion": 0.0,
                  "orders": 0.0},
}
PAGES = frozenset({"landing_page_view", "product_list_view", "product_view", "blog_view"})
#: channel -> (first events of a visit from it, chance that the visit ends after the first).
LANDING: dict[str, tuple[list[str], float]] = {
    "paid_search": (["ad_click", "landing_page_view"], 0.0),
    "paid_social": (["ad_impression", "ad_click", "landing_page_view"], 0.0),
    "display": (["ad_impression", "ad_click", "landing_page_view"], 0.55),
    "video": (["video_view", "landing_page_view"], 0.45),
    "affiliate": (["landing_page_view", "coupon_view"], 0.0),
    "sms": (["landing_page_view", "coupon_view"], 0.0),
    "email": (["email_open", "email_click"], 0.3),
    "push": (["push_open"], 0.0),
    "review_site": (["review_read", "product_view"], 0.0),
    "organic_search": (["landing_page_view"], 0.0),
    "social": (["social_post_view", "landing_page_view"], 0.3),
    "referral": (["blog_view"], 0.0),
    "direct": ([], 0.0),
}
#: event -> what its properties describe (see ``demo._Sim.props``).
PROPS_OF = {e: "product" for e in ("product_view", "add_to_cart", "wishlist_add", "review_read")}
PROPS_OF |= {e: "creative" for e in ("ad_impression", "ad_click", "video_view",
                                     "social_post_view")}
PROPS_OF |= {"landing_page_view": "page", "blog_view": "page", "search": "search",
             "coupon_view": "coupon", "product_list_view": "category",
             "compare_products": "category", "store_visit": "category", "identify": "none"}


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

#: Offline or assisted channels: set explicitly on the events, with this platform.
OFFLINE_CHANNELS = {"store": {"platform": "store"}, "call_centre": {"platform": "phone"},
                    "chat": {"platform": "web"}}
#: Channels that need an opt-in (account/newsletter; push also an app).
GATED = frozenset({"email", "push", "sms"})
#: Channels whose session is not on a digital device (``channel`` is set explicitly).
OFFLINE = {"store": "store", "call_centre": "phone"}

#: channel -> (source, medium, referrer URL, weight) of the visits that derive it.
TOUCH: dict[str, tuple[tuple[str | None, str | None, str | None, float], ...]] = {
    "paid_search": (("google", "cpc", "https://www.google.de/", 0.75),
                    ("bing", "cpc", "https://www.bing.com/", 0.25)),
    "paid_social": (("facebook", "paid_social", None, 0.4), ("instagram", "cpc", None, 0.45),
                    ("tiktok", "paid_social", None, 0.15)),
    "display": (("gdn", "display", None, 0.6), ("criteo", "display", None, 0.4)),
    "video": (("youtube", "video", None, 1.0),),
    "email": (("newsletter", "email", None, 1.0),),
    "push": (("app", "push", None, 1.0),),
    "sms": (("sms", "sms", None, 1.0),),
    "affiliate": (("awin", "affiliate", "https://www.awin1.com/", 0.6),
                  ("shoop", "affiliate", "https://www.shoop.de/", 0.4)),
    "review_site": ((None, None, "https://www.trustpilot.com/review/wegweiser-shop.de", 0.6),
                    (None, None, "https://www.idealo.de/preisvergleich/", 0.4)),
    "organic_search": ((None, None, "https://www.google.de/", 0.8),
                       (None, None, "https://www.bing.com/", 0.12),
                       (None, None, "https://duckduckgo.com/", 0.08)),
    "social": ((None, None, "https://www.instagram.com/", 0.5),
               (None, None, "https://www.facebook.com/", 0.3),
               (None, None, "https://www.youtube.com/", 0.2)),
    "referral": ((None, None, "https://www.outdoor-blog.de/bestenliste", 0.6),
                 (None, None, "https://www.stiftung-vergleich.org/", 0.4)),
    "direct": ((None, None, None, 1.0),),
}

#: paid channel -> (campaign, weight, cost per tracked touch in EUR).
CAMPAIGNS: dict[str, tuple[tuple[str, float, float], ...]] = {
    "paid_search": (("brand_search", 0.35, 0.35), ("generic_search", 0.45, 0.85),
                    ("shopping_ads", 0.2, 0.6)),
    "paid_social": (("spring_stories", 0.45, 0.42), ("lookalike_reach", 0.3, 0.35),
                    ("retargeting_social", 0.25, 0.5)),
    "display": (("prospecting_banner", 0.55, 0.18), ("retargeting_banner", 0.45, 0.3)),
    "video": (("product_films", 0.6, 0.14), ("how_to_series", 0.4, 0.1)),
    "affiliate": (("cashback", 0.5, 1.9), ("voucher_portals", 0.5, 1.4)),
    "email": (("newsletter", 0.55, 0.04), ("cart_reminder", 0.25, 0.05),
              ("after_sale", 0.2, 0.02)),
    "sms": (("flash_deals", 0.7, 0.09), ("back_in_stock", 0.3, 0.08)),
    "push": (("app_deals", 0.6, 0.004), ("price_drop", 0.4, 0.005)),
}
#: Fixed daily cost per campaign (platform fees), EUR.
DAILY_FEE = {"email": 4.0, "sms": 1.5, "push": 1.0, "affiliate": 3.0}
#: Planted return on ad spend per paid channel: revenue (linear attribution) / cost. The
#: costs are scaled to it (see ``planted_spend``); the truth records the figures.
PLANTED_ROAS = {"paid_search": 4.0, "paid_social": 2.5, "display": 1.8, "video": 2.2,
                "affiliate": 5.0, "email": 8.0, "sms": 6.0, "push": 7.0}
#: Events that are a purchase (the demo's conversion events, the config default).
PURCHASE_EVENTS = ("order_completed", "store_purchase")
#: Days before an order whose visits make up its path (windows.attribution_lookback_days).
LOOKBACK_DAYS = 30

#: Planted effect of touching a channel before the purchase decision.
#: Planted effects. Exposure is a person trait (share per persona in ``Persona.exposure``):
#: an exposed person's first visit comes from one of its exposure channels and later visits
#: do again with EXPOSURE_REVISIT; others never see these channels. Exposure does not change
#: how many visits a person makes, so exposed and unexposed persons compare fairly within a
#: persona.
CHANNEL_EFFECTS: dict[str, dict[str, Any]] = {
    "video": {
        "conversion_multiplier": 1.4, "touchpoint_factor": 0.9,
        "meaning": "A person who watches product videos buys at the decision with 1.4x the "
                   "chance and needs 10% fewer visits (touchpoints) until the decision.",
    },
    "review_site": {
        "conversion_multiplier": 1.5, "touchpoint_factor": 1.0,
        "meaning": "A person who comes from review sites buys at the decision with 1.5x the "
                   "chance.",
    },
    "display": {
        "conversion_multiplier": 1.02, "touchpoint_factor": 1.0,
        "meaning": "Display banners are seen a lot but hardly change the chance to buy (1.02x).",
    },
}
EXPOSURE_REVISIT = 0.12

#: device kind -> chance that a payment attempt fails (the planted pain point).
PAYMENT_ERROR = {"mobile": 0.4, "tablet": 0.06, "desktop": 0.03}
#: chance to complete the order after a failed payment loop, and without any error.
COMPLETE_AFTER_ERROR = 0.3
COMPLETE_CLEAN = 0.94

PAIN_POINT: dict[str, Any] = {
    "event": "payment_error", "step": "checkout_payment", "device": "mobile",
    "error_rate_mobile": PAYMENT_ERROR["mobile"], "error_rate_desktop": PAYMENT_ERROR["desktop"],
    "error_rate_tablet": PAYMENT_ERROR["tablet"],
    "complete_after_error": COMPLETE_AFTER_ERROR, "complete_without_error": COMPLETE_CLEAN,
    "description": (
        "On mobile, 40% of checkout visits that reach checkout_payment run into payment_error, "
        "1-3 times in a loop (checkout_payment -> payment_error -> checkout_payment ...); only "
        "30% of them still order, against 94% without an error. On desktop errors are rare "
        "(3%). Persons who gave up after the loop rate low and complain about payment."),
}


def persona_profiles() -> dict[str, dict[str, Any]]:
    return {p.name: {
        "profile": p.profile, "share": p.share, "devices": p.devices, "channels": p.channels,
        "effect_channel_exposure": p.exposure,
        "mean_sessions_to_decision": p.need, "buy_chance": p.buy,
        "order_value_factor": p.order_value, "store_purchase_share": p.store_buy,
        "existing_customers": p.existing} for p in PERSONAS}


def daily_costs(touches: Mapping[tuple[int, str, str], int], start: dt.date, n_days: int, *,
                seed: int, schema: pa.Schema, spend: Mapping[str, float] | None = None
                ) -> pa.Table:
    """Cost per day and paid campaign: tracked touches x unit cost x noise + a fixed fee;
    with ``spend``, each channel's rows are scaled to add up to its planted spend (the
    shape over days and campaigns stays)."""
    rng = random.Random(seed * 7919 + 17)
    rows: dict[str, list[Any]] = {name: [] for name in schema.names}
    raw: list[float] = []
    for day in range(n_days):
        for channel, campaigns in CAMPAIGNS.items():
            for campaign, _, unit in campaigns:
                cost = touches.get((day, channel, campaign), 0) * unit * rng.lognormvariate(0, 0.15)
                cost += DAILY_FEE.get(channel, 0.0) * rng.uniform(0.9, 1.1)
                rows["date"].append(start + dt.timedelta(days=day))
                rows["channel"].append(channel)
                rows["campaign"].append(campaign)
                raw.append(cost)
                rows["currency"].append("EUR")
    totals: dict[str, float] = defaultdict(float)
    for channel, cost in zip(rows["channel"], raw, strict=True):
        totals[channel] += cost
    scale = {ch: (spend[ch] / total if spend is not None and ch in spend and total > 0 else 1.0)
             for ch, total in totals.items()}
    rows["cost"] = [round(cost * scale[ch], 2) for ch, cost in zip(rows["channel"], raw,
                                                                     strict=True)]
    return pa.table(rows, schema=schema)


def planted_spend(linear_revenue: Mapping[str, float]) -> dict[str, float]:
    """Spend per paid channel: its linear revenue (each order's value split equally over
    the visits of its path) divided by the planted ROAS."""
    return {ch: linear_revenue.get(ch, 0.0) / roas for ch, roas in PLANTED_ROAS.items()}


def cost_truth(costs: pa.Table, linear_revenue: Mapping[str, float]) -> dict[str, Any]:
    """The planted costs: spend, linear revenue and ROAS per paid channel."""
    spend: dict[str, float] = defaultdict(float)
    for row in costs.select(["channel", "cost"]).to_pylist():
        spend[row["channel"]] += row["cost"]
    channels = {}
    for ch in CAMPAIGNS:
        revenue = linear_revenue.get(ch, 0.0)
        channels[ch] = {
            "spend": round(spend[ch], 2), "revenue_linear": round(revenue, 2),
            "planted_roas": PLANTED_ROAS[ch],
            "roas_linear": round(revenue / spend[ch], 3) if spend[ch] else None,
        }
    return {
        "definition": "spend = linear revenue / planted_roas; linear revenue splits each "
        f"order's value equally over the visits of its path (since the previous order, at "
        f"most {LOOKBACK_DAYS} days before it), as Wegweiser's linear model over sessions does",
        "currency": "EUR", "channels": channels,
    }


def persons_note(*, simulated: int, seen: int, stitched: int, split: int, extra: int,
                 buyers: int, buyers_stitched: int) -> str:
    """Why Wegweiser's person and buyer counts differ from the people simulated."""
    return (
        f"{simulated:,} people were simulated ({seen:,} with events); Wegweiser sees "
        f"{stitched:,} persons because {split:,} people used devices they never logged in "
        f"on, and each such device stays a person of its own ({extra:,} extra persons): "
        "stitching needs an identify (login) or alias that links the device. "
        f"{buyers:,} people bought; {buyers_stitched:,} stitched persons carry a purchase "
        f"({' or '.join(PURCHASE_EVENTS)}, the demo's conversion events)."
    )


def effect_summary(effects: Mapping[tuple[str, str, bool], list[int]]) -> dict[str, Any]:
    """The planted effects plus what the simulation produced per persona.

    ``effects``: (persona, channel, exposed) -> [persons, buyers, sum of visits to 1st order].
    """
    out: dict[str, Any] = {}
    for ch, effect in CHANNEL_EFFECTS.items():
        observed: dict[str, Any] = {}
        for per in PERSONAS:
            for exposed in (True, False):
                n, buyers, visits = effects.get((per.name, ch, exposed), (0, 0, 0))
                observed.setdefault(per.name, {})["exposed" if exposed else "unexposed"] = {
                    "persons": n, "buyers": buyers,
                    "conversion": round(buyers / n, 4) if n else None,
                    "mean_visits_to_first_order": round(visits / buyers, 3) if buyers else None,
                }
        out[ch] = {**effect, "observed_by_persona": observed}
    return out


def survey_answer(rng: random.Random, kind: str, topic: str, lang: str) -> tuple[int, str]:
    """Score and comment of a survey; ``topic`` names what went wrong ('' for nothing)."""
    if topic:
        score = rng.randint(0, 5) if kind == "nps" else rng.randint(1, 2)
        if topic == "support" and rng.random() < 0.4:
            score = rng.randint(6, 9) if kind == "nps" else rng.randint(3, 5)
    else:
        score = rng.choices((10, 9, 8, 7, 6, 5, 3), (30, 26, 16, 10, 7, 6, 5))[0]
        if kind == "csat":
            score = max(1, min(5, (score + 1) // 2))
    high, mid = (9, 7) if kind == "nps" else (4, 3)
    sentiment = "positive" if score >= high else "neutral" if score >= mid else (
        topic or rng.choice(("delivery", "support")))
    return score, rng.choice(COMMENTS[lang][sentiment])


def feedback_summary(surveys: list[tuple[str, int, str, str]], n_persons: int) -> dict[str, Any]:
    """Summary of (survey, score, lang, about_event) answers."""
    nps = [s for k, s, _, _ in surveys if k == "nps"]
    csat = [s for k, s, _, _ in surveys if k == "csat"]
    n = max(len(surveys), 1)
    return {
        "count": len(surveys),
        "persons_share": round(len(surveys) / max(n_persons, 1), 4),
        "nps_count": len(nps),
        "mean_nps": round(sum(nps) / len(nps), 3) if nps else None,
        "nps": round(100 * (sum(s >= 9 for s in nps) - sum(s <= 6 for s in nps)) / len(nps), 1)
        if nps else None,
        "csat_count": len(csat),
        "mean_csat": round(sum(csat) / len(csat), 3) if csat else None,
        "share_de": round(sum(lang == "de" for _, _, lang, _ in surveys) / n, 4),
        "share_en": round(sum(lang == "en" for _, _, lang, _ in surveys) / n, 4),
        "about": dict(sorted(Counter(a for *_, a in surveys).items())),
    }


_CATEGORIES = (("jackets", 89.0), ("sneakers", 79.0), ("backpacks", 59.0),
               ("smartwatches", 199.0), ("headphones", 129.0), ("bottles", 19.0))
#: (product id, category, price, properties JSON) of the shop's catalogue.
PRODUCTS: tuple[tuple[str, str, float, str], ...] = tuple(
    (pid, cat, price, json.dumps({"product_id": pid, "category": cat, "price": price}))
    for c, (cat, base) in enumerate(_CATEGORIES)
    for i in range(8)
    for pid, price in [(f"P{1000 + c * 100 + i}", round(round(base * (0.7 + 0.12 * i)) - 0.01, 2))]
)
CATEGORY_PROPS = {cat: json.dumps({"category": cat}) for cat, _ in _CATEGORIES}
SEARCHES = tuple(json.dumps({"query": q}) for q in (
    "regenjacke herren", "sneaker weiss", "wanderrucksack 30l", "smartwatch damen",
    "kopfhoerer bluetooth", "trinkflasche edelstahl", "rain jacket", "running shoes",
    "noise cancelling", "laptop backpack", "softshell jacke", "sale",
))
CREATIVES = tuple(json.dumps({"creative": c}) for c in (
    "spring_sale_15", "new_collection", "free_shipping", "testsieger", "app_bonus"))
COUPON = json.dumps({"coupon": "SAVE10", "discount_pct": 10})
LANDINGS = tuple(json.dumps({"path": p}) for p in (
    "/", "/sale", "/neuheiten", "/jacken", "/sneaker", "/ratgeber/wandern"))

# -- feedback texts: (sentiment, topic) -> sentences ------------------------------------------
COMMENTS: dict[str, dict[str, tuple[str, ...]]] = {
    "de": {
        "positive": (
            "Super schnelle Lieferung, alles bestens.", "Tolle Qualität, gerne wieder!",
            "Sehr zufrieden mit der Bestellung.", "Die Jacke passt perfekt.",
            "Einfach bestellt, schnell geliefert.", "Freundlicher Service, danke!",
            "Preis-Leistung stimmt.", "Die App ist übersichtlich und schnell.",
            "Top Beratung im Laden.", "Rücksendung war ganz unkompliziert.",
            "Klare Empfehlung an Freunde.", "Verpackung nachhaltig, gefällt mir.",
        ),
        "neutral": (
            "Lieferung ok, hat etwas gedauert.", "Ganz in Ordnung.",
            "Produkt wie beschrieben, nichts Besonderes.", "Versandkosten könnten niedriger sein.",
            "Auswahl ist gut, Preise eher hoch.", "Die Größentabelle ist etwas ungenau.",
            "Alles angekommen, aber Karton beschädigt.", "Hotline war erreichbar, Wartezeit lang.",
        ),
        "delivery": (
            "Paket kam drei Tage zu spät.", "Sendungsverfolgung hat nicht funktioniert.",
            "Falscher Artikel geliefert.", "Lieferung ging an die falsche Adresse.",
            "Ware war beschädigt.", "Niemand hat mich über die Verzögerung informiert.",
        ),
        "payment": (
            "Zahlung auf dem Handy ist zweimal fehlgeschlagen.",
            "Bezahlen in der App klappt nicht.", "Kreditkarte wurde immer wieder abgelehnt.",
            "Die Bestätigung der Bank kam nie an.", "Checkout auf dem Smartphone ist eine Qual.",
            "Nach dem Zahlungsfehler habe ich aufgegeben.",
            "PayPal-Fenster hat sich einfach geschlossen.",
        ),
        "support": (
            "Niemand konnte mir an der Hotline helfen.", "Chat hat nie geantwortet.",
            "Ich musste dreimal anrufen.", "Die Erstattung dauert viel zu lange.",
            "Unfreundliche Antwort vom Kundenservice.", "Retoure wurde nicht bearbeitet.",
            "Mein Problem ist immer noch nicht gelöst.",
        ),
    },
    "en": {
        "positive": (
            "Super fast delivery, everything fine.", "Great quality, will order again!",
            "Very happy with my order.", "The jacket fits perfectly.",
            "Easy to order, quick to arrive.", "Friendly service, thank you!",
            "Good value for money.", "The app is clear and fast.",
            "Great advice in the store.", "Returning was really simple.",
            "Already recommended it to friends.", "Love the sustainable packaging.",
        ),
        "neutral": (
            "Delivery ok, took a while.", "It was fine.",
            "Product as described, nothing special.", "Shipping costs could be lower.",
            "Good selection, prices a bit high.", "The size chart is a bit off.",
            "Everything arrived but the box was damaged.", "Hotline answered, long wait though.",
        ),
        "delivery": (
            "Parcel arrived three days late.", "Tracking never worked.",
            "Wrong item delivered.", "Delivered to the wrong address.",
            "Item arrived damaged.", "Nobody told me about the delay.",
        ),
        "payment": (
            "Payment kept failing on my phone.", "Paying in the app does not work.",
            "My card was declined again and again.", "The bank confirmation never arrived.",
            "Checkout on mobile is a pain.", "Gave up after the payment error.",
            "The PayPal window just closed.",
        ),
        "support": (
            "Nobody at the hotline could help me.", "The chat never answered.",
            "I had to call three times.", "The refund takes far too long.",
            "Unfriendly reply from customer service.", "My return was never processed.",
            "My problem is still not solved.",
        ),
    },
}


def events_batch(seed: int, first: int, cols: Mapping[str, list[Any]],
                 visit_rows: list[tuple[Any, ...]], revenue: list[tuple[int, float]],
                 visit_cols: tuple[str, ...]) -> pa.RecordBatch:
    """One batch of the events table from the simulation's column lists.

    ``cols`` holds per-event lists (event, user_id, ts in microseconds, props); each of
    ``visit_rows`` holds the ``visit_cols`` values of a visit and its number of events;
    ``revenue`` is (row, value) of the purchases; ``first`` numbers the message ids.
    """
    n = len(cols["event"])
    arrays: dict[str, Any] = {"message_id": pc.binary_join_element_wise(
        f"demo-{seed}-", pc.cast(pa.array(np.arange(first, first + n)), pa.string()), "")}
    *per_visit, counts = zip(*visit_rows, strict=True)
    rows = pa.array(np.repeat(np.arange(len(counts)), counts))
    for name, column in zip(visit_cols, per_visit, strict=True):
        arrays[name] = pa.array(column, pa.string()).take(rows)
    arrays["event"] = event = pa.array(cols["event"], pa.string())
    arrays["user_id"] = pa.array(cols["user_id"], pa.string())
    arrays["properties"] = pa.array(cols["props"], pa.string())
    arrays["timestamp"] = pa.array(cols["ts"], pa.int64()).cast(pa.timestamp("us", tz="UTC"))
    values = np.full(n, np.nan)
    if revenue:
        at, amounts = zip(*revenue, strict=True)
        values[list(at)] = amounts
    arrays["revenue"] = pa.array(values, pa.float64(), mask=np.isnan(values))
    arrays["currency"] = pc.if_else(pc.is_valid(arrays["revenue"]), "EUR",
                                    pa.scalar(None, pa.string()))
    page = pc.if_else(pc.equal(arrays["platform"], "web"), "page", "screen")
    arrays["type"] = pc.if_else(
        pc.equal(event, "identify"), "identify",
        pc.if_else(pc.is_in(event, pa.array(sorted(PAGES))), page, "track"))
    return pa.RecordBatch.from_arrays([arrays[f.name] for f in EVENTS_SCHEMA],
                                      schema=EVENTS_SCHEMA)
