"""The demo's purchase and what follows it (internal): the checkout visit, the experiment's
assignment, bundles, the credit of a sale, after-sale events and surveys -- the steps of
the simulation (:class:`wegweiser.events.demo._Sim`) from the purchase on, kept apart to keep
that module small. Each function takes the simulation, whose state and randomness it shares."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from wegweiser.events import _demo_channels as _channels
from wegweiser.events import _demo_feedback as _feedback
from wegweiser.events import _demo_planted as _planted
from wegweiser.events import _demo_shop as _shop

if TYPE_CHECKING:
    from wegweiser.events._demo_people import _Device, _Person
    from wegweiser.events.demo import _Sim

_DAY = 86_400_000_000  # microseconds, the demo's time unit
_EMPTY = "{}"


def checkout(sim: _Sim, p: _Person, ch: str, t: int) -> tuple[str, _Device, str]:
    """The purchase visit: ('ordered'|'failed'|'dropped'|'cut', device, channel)."""
    rng, per = sim.rng, p.persona
    items = [sim.product(p) for _ in range(1 + int(rng.expovariate(1.0)))]
    base = sum(i[2] for i in items) * per.order_value
    if ch == "store" or rng.random() < per.store_buy:
        value = round(base * bundles(sim, p), 2)
        d = p.devices[0]
        store = [_shop.CATEGORY_PROPS[p.focus],
                 json.dumps({"items": len(items), "store": "Berlin-Mitte"})]
        n = sim.emit(p, d, sim.visit(p, "store", d), sim.opening_hours(p, t),
                     ["store_visit", "store_purchase"], store, value)
        if n == 2:
            credit(sim, p, value)
        return ("ordered" if n == 2 else "cut"), d, "store"
    ch = "direct" if ch in _channels.OFFLINE_CHANNELS else ch
    d = sim.device(p, ch, False)
    exposure = assign(sim, p, t)
    value = round(base * bundles(sim, p), 2)
    evs = [*_channels.LANDING[ch][0], "product_view", "add_to_cart", "checkout_started"]
    props = sim.props(p, evs)
    props[-3:] = [items[0][3], items[0][3], json.dumps({"step": 1, "cart_value": value})]
    if p.uid is not None and not d.linked:
        evs.append("identify")  # log in or sign up to order
        props.append(None)
    pay = json.dumps({"step": 3, "cart_value": value})
    evs += ["checkout_shipping", "checkout_payment"]
    props += [json.dumps({"step": 2, "cart_value": value}), pay]
    error = rng.random() < sim.fix.error_rate(d.kind, t)
    done = rng.random() < (_planted.COMPLETE_AFTER_ERROR if error else _planted.COMPLETE_CLEAN)
    if error:  # checkout_payment -> payment_error -> checkout_payment ...
        k = rng.randint(1, 3)
        for attempt in range(1, k + 1):
            evs.append("payment_error")
            props.append(json.dumps({"step": 3, "attempt": attempt, "error": sim.choice(
                ("card_declined", "3ds_timeout", "wallet_closed"))}))
            if attempt < k or done:
                evs.append("checkout_payment")
                props.append(pay)
    elif not done:
        cut = rng.randint(len(evs) - 3, len(evs) - 1)
        del evs[cut:], props[cut:]
    if done:
        evs.append("order_completed")
        props.append(json.dumps({"order_id": f"O{sim.n_events:09d}", "items": len(items)}))
    if done and sim.geo.lose(p, t, value):  # the geo holdout: no video, no order
        done = False
        del evs[-1], props[-1]
    n_all = len(evs)
    n = sim.emit(p, d, sim.visit(p, ch, d), t, evs, props, value if done else None,
                 exposure)
    n_all += "experiment_viewed" in evs
    if "checkout_payment" in evs:
        sim.payments[d.kind][0] += 1
        sim.payments[d.kind][1] += "payment_error" in evs
        sim.fix.count(d.kind, t, "payment_error" in evs)
    p.failed = p.failed or error
    if n < n_all:
        return "cut", d, ch
    if done:
        credit(sim, p, value)
    return ("ordered" if done else "failed" if error else "dropped"), d, ch


def assign(sim: _Sim, p: _Person, t: int) -> str | None:
    """The planted experiment's properties when this checkout (at ``t``) is the person's
    first in the experiment's period, else None; assigns the variant 50/50."""
    if p.variant is not None or t < sim.exp_start:
        return None
    x = _planted.EXPERIMENT
    p.variant = x["treatment"] if sim.exp_rng.random() < 0.5 else x["control"]
    return json.dumps({"experiment_id": x["experiment_id"], "variation_id": p.variant})


