"""The demo shop's events (internal, for :mod:`wegweiser.events.demo`): the tables'
schemas, every event name the simulation emits, the catalogue of products, searches,
creatives and pages the events carry as properties, and the batch that turns the
simulation's lists into the events table."""

from __future__ import annotations

import json
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
PAGES = frozenset({"landing_page_view", "product_list_view", "product_view", "blog_view"})
#: event -> what its properties describe (see ``demo._Sim.props``).
PROPS_OF = {e: "product" for e in ("product_view", "add_to_cart", "wishlist_add", "review_read")}
PROPS_OF |= {e: "creative" for e in ("ad_impression", "ad_click", "video_view",
                                     "social_post_view")}
PROPS_OF |= {"landing_page_view": "page", "blog_view": "page", "search": "search",
             "coupon_view": "coupon", "product_list_view": "category",
             "compare_products": "category", "store_visit": "category", "identify": "none"}
#: Events that are a purchase (the demo's conversion events, the config default).
PURCHASE_EVENTS = ("order_completed", "store_purchase")

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
