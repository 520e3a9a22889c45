from __future__ import annotations

import datetime as dt
import itertools
import json
from collections import Counter, defaultdict
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import wegweiser
from wegweiser.config import default_config
from wegweiser.events import _demo_feedback, _demo_shop
from wegweiser.events.demo import COSTS_SCHEMA, EVENTS_SCHEMA, DemoData, generate, write_demo

PURCHASES = {"order_completed", "store_purchase"}


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return generate(1500, seed=7)


@pytest.fixture(scope="module")
def rows(demo: DemoData) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = demo.events.to_pylist()
    return rows


PHASES = default_config().phases


def phase_of(event: str) -> str | None:
    for phase in PHASES:
        if any(fnmatchcase(event, glob) for glob in phase.events):
            return phase.name
    return None


def test_same_seed_gives_identical_data_other_seed_differs():
    a, b, c = generate(300, seed=3), generate(300, seed=3), generate(300, seed=4)
    assert a.events.equals(b.events)
    assert a.costs.equals(b.costs)
    assert json.dumps(a.truth, sort_keys=True) == json.dumps(b.truth, sort_keys=True)
    assert not a.events.equals(c.events)
    assert not a.costs.equals(c.costs)


def test_tables_have_the_documented_columns_and_types(demo):
    assert demo.events.schema == EVENTS_SCHEMA
    assert demo.costs.schema == COSTS_SCHEMA
    assert demo.events.schema.field("timestamp").type == pa.timestamp("us", tz="UTC")
    assert demo.truth["n_events"] == demo.events.num_rows
    assert 35 <= demo.events.num_rows / demo.truth["persons"] <= 65
    ids = demo.events.column("message_id")
    assert pc.count_distinct(ids).as_py() == len(ids)
    assert ids[0].as_py() == "demo-7-0"


def test_ids_types_and_values(rows):
    for r in rows:
        if r["type"] == "identify":
            assert r["event"] == "identify"
            assert r["anonymous_id"]
            assert r["user_id"]
        else:
            assert r["anonymous_id"], r
            assert r["event"], r
        assert r["type"] in {"track", "identify", "page", "screen"}
        assert r["device"] in {"mobile", "desktop", "tablet", None}
        assert r["platform"] in {"web", "ios", "android", "store", "phone"}
        assert r["country"] in {"DE", "AT", "CH", "GB", "US"}
        assert (r["device"] is None) == (r["platform"] in {"store", "phone"})
        assert (r["revenue"] is not None) == (r["event"] in PURCHASES)
        assert r["currency"] == ("EUR" if r["revenue"] is not None else None)
        if r["revenue"] is not None:
            assert r["revenue"] > 0
        props = r["properties"]
        assert props is None or isinstance(json.loads(props), dict)
        if r["channel"] is not None:
            assert r["source"] is None
            assert r["medium"] is None
            assert r["referrer"] is None
    assert {r["event"] for r in rows} >= set(_demo_shop.VOCABULARY)


def test_events_are_in_the_window_and_in_time_order_per_device(demo, rows):
    start = dt.datetime.fromisoformat(demo.truth["start"]).replace(tzinfo=dt.UTC)
    end = dt.datetime.fromisoformat(demo.truth["end"]).replace(tzinfo=dt.UTC)
    last: dict[str, dt.datetime] = {}
    for r in rows:
        assert start <= r["timestamp"] < end + dt.timedelta(days=1)
        previous = last.get(r["anonymous_id"])
        assert previous is None or previous < r["timestamp"]
        last[r["anonymous_id"]] = r["timestamp"]
    hours = Counter(r["timestamp"].hour for r in rows)
    assert hours[20] > 3 * hours[3]  # evenings are busy, nights are quiet


