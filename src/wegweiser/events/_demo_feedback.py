"""The demo's feedback (internal, for :mod:`wegweiser.events.demo`): survey answers and
their comments in German and English, and their summary for the truth."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import random


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
