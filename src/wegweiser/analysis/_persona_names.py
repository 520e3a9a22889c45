"""Readable persona names and profiles in English and German (internal).

A persona is described by what over- and under-indexes: its centroid in the standardised
feature space (``z``: persona mean minus everyone's mean, in standard deviations). The name
is an adjective from its most over-indexed device or platform and a noun from its most
distinctive behaviour ("Mobile bargain hunters", "Desktop researchers"); the profile lists
its strongest traits ("evenings, affiliate, small baskets"). Names are made unique.

>>> z = {"device:mobile": 1.2, "channel:affiliate": 1.0, "order_value": -0.8}
>>> describe(z)[0]
('Mobile bargain hunters', 'Mobile Schnäppchenjäger')
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["describe", "feature_label", "unique_names"]

_Pair = tuple[str, str]
_MIN_Z = 0.3  # smaller differences do not name or describe a persona

#: feature -> (en, de) adjective of the name (German: with a hyphen it prefixes the noun)
_ADJECTIVES: dict[str, _Pair] = {
    "device:mobile": ("Mobile", "Mobile "),
    "device:desktop": ("Desktop", "Desktop-"),
    "device:tablet": ("Tablet", "Tablet-"),
    "platform:app": ("App", "App-"),
    "platform:store": ("In-store", "Filial-"),
    "platform:phone": ("Phone", "Telefon-"),
}
#: feature -> (en, de) noun when the feature over-indexes
_NOUNS: dict[str, _Pair] = {
    "channel:affiliate": ("bargain hunters", "Schnäppchenjäger"),
    "channel:sms": ("bargain hunters", "Schnäppchenjäger"),
    "channel:paid_social": ("social shoppers", "Social-Shopper"),
    "channel:social": ("social shoppers", "Social-Shopper"),
    "channel:review_site": ("researchers", "Rechercheure"),
    "channel:organic_search": ("researchers", "Rechercheure"),
    "channel:video": ("researchers", "Rechercheure"),
    "events_per_session": ("researchers", "Rechercheure"),
    "orders": ("repeat buyers", "Stammkäufer"),
    "channel:email": ("repeat buyers", "Stammkäufer"),
    "order_value": ("big spenders", "Großeinkäufer"),
    "channel:store": ("store shoppers", "Filialkäufer"),
    "channel:call_centre": ("callers", "Anrufer"),
    "visits_per_week": ("frequent visitors", "Vielbesucher"),
}
#: nouns that would repeat their adjective ("In-store store shoppers")
_SAME = {"channel:store": "platform:store", "channel:call_centre": "platform:phone"}
_FALLBACK: tuple[_Pair, _Pair] = (("browsers", "Stöberer"), ("customers", "Kunden"))
#: feature -> ((en, de) when high, (en, de) when low)
_PHRASES: dict[str, tuple[_Pair, _Pair]] = {
    "events": (("many events", "viele Ereignisse"), ("few events", "wenige Ereignisse")),
    "sessions": (("many visits", "viele Besuche"), ("few visits", "wenige Besuche")),
    "active_days": (
        ("many active days", "viele aktive Tage"),
        ("few active days", "wenige aktive Tage"),
    ),
    "events_per_session": (("long sessions", "lange Sitzungen"), ("short visits", "kurze Besuche")),
    "visits_per_week": (("visits often", "kommen oft"), ("visits rarely", "kommen selten")),
    "recency_days": (("long inactive", "lange inaktiv"), ("recently active", "zuletzt aktiv")),
    "orders": (("many orders", "viele Bestellungen"), ("rarely buy", "kaufen selten")),
    "revenue": (("high revenue", "viel Umsatz"), ("little revenue", "wenig Umsatz")),
    "order_value": (("large baskets", "große Warenkörbe"), ("small baskets", "kleine Warenkörbe")),
    "weekend": (("weekends", "am Wochenende"), ("weekdays", "unter der Woche")),
    "hours:night": (("at night", "nachts"), ("not at night", "nicht nachts")),
    "hours:morning": (("mornings", "vormittags"), ("not mornings", "nicht vormittags")),
    "hours:afternoon": (("afternoons", "nachmittags"), ("not afternoons", "nicht nachmittags")),
    "hours:evening": (("evenings", "abends"), ("not evenings", "nicht abends")),
    "pace:quick": (
        ("click quickly", "klicken schnell"),
        ("rarely click quickly", "klicken selten schnell"),
    ),
    "pace:brisk": (("brisk pace", "zügiges Tempo"), ("rarely brisk", "selten zügig")),
    "pace:steady": (("steady pace", "ruhiges Tempo"), ("rarely steady", "selten ruhig")),
    "pace:slow": (("take their time", "lassen sich Zeit"), ("rarely linger", "verweilen selten")),
}
_GROUP_WORDS: dict[str, _Pair] = {
    "device": ("on", "auf"),
    "platform": ("via", "über"),
    "phase": ("reach", "erreichen"),
}


def feature_label(feature: str) -> _Pair:
    """A feature as short words (en, de): ``channel:paid_social`` -> ``paid social``."""
    if feature in _PHRASES:
        return _PHRASES[feature][0]
    group, _, value = feature.partition(":")
    text = value.replace("_", " ") if value else group.replace("_", " ")
    if group in _GROUP_WORDS:
        en, de = _GROUP_WORDS[group]
        return f"{en} {text}", f"{de} {text}"
    return text, text


def _phrase(feature: str, z: float) -> _Pair:
    if feature in _PHRASES:
        return _PHRASES[feature][0 if z > 0 else 1]
    en, de = feature_label(feature)
    return (en, de) if z > 0 else (f"little {en}", f"wenig {de}")


def describe(z: Mapping[str, float], *, taken: Sequence[_Pair] = ()) -> tuple[_Pair, _Pair]:
    """``((name_en, name_de), (profile_en, profile_de))`` of a persona with deviations ``z``
    (feature -> standardised difference). ``taken`` names are avoided where another noun
    fits; :func:`unique_names` numbers what still clashes."""
    ranked = sorted(z.items(), key=lambda kv: (-abs(kv[1]), kv[0]))
    adj = next(
        (
            f
            for f, v in sorted(z.items(), key=lambda kv: (-kv[1], kv[0]))
            if f in _ADJECTIVES and v >= _MIN_Z
        ),
        None,
    )
    adjective = _ADJECTIVES[adj] if adj else None
    nouns = [
        _NOUNS[f]
        for f, v in sorted(z.items(), key=lambda kv: (-kv[1], kv[0]))
        if f in _NOUNS and v >= _MIN_Z and _SAME.get(f) != adj
    ]
    low_orders = z.get("orders", 0.0) <= -_MIN_Z
    nouns.append(_FALLBACK[0] if low_orders else _FALLBACK[1])
    names = [_join(adjective, noun) for noun in dict.fromkeys(nouns)]
    name = next((n for n in names if n not in taken), names[0])
    words = [_phrase(f, v) for f, v in ranked if abs(v) >= _MIN_Z and f not in _ADJECTIVES][:4]
    profile = (
        ", ".join(w[0] for w in words) or "like everyone",
        ", ".join(w[1] for w in words) or "wie alle",
    )
    return name, (profile[0][:1].upper() + profile[0][1:], profile[1][:1].upper() + profile[1][1:])


def _join(adjective: _Pair | None, noun: _Pair) -> _Pair:
    if adjective is None:
        return noun[0][:1].upper() + noun[0][1:], noun[1]
    de = adjective[1] + noun[1] if adjective[1].endswith("-") else f"{adjective[1]}{noun[1]}"
    return f"{adjective[0]} {noun[0]}", de


def unique_names(zs: Sequence[Mapping[str, float]]) -> list[tuple[_Pair, _Pair]]:
    """:func:`describe` for every persona, the names made unique (a number where needed)."""
    out: list[tuple[_Pair, _Pair]] = []
    for z in zs:
        name, profile = describe(z, taken=[n for n, _ in out])
        if name in [n for n, _ in out]:
            count = sum(1 for n, _ in out if n[0].startswith(name[0])) + 1
            name = (f"{name[0]} {count}", f"{name[1]} {count}")
        out.append((name, profile))
    return out
