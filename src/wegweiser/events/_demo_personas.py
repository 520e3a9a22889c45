"""Static tables behind :mod:`wegweiser.events.demo`: personas, touch sources, costs, texts.

Everything here is plain data; the simulation lives in ``demo.py``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Persona:
    """How one group of customers travels; the numbers drive the simulation."""

    name: str
    profile: str
    share: float
    devices: dict[str, float]  # device kind -> weight (first device; others drawn alike)
    app: float  # chance that a mobile/tablet device uses the app instead of the web
    channels: dict[str, float]  # channel -> weight of a session's channel
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
                  "paid_search": 0.1, "social": 0.09, "display": 0.05, "email": 0.05,
                  "direct": 0.08, "organic_search": 0.05, "video": 0.02, "referral": 0.02,
                  "review_site": 0.01},
        n_devices=(0.45, 0.4, 0.15),
        need=15.0, depth=1.3, gap_days=2.2, event_gap_s=14.0, buy=0.42, identifies=0.52,
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
        channels={"organic_search": 0.25, "review_site": 0.15, "video": 0.12,
                  "paid_search": 0.12, "direct": 0.1, "referral": 0.08, "email": 0.06,
                  "display": 0.04, "social": 0.03, "chat": 0.03, "paid_social": 0.02},
        n_devices=(0.4, 0.45, 0.15),
        need=6.5, depth=4.8, gap_days=3.0, event_gap_s=55.0, buy=0.45, identifies=0.56,
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
                  "sms": 0.03, "video": 0.02},
        n_devices=(0.35, 0.45, 0.2),
        need=3.2, depth=2.2, gap_days=4.0, event_gap_s=25.0, buy=0.8, identifies=0.96,
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
        channels={"display": 0.2, "store": 0.18, "call_centre": 0.12, "direct": 0.1,
                  "organic_search": 0.1, "email": 0.1, "paid_search": 0.08, "video": 0.05,
                  "review_site": 0.05, "chat": 0.02},
        n_devices=(0.6, 0.35, 0.05),
        need=7.5, depth=3.0, gap_days=4.5, event_gap_s=40.0, buy=0.4, identifies=0.45,
        orders=(0.8, 0.2), order_value=1.2, hours=_DAYTIME,
        review=0.12, referral=0.04, loyalty=0.3,
        countries={"DE": 0.7, "AT": 0.18, "CH": 0.12}, store_buy=0.5,
    ),
)

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

#: Planted effect of touching a channel before the purchase decision.
CHANNEL_EFFECTS: dict[str, dict[str, float | str]] = {
    "video": {
        "conversion_multiplier": 1.4, "touchpoint_factor": 0.9,
        "meaning": "A person who watched a product video before deciding buys with 1.4x the "
                   "chance and needs about 10% fewer sessions (touchpoints) until the decision.",
    },
    "review_site": {
        "conversion_multiplier": 1.5, "touchpoint_factor": 1.0,
        "meaning": "Coming from a review site before deciding multiplies the chance to buy "
                   "by 1.5.",
    },
    "display": {
        "conversion_multiplier": 1.02, "touchpoint_factor": 1.0,
        "meaning": "Display banners are seen a lot but hardly change the chance to buy (1.02x).",
    },
}

#: device kind -> chance that a payment attempt fails (the planted pain point).
PAYMENT_ERROR = {"mobile": 0.4, "tablet": 0.06, "desktop": 0.03}
#: chance to complete the order after a failed payment loop, and without any error.
COMPLETE_AFTER_ERROR = 0.3
COMPLETE_CLEAN = 0.94

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