def test_truth_lists_channels_personas_and_effects(demo):
    truth = demo.truth
    assert len(truth["channels"]) >= 12
    assert {"store", "call_centre", "chat", "direct", "video", "review_site"} <= set(
        truth["channels"])
    assert len(truth["persona_profiles"]) == 4
    assert sum(p["share"] for p in truth["persona_profiles"].values()) == pytest.approx(1)
    assert set(truth["personas"].values()) == set(truth["persona_profiles"])
    assert len(truth["personas"]) <= truth["persons"] == 1500
    assert set(truth["persona_of"]) == set(truth["final_phase"])
    assert truth["channel_effects"]["video"]["touchpoint_factor"] == 0.9
    assert truth["channel_effects"]["display"]["conversion_multiplier"] < 1.1
    json.dumps(truth)  # JSON-serialisable


def test_identity_matches_the_events(demo, rows):
    linked: dict[str, set[str]] = defaultdict(set)
    seen_user: set[str] = set()
    for r in rows:
        anon, uid = r["anonymous_id"], r["user_id"]
        if uid is not None:
            if anon not in seen_user:  # a device shows the user id first on its identify
                assert r["type"] == "identify", r
            linked[uid].add(anon)
            seen_user.add(anon)
        else:
            # before its identify event a device carries no user id, never after
            assert anon not in seen_user, r
    assert {u: sorted(a) for u, a in linked.items()} == demo.truth["identity"]
    never = [k for k in demo.truth["personas"] if k not in demo.truth["identity"]]
    assert 0.3 <= len(never) / len(demo.truth["personas"]) <= 0.5


def test_final_phases_recomputed_from_events(demo, rows):
    person = {a: u for u, ids in demo.truth["identity"].items() for a in ids}
    last: dict[str, tuple[dt.datetime, str]] = {}
    for r in rows:
        phase = phase_of(r["event"])
        key = person.get(r["anonymous_id"], r["anonymous_id"])
        if phase is not None and (key not in last or last[key][0] < r["timestamp"]):
            last[key] = (r["timestamp"], phase)
    final = {k: phase for k, (_, phase) in last.items()}
    assert final == demo.truth["final_phase"]
    counts = Counter(final.values())
    assert demo.truth["phase_counts"] == {p: counts[p] for p in default_config().phase_names
                                          if counts[p]}
    assert len(demo.truth["phase_counts"]) == 6


def test_journeys_are_non_linear_and_after_sale_follows_purchase(demo, rows):
    by_person: dict[str, list[dict[str, Any]]] = defaultdict(list)
    person = {a: u for u, ids in demo.truth["identity"].items() for a in ids}
    for r in rows:
        by_person[person.get(r["anonymous_id"], r["anonymous_id"])].append(r)
    backwards = repeat = 0
    order = default_config().phase_names
    for events in by_person.values():
        events.sort(key=lambda r: r["timestamp"])
        names = [r["event"] for r in events]
        phases = [order.index(p) for p in map(phase_of, names) if p is not None]
        backwards += any(b < a for a, b in itertools.pairwise(phases))
        repeat += names.count("order_completed") > 1
        if "order_shipped" in names:
            assert "order_completed" in names[: names.index("order_shipped")]
    assert backwards > 0.5 * len(by_person)
    assert repeat > 20


def test_pain_point_mobile_payment_errors(demo, rows):
    attempts: dict[str, set[str]] = defaultdict(set)
    errors: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        if r["event"] == "checkout_payment":
            attempts[r["device"]].add(r["anonymous_id"])
        elif r["event"] == "payment_error":
            errors[r["device"]].add(r["anonymous_id"])
    rate = {d: len(errors[d]) / len(attempts[d]) for d in ("mobile", "desktop")}
    assert rate["mobile"] > 0.3
    assert rate["desktop"] < 0.1
    pain = demo.truth["pain_point"]
    assert pain["event"] == "payment_error"
    assert pain["device"] == "mobile"
    assert pain["error_rate_mobile"] > 5 * pain["error_rate_desktop"]
    assert pain["observed"]["mobile"]["rate"] > 0.3


