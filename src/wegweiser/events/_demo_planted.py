"""The demo's planted effects (internal, for :mod:`wegweiser.events.demo`): the A/B test,
the channels that change the chance to buy, the mobile payment pain point, and what the
simulation produced of them (for the truth)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wegweiser.events._demo_personas import PERSONAS

if TYPE_CHECKING:
    from collections.abc import Mapping

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
