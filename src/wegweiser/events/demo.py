"""A realistic, deterministic synthetic data set of multi-channel customer journeys.

:func:`generate` simulates people of four personas (``_demo_personas.py``; the shop, its
channels, the planted effects and the feedback in the ``_demo_*`` modules beside it) who travel
through the six default phases, on several devices and offline, with planted effects that an
analysis should find again; :attr:`DemoData.truth` says what was planted. The same ``seed``
gives byte-identical tables.

``truth`` keys: ``seed``, ``persons`` (people simulated), ``n_events``, ``start``/``end`` (ISO
dates), ``channels``, ``channel_map`` (intended channel per source/medium/referrer host of the
events without an explicit channel), ``offline_channels``, ``persona_profiles``, ``personas``
(person key -> persona; the key is the user id of an identified person, else the anonymous id
of its first device), ``persona_of`` and ``final_phase`` (per *stitched* key: a user id with
all its linked anonymous ids, or an anonymous id that was never linked), ``identity`` (user id
-> sorted linked anonymous ids), ``phase_counts``, ``buyers``, ``channel_effects`` (planted and
observed per persona), ``pain_point``, ``feedback``, ``repeat_purchases`` (planted orders per
buyer and persona, the identified buyers' repeat orders and who was still an active buyer
at the end: ``_demo_truth.repeat_truth``) and ``experiment`` (the planted A/B test
``cart_bundles``: its variants, start date, persons exposed per variant and true lifts),
with ``generate(fix=True)`` ``fix`` (the planted fix of the mobile payment, ``_demo_fix``)
and with ``generate(geo_holdout=True)`` ``geo_holdout`` (video off in some countries for
four weeks, ``_demo_geo``).

>>> data = generate(50, seed=1)
>>> data.events.num_rows == data.truth["n_events"], sorted(data.truth["phase_counts"])[0]
(True, 'After-Sale')
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from fnmatch import fnmatchcase
from itertools import accumulate
from math import log
from typing import TYPE_CHECKING, Any, TypeVar

import pyarrow as pa

from wegweiser.config import default_config
from wegweiser.errors import InvalidInput
from wegweiser.events import _demo_channels as _channels
from wegweiser.events import _demo_emerging as _emerging
from wegweiser.events import _demo_fix as _fix
from wegweiser.events import _demo_geo as _geo
from wegweiser.events import _demo_personas as pers
from wegweiser.events import _demo_planted as _planted
from wegweiser.events import _demo_sale as _sale
from wegweiser.events import _demo_shop as _shop
from wegweiser.events import _demo_truth as _truth
from wegweiser.events._demo_people import _Device, _Person, _picks
from wegweiser.events._demo_shop import COSTS_SCHEMA, EVENTS_SCHEMA
from wegweiser.events._demo_truth import write_demo

if TYPE_CHECKING:
    from collections.abc import Sequence

    from wegweiser.events._demo_people import _Picks, _Visit
    from wegweiser.events._demo_personas import Persona

__all__ = ["COSTS_SCHEMA", "EVENTS_SCHEMA", "DemoData", "generate", "write_demo"]

US = 1_000_000
MINUTE = 60 * US
HOUR = 60 * MINUTE
DAY = 24 * HOUR
_FLUSH_ROWS = 250_000  # events per Arrow batch; bounds the Python objects alive at once
_EMPTY = "{}"
# Columns that are constant within a visit; stored once per visit and repeated on flush.
_VISIT_COLS = ("anonymous_id", "source", "medium", "campaign", "referrer", "channel", "device",
               "platform", "country")
_T = TypeVar("_T")
_RANDOM_PROPS = {"search": _shop.SEARCHES, "creative": _shop.CREATIVES, "page": _shop.LANDINGS}


@dataclass(frozen=True)
class DemoData:
    """Events, daily costs of the paid channels, and the planted ground truth."""

    events: pa.Table
    costs: pa.Table
    truth: dict[str, Any]


def _phase_map() -> dict[str, str | None]:
    phases = default_config().phases
    return {e: next((p.name for p in phases if any(fnmatchcase(e, g) for g in p.events)), None)
            for e in _shop.VOCABULARY}


class _Sim:
    """One simulation run; all randomness comes from one seeded ``random.Random``."""

    def __init__(self, seed: int, start: dt.date, end: dt.date) -> None:
        self.rng, self.seed = random.Random(seed), seed
        self.t0 = int(dt.datetime(start.year, start.month, start.day, tzinfo=dt.UTC).timestamp())
        self.t0 *= US
        self.n_days = (end - start).days + 1
        self.t_end = self.t0 + self.n_days * DAY
        self.weekday0 = start.weekday()
        self.phase_of = _phase_map()
        self.personas_cw = (list(pers.PERSONAS), list(accumulate(p.share for p in pers.PERSONAS)))
        self.persona_cw: dict[str, dict[str, _Picks]] = {}
        for p in pers.PERSONAS:
            self.register(p)
        self.touch_cw = {ch: _picks({o[:3]: o[3] for o in opts})
                         for ch, opts in _channels.TOUCH.items()}
        self.campaign_cw = {ch: _picks({c[0]: c[1] for c in camps})
                            for ch, camps in _channels.CAMPAIGNS.items()}
        self.by_cat: dict[str, list[tuple[str, str, float, str]]] = {}
        for prod in _shop.PRODUCTS:
            self.by_cat.setdefault(prod[1], []).append(prod)
        self.cats = list(self.by_cat)
        self.static: dict[str, dict[str | None, str | None]] = {cat: {
            None: _EMPTY, "none": None, "coupon": _shop.COUPON, "category": props,
        } for cat, props in _shop.CATEGORY_PROPS.items()}
        self.batches: list[pa.RecordBatch] = []
        self.n_events = self.n_persons = self.buyers = 0
        self.buyers_stitched = self.split = self.extra_keys = self.seen = 0
        self._new_columns()
        self.personas: dict[str, str] = {}  # person key -> persona
        self.persona_of: dict[str, str] = {}  # stitched key -> persona
        self.identity: dict[str, list[str]] = {}
        self.final_phase: dict[str, str] = {}
        self.touches: Counter[tuple[int, str, str]] = Counter()  # (day, channel, campaign)
        self.combos: dict[tuple[str | None, str | None, str | None], str] = {}
        self.payments: dict[str, list[int]] = {k: [0, 0] for k in _planted.PAYMENT_ERROR}
        self.surveys: list[tuple[str, int, str, str]] = []  # survey, score, lang, about
        # (persona, effect channel, exposed) -> [persons, buyers, sum of visits to 1st order]
        self.effects: dict[tuple[str, str, bool], list[int]] = defaultdict(lambda: [0, 0, 0])
        # revenue per channel, each order's value split equally over the visits of its path
        self.linear_revenue: dict[str, float] = defaultdict(float)
        # the planted experiment: its own random stream, so the rest stays as it was
        self.exp_rng = random.Random(f"{seed}:experiment")
        self.exp_start = self.t0 + (self.n_days // 2) * DAY
        self.exp_seen: Counter[str] = Counter()
        self.fix = _fix.Watch(self.t0, self.n_days)  # generate(fix=True): truth key fix
        self.geo = _geo.Holdout(seed, self.t0, self.n_days)  # the planted geo holdout

    def register(self, p: Persona) -> None:
        """Prepare the weighted picks of persona ``p`` (every simulated persona needs them)."""
        first = {c: w for c, w in p.channels.items() if c not in _channels.GATED and c != "chat"}
        for key, weights in (
            ("country", p.countries), ("devices", p.devices), ("channels", p.channels),
            ("first", first), ("n_devices", dict(zip((1, 2, 3), p.n_devices, strict=True))),
            ("orders", {i + 1: w for i, w in enumerate(p.orders)}),
            ("hours", dict(enumerate(p.hours))),
        ):
            self.persona_cw.setdefault(p.name, {})[key] = _picks(weights)

    # -- columns -------------------------------------------------------------------------
    def _new_columns(self) -> None:
        self.cols: dict[str, list[Any]] = {k: [] for k in ("event", "user_id", "ts", "props")}
        self.visit_rows: list[tuple[Any, ...]] = []  # _VISIT_COLS + number of events
        self.revenue: list[tuple[int, float]] = []  # (row in batch, value)

    def flush(self) -> None:
        c = self.cols
        n = len(c["event"])
        if not n:
            return
        self.batches.append(_shop.events_batch(
            self.seed, self.n_events - n, c, self.visit_rows, self.revenue, _VISIT_COLS))
        self._new_columns()

    def emit(self, p: _Person, d: _Device, v: _Visit, start: int, evs: list[str],
             props: list[str] | list[str | None], revenue: float | None = None,
             exposure: str | None = None) -> int:
        """Append one visit's events (cut at the end of the window); returns how many.

        ``revenue`` goes on the last event and is dropped with it when the visit is cut.
        ``exposure`` (properties) adds an ``experiment_viewed`` event a millisecond after the
        visit's ``checkout_started``, drawing no random number.
        """
        n, ts, rnd = len(evs), start, self.rng.random
        times = [start]
        mean = -p.persona.event_gap_s * US
        for _ in range(n - 1):
            ts += US + int(mean * log(1.0 - rnd()))  # exponential gaps, at least a second
            times.append(ts)
        if ts >= self.t_end:
            p.at_end = True
            n = bisect.bisect_left(times, self.t_end)
            if n == 0:
                return 0
            del times[n:], evs[n:], props[n:]
            revenue = None
        if exposure is not None and "checkout_started" in evs:
            k = evs.index("checkout_started") + 1
            evs.insert(k, "experiment_viewed")
            props.insert(k, exposure)
            times.insert(k, times[k - 1] + 1000)
            n += 1
            self.exp_seen[p.variant or ""] += 1
        elif exposure is not None:
            p.variant = None  # the checkout never got that far: not exposed after all
        uids: list[str | None]
        if d.linked:
            uids = [p.uid] * n
        elif "identify" in evs:
            i = evs.index("identify")
            uids = [None] * i
            uids += [p.uid] * (n - i)
            d.linked = p.account = p.opted = True
        else:
            uids = [None] * n
        for i in range(n - 1, -1, -1):
            if (phase := self.phase_of[evs[i]]) is not None:
                d.last_phase, d.last_ts = phase, times[i]
                break
        d.n += n
        d.bought = d.bought or any(e in _shop.PURCHASE_EVENTS for e in evs)
        p.path.append((start, v[0]))
        c = self.cols
        if revenue is not None:
            self.revenue.append((len(c["event"]) + n - 1, revenue))
        c["event"] += evs
        c["user_id"] += uids
        c["ts"] += times
        c["props"] += props
        channel, source, medium, campaign, referrer, explicit, device, platform = v
        self.visit_rows.append((d.anon, source, medium, campaign, referrer, explicit, device,
                                platform, p.country, n))
        self.n_events += n
        p.t = times[-1]
        if explicit is None:
            self.combos[(source, medium, referrer)] = channel
        if campaign is not None and channel in _channels.CAMPAIGNS:
            self.touches[((start - self.t0) // DAY, channel, campaign)] += 1
        return n

    # -- building blocks -----------------------------------------------------------------
    def pick(self, picks: _Picks) -> Any:
        """``rng.choices(keys, cum_weights=...)[0]`` without its overhead."""
        keys, cw = picks
        return keys[bisect.bisect(cw, self.rng.random() * cw[-1])]

    def choice(self, seq: Sequence[_T]) -> _T:
        return seq[int(self.rng.random() * len(seq))]

    def visit(self, p: _Person, ch: str, d: _Device, campaign: str | None = None) -> _Visit:
        if ch in _channels.OFFLINE_CHANNELS:  # channel set explicitly
            kind = d.kind if ch == "chat" else None
            platform = _channels.OFFLINE_CHANNELS[ch]["platform"]
            return (ch, None, None, None, None, ch, kind, platform)
        source, medium, referrer = self.pick(self.touch_cw[ch])
        if campaign is None and ch in _channels.CAMPAIGNS:
            campaign = self.pick(self.campaign_cw[ch])
        if campaign == "after_sale":
            source = "shop"
        return (ch, source, medium, campaign, referrer, None, d.kind, d.platform)

    def device(self, p: _Person, ch: str, first: bool) -> _Device:
        if ch == "push" and p.app is not None:
            return p.app
        if first or len(p.devices) == 1 or self.rng.random() < 0.6:
            return p.devices[0]
        return p.devices[1 + int(self.rng.random() * (len(p.devices) - 1))]

    def next_start(self, p: _Person, gap_days: float | None) -> int:
        """Start of the next visit, ``gap_days`` later on average (None: on the day of p.t)."""
        rnd = self.rng.random
        day = (p.t - self.t0) // DAY
        if gap_days is not None:
            day += int(-gap_days * log(1.0 - rnd()))  # exponential gap
        if (self.weekday0 + day) % 7 >= 5 and rnd() < 0.2:
            day += 1  # a little less traffic on weekends
        hour: int = self.pick(p.cw["hours"])
        ts = self.t0 + day * DAY + hour * HOUR + int(rnd() * HOUR)
        if gap_days is not None and ts < p.t + 20 * MINUTE:
            ts = p.t + 20 * MINUTE + int(rnd() * 3 * HOUR)
        return ts

    def opening_hours(self, p: _Person, t: int) -> int:
        """``t`` moved into 9:00-19:00 UTC of its day (stores and the hotline are closed)."""
        day = t - (t - self.t0) % DAY
        moved = day + 9 * HOUR + (t - day) * 10 // 24
        return moved if moved > p.t + 20 * MINUTE else t

    def at(self, p: _Person, lo_days: float, hi_days: float) -> int:
        return p.t + int(self.rng.uniform(lo_days, hi_days) * DAY)

    def channel(self, p: _Person, first: bool) -> str:
        if p.exposed and (first or self.rng.random() < _planted.EXPOSURE_REVISIT):
            return self.choice(p.exposed)
        ch: str = self.pick(p.cw["first" if first else "channels"])
        if ch in _channels.GATED and not (p.opted and (ch != "push" or p.app is not None)):
            ch = self.pick(p.cw["first"])  # not opted in: something else
        return ch

    def product(self, p: _Person) -> tuple[str, str, float, str]:
        rnd = self.rng.random
        products = self.by_cat[p.focus if rnd() < 0.75 else self.cats[int(rnd() * len(self.cats))]]
        return products[int(rnd() * len(products))]

    def props(self, p: _Person, evs: list[str]) -> list[str | None]:
        """Properties of each event: a product, a search, an ad creative, a page, or fixed."""
        rnd, static = self.rng.random, self.static[p.focus]
        out: list[str | None] = []
        for e in evs:
            kind = _shop.PROPS_OF.get(e)
            if kind == "product":
                out.append(self.product(p)[3])
            elif kind is None or kind not in _RANDOM_PROPS:
                out.append(static[kind])
            else:
                pool = _RANDOM_PROPS[kind]
                out.append(pool[int(rnd() * len(pool))])
        return out

    def body(self, p: _Person, stage: int) -> list[str]:
        """Events of a visit after its landing, by stage (0 aware, 1 consider, 2 prefer)."""
        rng, per = self.rng, p.persona
        if stage == 0:
            return ["product_list_view"] + ["product_view"] * int(rng.random() * 3)
        if stage == 1:
            evs = [self.choice(("product_list_view", "search"))]
            evs += ["product_view"] * (1 + int(rng.expovariate(1.0 / per.depth)))
            if rng.random() < (0.6 if per.depth > 4 else 0.2):
                evs.insert(rng.randint(1, len(evs)), "review_read")
            if rng.random() < (0.35 if per.depth > 4 else 0.1):
                evs.append("compare_products")
            return evs
        evs = ["product_view"] * (1 + (rng.random() < 0.5))
        evs.append("add_to_cart" if rng.random() < 0.7 else "wishlist_add")
        if per.order_value < 1 and rng.random() < 0.5:
            evs.append("coupon_view")  # bargain hunters look for coupons
        return evs

    # -- visits --------------------------------------------------------------------------
    def browse(self, p: _Person, ch: str, stage: int, t: int, first: bool) -> tuple[bool, int]:
        """A visit without a purchase; returns (not cut, next stage)."""
        rng = self.rng
        d = self.device(p, ch, first)
        if ch in ("store", "call_centre"):  # offline: as the person's first device
            evs = ["store_visit"] if ch == "store" else ["call_started", "call_ended"]
            t = self.opening_hours(p, t)
            ok = self.emit(p, p.devices[0], self.visit(p, ch, d), t, evs, self.props(p, evs))
            return ok == len(evs), max(stage, 1)
        v = self.visit(p, "direct" if ch == "chat" else ch, d,
                       "retargeting_banner" if ch == "display" and stage == 2 else None)
        landing, stop_chance = _channels.LANDING[v[0]]
        evs = landing[:1] if rng.random() < stop_chance else landing + self.body(p, stage)
        if len(evs) > 1 and stage >= 1 and not p.opted and rng.random() < 0.12:
            evs.append("newsletter_signup")  # opts in; with an account it is the signup
            p.opted = True
            if p.uid is not None and not d.linked:
                evs.append("identify")
        elif len(evs) > 1 and p.account and not d.linked and rng.random() < 0.5:
            evs.insert(1, "identify")  # logs in on this device
        if self.emit(p, d, v, t, evs, self.props(p, evs)) < len(evs):
            return False, stage
        if ch == "chat":
            chat = ["chat_started", "chat_ended"]
            if self.emit(p, d, self.visit(p, ch, d), p.t + US * rng.randint(5, 60), chat,
                         [_EMPTY, _EMPTY]) < 2:
                return False, stage
        r = rng.random()
        if r < 0.45:
            stage = min(stage + 1, 2)
        elif r < 0.65 and stage == 2:
            stage = 1  # back to comparing
        return True, stage

    # -- a person (the purchase and after it: _demo_sale.py) ------------------------------
    def person(self, idx: int, persona: Persona | None = None, first_day: int = 0) -> None:
        """Simulate person ``idx``: of a persona drawn by share (or ``persona``), starting on
        a random day from ``first_day`` on."""
        rng = self.rng
        per: Persona = persona if persona is not None else self.pick(self.personas_cw)
        cw = self.persona_cw[per.name]
        country: str = self.pick(cw["country"])
        lang = "de" if (country in ("DE", "AT", "CH")) == (rng.random() < 0.93) else "en"
        devices = []
        for _ in range(self.pick(cw["n_devices"])):
            kind: str = self.pick(cw["devices"])
            platform = "web"
            if kind != "desktop" and rng.random() < (per.app if kind == "mobile" else per.app / 2):
                platform = "ios" if kind == "tablet" or rng.random() < 0.45 else "android"
            h = f"{rng.getrandbits(128):032x}"
            anon = f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{h[16:20]}-{h[20:]}"
            devices.append(_Device(anon, kind, platform))
        uid = f"cust-{idx + 1:07d}" if rng.random() < per.identifies else None
        p = _Person(per, country, lang, devices, uid, self.choice(self.cats))
        p.cw = cw
        p.exposed = tuple(c for c, share in per.exposure.items() if rng.random() < share)
        p.t = self.t0 + (first_day + rng.randrange(self.n_days - first_day)) * DAY
        self.journey(p)
        _truth.record(self, p)
        if len(self.cols["event"]) >= _FLUSH_ROWS:
            self.flush()

    def need(self, p: _Person, mean: float) -> int:
        """Number of visits until the purchase decision (10% fewer for video viewers)."""
        need = self.rng.gammavariate(2.5, mean / 2.5)
        if "video" in p.exposed:
            need *= _planted.CHANNEL_EFFECTS["video"]["touchpoint_factor"]
        return max(1, int(need + self.rng.random()))

    def journey(self, p: _Person) -> None:
        rng, per = self.rng, p.persona
        need, cycle, stage, visits = self.need(p, per.need), 0, 0, 0
        orders: int = self.pick(p.cw["orders"])
        p.left = orders
        chance = per.buy
        for c in p.exposed:
            chance *= _planted.CHANNEL_EFFECTS[c]["conversion_multiplier"]
        extra = -1  # visits left after the last order (-1: not there yet)
        gap = per.gap_days
        while visits < 90 and extra != 0:
            t = self.next_start(p, gap if visits else None)
            gap = per.gap_days
            if t >= self.t_end:
                p.at_end = True
                return
            ch = self.geo.switch(p, self.channel(p, visits == 0), t)
            visits += 1
            cycle += 1
            if extra > 0 or cycle < need:
                ok, stage = self.browse(p, ch, stage, t, visits == 1)
                extra -= extra > 0
                if not ok:
                    return
                continue
            if rng.random() >= min(chance, 0.95):  # not now: fills the cart and leaves
                ok, _ = self.browse(p, ch, 2, t, False)
                if not ok or rng.random() < 0.45:
                    return
                need += 1 + int(rng.expovariate(0.4))
                stage = 1
                continue
            outcome, d, where = _sale.checkout(self, p, ch, t)
            if outcome == "cut" or self.geo.gone(p):
                return
            if outcome != "ordered":
                if rng.random() < (0.35 if outcome == "failed" else 0.5):
                    need += rng.randint(1, 3)  # comes back later
                    continue
                if p.failed and rng.random() < 0.25:
                    _sale.survey(self, p, d, ("checkout_payment", where), "payment")
                return
            p.orders += 1
            p.bought_on.append(d)
            p.to_order = p.to_order or visits
            if not _sale.after_sale(self, p, d, where):
                return
            p.failed = False
            orders -= 1
            p.left = orders
            cycle, stage, gap = 0, 1, per.gap_days * 3
            need = self.need(p, max(1.5, per.need * 0.4))
            if not orders:
                extra = self.choice((0, 0, 1, 2, 3))


def generate(persons: int = 20_000, *, seed: int = 0, days: int = 120,
             end: dt.date = dt.date(2026, 10, 31), emerging: bool = False,
             fix: bool = False, geo_holdout: bool = False) -> DemoData:
    """Simulate ``persons`` people over ``end - days`` .. ``end`` (dates inclusive, UTC).

    Rows are grouped by person and ordered by time within a person; 20,000 persons give
    about a million events. See the module docstring of ``_demo_personas`` for the personas.
    ``emerging`` adds a group that appears in the later weeks (``_demo_emerging``; truth key
    ``emerging``); without it the population is stationary. ``fix`` plants a fix of the mobile
    payment three quarters into the period (``_demo_fix``; truth key ``fix``) and
    ``geo_holdout`` switches video off in two countries for four weeks (``_demo_geo``; truth
    key ``geo_holdout``); the ``wegweiser demo`` command plants both; without them nothing
    changes.
    """
    if persons < 0 or days < 1:
        raise InvalidInput(f"generate() needs persons >= 0 and days >= 1, got {persons}, {days}")
    start = end - dt.timedelta(days=days)
    sim = _Sim(seed, start, end)
    sim.fix.planted = fix
    sim.geo.planted = geo_holdout
    for idx in range(persons):
        sim.person(idx)
    planted = _emerging.plant(sim, persons) if emerging else None
    sim.flush()
    events = pa.Table.from_batches(sim.batches, schema=EVENTS_SCHEMA)
    spend = _channels.planted_spend(sim.linear_revenue)
    costs = _channels.daily_costs(sim.touches, start, sim.n_days, seed=seed, schema=COSTS_SCHEMA,
                             spend=spend)
    truth = _truth.truth(sim, start, end)
    truth["costs"] = _channels.cost_truth(costs, sim.linear_revenue)
    if fix:
        truth["fix"] = sim.fix.truth(start)
    if planted is not None:
        truth["emerging"] = planted
    if geo_holdout:
        truth["geo_holdout"] = sim.geo.truth()
    truth["experiment"] = {
        **_planted.EXPERIMENT, "start": (start + dt.timedelta(days=sim.n_days // 2)).isoformat(),
        "exposed": dict(sorted(sim.exp_seen.items())),
    }
    return DemoData(events=events, costs=costs, truth=truth)