def test_surveys_carry_scores_comments_and_languages(demo, rows):
    comments = {lang: {s: set(t) for s, t in pools.items()}
                for lang, pools in _demo_feedback.COMMENTS.items()}
    surveys = [json.loads(r["properties"]) for r in rows if r["event"] == "survey_answered"]
    assert len(surveys) == demo.truth["feedback"]["count"]
    assert 0.06 <= len(surveys) / demo.truth["persons"] <= 0.16
    assert {s["lang"] for s in surveys} == {"de", "en"}
    for s in surveys:
        assert s["survey"] in {"nps", "csat"}
        assert 0 <= s["score"] <= 10 if s["survey"] == "nps" else 1 <= s["score"] <= 5
        high, mid = (9, 7) if s["survey"] == "nps" else (4, 3)
        pools = comments[s["lang"]]
        if s["score"] >= high:
            assert s["comment"] in pools["positive"]
        elif s["score"] >= mid:
            assert s["comment"] in pools["neutral"]
        else:
            assert any(s["comment"] in pools[t] for t in ("delivery", "payment", "support"))
        assert s["about_event"] in {"order_completed", "delivery_confirmed", "support_contacted",
                                    "checkout_payment", "store_purchase"}
    payment = [s for s in surveys if s["about_event"] == "checkout_payment"]
    assert payment
    assert all(s["comment"] in comments[s["lang"]]["payment"] for s in payment)
    nps = [s["score"] for s in surveys if s["survey"] == "nps"]
    assert demo.truth["feedback"]["mean_nps"] == pytest.approx(sum(nps) / len(nps), abs=1e-3)


def test_costs_cover_every_day_and_paid_channel(demo):
    costs = demo.costs.to_pylist()
    start = dt.date.fromisoformat(demo.truth["start"])
    end = dt.date.fromisoformat(demo.truth["end"])
    assert {c["date"] for c in costs} == {start + dt.timedelta(days=i)
                                          for i in range((end - start).days + 1)}
    assert {c["channel"] for c in costs} == {"paid_search", "paid_social", "display", "video",
                                             "affiliate", "email", "sms", "push"}
    campaigns = defaultdict(set)
    for c in costs:
        assert c["cost"] >= 0
        assert c["currency"] == "EUR"
        campaigns[c["channel"]].add(c["campaign"])
    assert all(2 <= len(names) <= 3 for names in campaigns.values())
    # the campaigns in the events are the ones that cost money
    events_campaigns = set(pc.unique(demo.events.column("campaign")).drop_null().to_pylist())
    assert events_campaigns <= {c for names in campaigns.values() for c in names}


def test_import_derives_the_intended_channel_of_every_event(demo, tmp_path):
    intended = {(c["source"], c["medium"], c["referrer_host"]): c["channel"]
                for c in demo.truth["channel_map"]}
    with wegweiser.Project.init(tmp_path / "p") as project:
        summary = project.import_events(demo.events)
        assert summary.quarantined == 0
        assert summary.imported == demo.events.num_rows
        stored = dict(project._engine.execute("SELECT message_id, channel FROM events").rows)
        assert project.stats()["persons"] == len(demo.truth["final_phase"])
        uid, anons = next(iter(demo.truth["identity"].items()))
        assert {project.person_of(a) for a in anons} == {project.person_of(uid)}
    seen = set()
    for r in demo.events.select(["message_id", "source", "medium", "referrer",
                                 "channel"]).to_pylist():
        host = urlsplit(r["referrer"]).hostname if r["referrer"] else None
        expected = r["channel"] or intended[(r["source"], r["medium"], host)]
        assert stored[r["message_id"]] == expected, r
        seen.add(expected)
    assert seen == set(demo.truth["channels"])