def bundles(sim: _Sim, p: _Person) -> float:
    """The order value factor of the planted experiment's variant."""
    x = _planted.EXPERIMENT
    return float(x["revenue_factor"]) if p.variant == x["treatment"] else 1.0


def credit(sim: _Sim, p: _Person, value: float) -> None:
    """Split an order's value equally over the visits of its path: those since the
    previous order and within the attribution lookback before the order (the last
    visit); the next order starts a new path."""
    since = p.path[-1][0] - _channels.LOOKBACK_DAYS * _DAY
    channels = [ch for start, ch in p.path if start >= since]
    for ch in channels:
        sim.linear_revenue[ch] += value / len(channels)
    p.path = []


def after_sale(sim: _Sim, p: _Person, d: _Device, ch: str) -> bool:
    """Shipping, delivery, support, returns, a survey, reviews; False when cut."""
    rng, per = sim.rng, p.persona
    mail = sim.visit(p, "email", d, "after_sale")
    store, late = ch == "store", False
    if not store:
        if not sim.emit(p, d, mail, sim.at(p, 0.3, 1.5), ["order_shipped"], [_EMPTY]):
            return False
        late = rng.random() < 0.08
        if not sim.emit(p, d, mail, sim.at(p, 1.5, 3.5) + late * 3 * _DAY,
                        ["delivery_confirmed"], [_EMPTY]):
            return False
    support = rng.random() < (0.45 if late else 0.08)
    if support or rng.random() < 0.05:
        sch = sim.choice(("call_centre", "chat", "direct")) if support else "direct"
        evs = ["support_contacted"] if support else []
        evs += ["return_requested"] if not support or rng.random() < 0.35 else []
        dev, when = d, sim.at(p, 0.1, 3)
        if sch == "call_centre":
            dev, when = p.devices[0], sim.opening_hours(p, when)
        if sim.emit(p, dev, sim.visit(p, sch, d), when, evs, [_EMPTY] * len(evs)) < len(evs):
            return False
    if rng.random() < (0.3 if support or p.failed else 0.12):
        if support:
            about, topic = ("support_contacted", sch), "support"
        elif p.failed:
            about, topic = ("checkout_payment", ch), "payment"
        elif store:
            about, topic = ("store_purchase", "store"), ""
        else:
            about = (sim.choice(("order_completed", "delivery_confirmed")), ch)
            topic = "delivery" if late else ""
        if not survey(sim, p, d, about, topic):
            return False
    for event, chance in (("review_written", per.review), ("loyalty_joined", per.loyalty),
                          ("referral_sent", per.referral)):
        if rng.random() < chance:
            review = event == "review_written"  # after a review request email
            evs = ["email_open", "email_click", event] if review else [event]
            props = [_EMPTY] * len(evs)
            if review:
                stars = rng.randint(1, 3) if p.failed or late or support else rng.randint(4, 5)
                props[-1] = json.dumps({"product_id": sim.product(p)[0], "rating": stars})
            v = mail if review else sim.visit(p, "direct", d)
            if sim.emit(p, d, v, sim.at(p, 2, 12), evs, props) < len(evs):
                return False
    return True


def survey(sim: _Sim, p: _Person, d: _Device, about: tuple[str, str], topic: str) -> bool:
    kind = "csat" if about[0] == "support_contacted" or sim.rng.random() < 0.3 else "nps"
    score, comment = _feedback.survey_answer(sim.rng, kind, topic, p.lang)
    props = json.dumps({"survey": kind, "score": score, "comment": comment, "lang": p.lang,
                        "about_event": about[0], "about_channel": about[1]},
                       ensure_ascii=False)
    if not sim.emit(p, d, sim.visit(p, "email", d, "after_sale"), sim.at(p, 0.5, 3),
                    ["survey_answered"], [props]):
        return False
    sim.surveys.append((kind, score, p.lang, about[0]))
    return True
