"""The demo's channels and their costs (internal, for :mod:`wegweiser.events.demo`): how
a visit from each channel starts and is tagged (source, medium, referrer, campaign), which
channels are offline or need an opt-in, and the daily costs of the paid campaigns with
their planted return on ad spend."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from typing import TYPE_CHECKING, Any

import pyarrow as pa

if TYPE_CHECKING:
    from collections.abc import Mapping

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
#: Days before an order whose visits make up its path (windows.attribution_lookback_days).
LOOKBACK_DAYS = 30


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