def test_write_demo_writes_three_files(tmp_path):
    data = generate(200, seed=1)
    paths = write_demo(data, tmp_path / "out")
    assert set(paths) == {"events", "costs", "truth"}
    assert pq.read_table(paths["events"]).equals(data.events)
    lines = paths["costs"].read_text(encoding="utf-8").splitlines()
    assert lines[0] == "date,channel,campaign,cost,currency"
    assert len(lines) == data.costs.num_rows + 1
    assert lines[1].startswith(f"{data.truth['start']},")
    assert lines[1].endswith(",EUR")
    truth = json.loads(paths["truth"].read_text(encoding="utf-8"))
    assert truth["identity"] == data.truth["identity"]
    assert truth["n_events"] == data.events.num_rows


def test_generate_rejects_bad_arguments():
    with pytest.raises(wegweiser.InvalidInput):
        generate(-1)
    assert generate(0).events.num_rows == 0


def test_truth_records_the_planted_costs_and_roas(demo):
    """Costs are planted as linear revenue / ROAS per paid channel (1.8 to 8); the truth's
    spend is what the cost table holds."""
    spend: dict[str, float] = defaultdict(float)
    for row in demo.costs.to_pylist():
        spend[row["channel"]] += row["cost"]
    planted = demo.truth["costs"]["channels"]
    assert set(planted) == set(spend)
    for channel, figures in planted.items():
        assert figures["spend"] == pytest.approx(spend[channel], abs=0.01)
        assert 1 <= figures["planted_roas"] <= 10
        assert figures["roas_linear"] == pytest.approx(figures["planted_roas"], rel=0.01)
    revenue = sum(r["revenue"] or 0 for r in demo.events.select(["revenue"]).to_pylist())
    assert sum(f["revenue_linear"] for f in planted.values()) < revenue  # organic has a share


def test_truth_explains_persons_and_buyers(demo, rows):
    truth = demo.truth
    assert truth["stitched_persons"] == len(truth["persona_of"])
    assert truth["stitched_persons"] > truth["persons"]
    assert set(truth["conversion_events"]) == PURCHASES == set(
        default_config().conversion_events)
    buyers = {r["user_id"] or r["anonymous_id"] for r in rows if r["event"] in PURCHASES}
    assert truth["buyers_stitched"] >= truth["buyers"]  # a buyer on two unlinked devices: 2
    assert len(buyers) >= truth["buyers_stitched"]  # anonymous ids of one person may repeat
    assert f"{truth['persons']:,} people were simulated" in truth["persons_note"]


def test_truth_plants_the_repeat_purchase_process(demo, rows):
    """The planted repeat purchases are those of the events: per persona, the identified
    buyers' orders recounted from the stitched events; the alive ones are buyers."""
    truth, planted = demo.truth, demo.truth["repeat_purchases"]
    anon_of = {a: u for u, anons in truth["identity"].items() for a in anons}
    orders: Counter[str] = Counter()
    for r in rows:
        uid = r["user_id"] or anon_of.get(r["anonymous_id"])
        if r["event"] in PURCHASES and uid in truth["identity"]:
            orders[uid] += 1
    by_persona: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for uid, n in orders.items():
        by_persona[truth["persona_of"][uid]][0] += 1
        by_persona[truth["persona_of"][uid]][1] += n - 1
    assert {k: [v["buyers"], v["repeat_orders"]] for k, v in planted["by_persona"].items()} == {
        k: v for k, v in by_persona.items()}
    assert set(planted["alive"]) <= set(orders)
    assert sum(v["alive_at_end"] for v in planted["by_persona"].values()) == len(
        planted["alive"])
    for name, v in planted["by_persona"].items():
        assert v["orders_left"] >= v["alive_at_end"]
        assert planted["planned_orders"][name] >= 1
    # the loyal repeat buyers plan the most orders and make the most repeat orders
    top = max(planted["planned_orders"], key=planted["planned_orders"].get)
    rate = {k: v["repeat_orders"] / v["buyers"] for k, v in planted["by_persona"].items()}
    assert top == max(rate, key=rate.get) == "loyal_repeat_buyers"
