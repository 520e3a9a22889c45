"""Touchpoints: the catalogue, the adjusted effects, pain points and magic moments, checked
against plain pandas, a generator with confounding and the demo's planted truth."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wegweiser
import wegweiser.config
from tests.analysis.touchpoint_sim import PAINS, VIDEO_EFFECT, journey_table, simulate
from wegweiser.analysis._touchpoint_effects import att
from wegweiser.analysis._touchpoint_persons import event_frame, person_frame
from wegweiser.analysis._touchpoint_scores import quadrants
from wegweiser.analysis.filters import describe, parse
from wegweiser.analysis.touchpoint_catalogue import (
    Touchpoint,
    catalogue,
    default_catalogue,
    touchpoint_condition,
)
from wegweiser.analysis.touchpoints import touchpoints
from wegweiser.config import default_config, parse_config
from wegweiser.errors import InvalidConfig, InvalidInput
from wegweiser.events.demo import generate

T0 = datetime(2026, 5, 1, tzinfo=UTC)
CONFIG = """
[[touchpoints]]
name = "Product videos"
rule = "channel=video"
controlled = true
importance = 4

[[touchpoints]]
name = "Reviews"
rule = ["channel=review_site", "event in review_read,review_view"]
controlled = false
benchmark = 0.7
"""


# -- the catalogue ----------------------------------------------------------------------------
def test_configured_touchpoints_are_named_conditions():
    config = parse_config(CONFIG)
    cat = catalogue(config)
    assert [t.name for t in cat] == ["Product videos", "Reviews"]
    assert cat[0].importance == 4
    assert cat[0].controlled
    assert not cat[1].controlled
    assert cat[1].benchmark == 0.7
    assert cat[1].rule == "channel=review_site AND event in review_read,review_view"
    assert cat[0].channels == {"video"}
    conds = touchpoint_condition(config, "Reviews")
    assert [describe(c) for c in conds] == [describe(c) for c in cat[1].conditions]


def test_an_unknown_touchpoint_is_refused_with_a_hint():
    with pytest.raises(InvalidInput, match="Did you mean 'Reviews'"):
        touchpoint_condition(parse_config(CONFIG), "Review")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('name = "x"\nrule = "channel"', "touchpoints\\[0\\] \\('x'\\).*does not read"),
        ('name = "x"\nrule = "trait:plan=pro"', "must test an event"),
    ],
)
def test_a_bad_rule_names_the_touchpoint(text, message):
    config = parse_config("[[touchpoints]]\n" + text)
    with pytest.raises(InvalidInput, match=message):
        catalogue(config)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('name = "x"\nrule = "channel=a"\n[[touchpoints]]\nname = "x"\nrule = "channel=b"',
         "unique, repeated: x"),
        ('name = "x"\nrule = "channel=a"\nimportance = 7', "importance"),
        ('name = "x"\nrule = "channel=a"\nbenchmark = 1.5', "benchmark"),
        ('name = "x"\nrule = []', "give a rule"),
    ],
)
def test_bad_touchpoint_settings_are_config_errors(text, message):
    with pytest.raises(InvalidConfig, match=message):
        parse_config("[[touchpoints]]\n" + text)


def _journey(rows):
    """rows: (person, hours after T0, event, channel, device)."""
    frame = pd.DataFrame(rows, columns=["person_id", "h", "event", "channel", "device"])
    frame["timestamp"] = [T0 + timedelta(hours=h) for h in frame.pop("h")]
    frame = frame.sort_values(["person_id", "timestamp"], kind="stable")
    frame["seq"] = frame.groupby("person_id").cumcount()
    frame["session"] = 0
    frame["revenue"] = np.where(frame["event"] == "order_completed", 10.0, np.nan)
    return journey_table(frame)


def test_without_a_catalogue_one_touchpoint_per_channel_and_key_event():
    j = _journey([("a", 0, "video_view", "video", "mobile"), ("a", 1, "order_completed",
                  "direct", "mobile"), ("b", 0, "review_read", "review_site", "desktop"),
                  ("b", 1, "review_read", "review_site", "desktop")])
    cat = catalogue(default_config(), j)
    names = {t.name: t for t in cat}
    assert set(names) == {"channel: video", "channel: direct", "channel: review_site",
                          "event: video_view", "event: review_read"}
    assert all(t.derived for t in cat)
    assert not names["channel: review_site"].controlled
    assert names["channel: video"].controlled
    assert cat == default_catalogue(j, default_config())


# -- counts and naive gaps against plain pandas ---------------------------------------------
EVENTS = ["video_view", "product_view", "payment_error", "order_completed"]
CHANNELS = ["video", "search", "social"]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 7), st.integers(0, 40), st.sampled_from(EVENTS),
                          st.sampled_from(CHANNELS), st.sampled_from(["mobile", "desktop"])),
                min_size=1, max_size=60))
def test_person_counts_and_naive_rates_match_plain_pandas(rows):
    rows = [(f"p{p}", h + i * 1e-3, e, c, d) for i, (p, h, e, c, d) in enumerate(rows)]
    cat = [Touchpoint("video", (parse("channel=video"),)),
           Touchpoint("views", (parse("event=product_view"),))]
    frame = person_frame(_journey(rows), cat, CHANNELS).set_index("person_id")
    ref = pd.DataFrame(rows, columns=["person", "h", "event", "channel", "device"])
    for person, ev in ref.groupby("person"):
        conv = ev.loc[ev["event"] == "order_completed", "h"]
        decided = conv.min() if len(conv) else np.inf
        pre = ev[ev["h"] < decided]
        got = frame.loc[person]
        assert bool(got["converted"]) == bool(len(conv))
        assert got["n0"] == (pre["channel"] == "video").sum()
        assert got["n1"] == (pre["event"] == "product_view").sum()
        assert got["n7_1"] == ((pre["event"] == "product_view") & (pre["h"] < 7 * 24)).sum()
        assert got["device"] == ev.sort_values("h")["device"].iloc[0]
        for c in CHANNELS:
            assert got[f"ch:{c}"] == (pre["channel"] == c).sum()
    exposed = frame["n0"] >= 1
    effect = att(np.zeros((len(frame), 1)), exposed.to_numpy(), frame["converted"].to_numpy(),
                 resamples=20)
    assert effect.exposed == exposed.sum()
    if exposed.any():
        assert effect.rate_exposed == pytest.approx(frame.loc[exposed, "converted"].mean())
    if (~exposed).any():
        assert effect.rate_unexposed == pytest.approx(frame.loc[~exposed, "converted"].mean())


PHASES = {"landing": "Awareness", "product_view": "Consideration", "checkout": "Purchase"}


def test_friction_and_covariates_before_the_touchpoint_match_plain_pandas():
    rng = np.random.default_rng(7)
    rows = []
    for p in range(40):
        minute = 0
        for _ in range(int(rng.integers(2, 12))):
            minute += int(rng.choice([1, 2, 3, 20, 90]))  # 90: a new session
            event = str(rng.choice(["landing", "product_view", "video_view", "checkout",
                                    "order_completed"], p=[0.25, 0.3, 0.25, 0.12, 0.08]))
            rows.append((f"p{p:02d}", minute, event, str(rng.choice(["search", "video"]))))
    ref = pd.DataFrame(rows, columns=["person_id", "minute", "event", "channel"])
    ref["timestamp"] = [T0 + timedelta(minutes=m) for m in ref["minute"]]
    ref["seq"] = ref.groupby("person_id").cumcount()
    new = ref.groupby("person_id")["minute"].diff().fillna(999) > 30
    ref["session"] = new.astype(int).groupby(ref["person_id"]).cumsum() - 1
    ref["phase"] = ref["event"].map(PHASES).astype("string")
    ref["device"] = "mobile"
    ref["revenue"] = np.where(ref["event"] == "order_completed", 10.0, np.nan)
    cat = [Touchpoint("video", (parse("event=video_view"),))]
    frame = person_frame(journey_table(ref.drop(columns="minute")), cat, ["search", "video"],
                         phases=["Awareness", "Consideration", "Purchase"])
    frame = frame.set_index("person_id")

    by = ref.groupby("person_id")
    rank = ref["phase"].map({"Awareness": 0, "Consideration": 1, "Purchase": 2})
    ref["reached"] = rank.groupby(ref["person_id"]).cummax().groupby(ref["person_id"]).ffill()
    ref["next_rank"] = rank.groupby(ref["person_id"]).shift(-1)
    same = by["session"].shift(-1) == ref["session"]
    ref["gap"] = ((by["minute"].shift(-1) - ref["minute"]) * 60).where(same)
    conv = ref["minute"].where(ref["event"] == "order_completed").groupby(ref["person_id"])
    ref["pre"] = ref["minute"] < conv.transform("min").fillna(np.inf)
    ref["m"] = (ref["event"] == "video_view") & ref["pre"]
    median = ref.loc[ref["m"] & ref["gap"].notna(), "gap"].median()
    pre = ref[ref["pre"]]
    first = pre[pre["m"]].groupby("person_id")["seq"].min()
    once = ref["m"] & (ref["seq"] == ref["person_id"].map(first))
    ref["dwell"] = once & (ref["gap"] > max(3 * median, 60))
    ref["back"] = once & (ref["next_rank"] < rank.fillna(ref["reached"]))
    n_pre = pre.groupby("person_id").size()
    share = float((first / n_pre[first.index]).median())
    assert frame["dwell0"].any()  # the log has both signals
    assert frame["back0"].any()
    for person, ev in ref.groupby("person_id"):
        got = frame.loc[person]
        assert got["dwell0"] == ev["dwell"].any(), person
        assert got["back0"] == ev["back"].any(), person
        if person not in n_pre.index:
            continue
        cut = first.get(person, int(np.floor(share * n_pre[person])))
        ahead = ev[ev["pre"] & (ev["seq"] < cut)]
        assert got["c0:search"] == (ahead["channel"] == "search").sum(), person
        assert got["ph0"] == (rank[ahead.index].max() if rank[ahead.index].notna().any()
                              else -1), person
        assert got["sess0"] == ev.loc[ev["pre"] & (ev["seq"] <= cut), "session"].max()
        assert got["entry0"] == (ev["channel"].iloc[0] if cut > 0 else "(none)")
        if got["dwell0"] or got["back0"]:
            assert got["f0"]


# -- the estimator -----------------------------------------------------------------------------
def test_the_adjusted_effect_removes_confounding_the_naive_one_keeps():
    rng = np.random.default_rng(3)
    n = 6000
    intent = rng.random(n) < 0.4
    exposed = rng.random(n) < np.where(intent, 0.7, 0.2)
    p = np.where(intent, 0.4, 0.1) * np.where(exposed, 1.25, 1.0)
    converted = rng.random(n) < p
    effect = att(intent[:, None].astype(float), exposed, converted, resamples=200, seed=1)
    assert effect.ratio_low < 1.25 < effect.ratio_high
    assert effect.naive_ratio > 1.8  # intent alone makes the exposed look twice as good
    assert effect.difference_low > 0
    few = att(np.zeros((20, 1)), np.arange(20) < 3, np.ones(20, bool))
    assert few.exposed == 3
    assert np.isnan(few.ratio)


def test_quadrants_follow_martilla_and_james():
    imp = pd.Series([0.9, 0.9, 0.1, 0.1, np.nan])
    perf = pd.Series([0.2, 0.8, 0.2, 0.8, 0.5])
    assert quadrants(imp, perf).tolist() == ["concentrate here", "keep up the good work",
                                             "low priority", "possible overkill", pd.NA]


# -- a generator with confounding and planted pain points -----------------------------------
@pytest.fixture(scope="module")
def sim():
    data = simulate(3000, seed=1)
    cat = [Touchpoint("video", (parse("channel=video"),)),
           Touchpoint("newsletter", (parse("event=newsletter_open"),))]
    return data, touchpoints(journey_table(data.journey), cat, resamples=100, candidates=1)


def test_planted_pain_points_rank_first_and_their_cost_is_recovered(sim):
    data, result = sim
    pains = result.pain_points
    planted = {(e, d) for _, e, d, *_ in PAINS}
    top = list(zip(pains["event"].head(5), pains["device"].head(5), strict=True))
    assert sum(k in planted for k in top) / 5 >= 0.8
    rows = pains.set_index(["event", "device"])
    for key in planted:
        truth = data.lost[key]
        row = rows.loc[key]
        assert row["lost_low"] <= truth <= row["lost_high"], (key, truth, row["lost_low"])
        assert abs(row["naive_lost"] - truth) >= 0.3 * truth  # the naive gap is far off
        assert abs(row["lost_conversions"] - truth) < abs(row["naive_lost"] - truth)
    assert (pains["lost_revenue"] == pains["lost_conversions"] * 50.0).all()


def _adjusted_on_the_true_covariates(journey: pd.DataFrame, exposure: pd.Series) -> float:
    """The doubly robust ratio with exactly what the generator's exposure depends on (the
    first session's channel) and the device as covariates, from plain pandas; ``exposure``:
    per event, whether it is the touchpoint."""
    frame = journey.assign(exposed=exposure, converted=journey["event"] == "order_completed")
    per = frame.groupby("person_id").agg(exposed=("exposed", "any"),
                                         converted=("converted", "any"))
    first = frame.sort_values(["person_id", "seq"]).groupby("person_id").first().loc[per.index]
    x = np.column_stack([(first["channel"] == "search").to_numpy(float),
                         *((first["device"] == d).to_numpy(float) for d in ("desktop", "mobile"))])
    return att(x, per["exposed"].to_numpy(bool), per["converted"].to_numpy(bool),
               resamples=10).ratio


def test_a_confounded_touchpoint_recovers_its_planted_effect(sim):
    data, result = sim
    rel = result.relevance.set_index("touchpoint")
    video, news = rel.loc["video"], rel.loc["newsletter"]
    assert video["ratio_low"] <= VIDEO_EFFECT <= video["ratio_high"]
    assert video["naive_ratio"] > 2.0  # keen persons see the videos
    assert news["naive_ratio"] > 1.2  # the newsletter does nothing but looks good
    # the analysis's covariates (cut at the first experience) agree with the true ones
    j = data.journey
    assert video["ratio"] == pytest.approx(
        _adjusted_on_the_true_covariates(j, j["channel"] == "video"), abs=0.1)
    assert news["ratio"] == pytest.approx(
        _adjusted_on_the_true_covariates(j, j["event"] == "newsletter_open"), abs=0.1)
    assert result.magic_moments["looks"].iloc[0] == 4
    assert set(result.map["quadrant"].dropna()) <= {"concentrate here", "keep up the good work",
                                                    "low priority", "possible overkill"}


# -- the demo's planted truth ------------------------------------------------------------------
@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    data = generate(3000, seed=5, days=60)
    folder = tmp_path_factory.mktemp("touchpoints-shop")
    with wegweiser.Project.init(folder) as project:
        project.import_events(data.events)
        cat = [Touchpoint(ch, (parse(f"channel={ch}"),))
               for ch in ("video", "review_site", "display")]
        result = touchpoints(project.journey(), cat, resamples=100, candidates=0,
                             phases=[p.name for p in project.config.phases])
    return data.truth, result


def test_demo_mobile_payment_errors_are_the_first_pain_point(shop):
    truth, result = shop
    first = result.pain_points.iloc[0]
    assert (first["event"], first["device"]) == ("payment_error", "mobile")
    planted = truth["pain_point"]["observed"]["mobile"]["lost_conversions"]
    assert first["lost_conversions"] == pytest.approx(planted, rel=0.2)
    evidence = result.evidence.iloc[0]
    assert "payment_error -> checkout_payment" in evidence["paths"]


def test_demo_channel_effects_are_close_to_the_planted_multipliers(shop):
    truth, result = shop
    rel = result.relevance.set_index("touchpoint")
    for channel in ("video", "review_site", "display"):
        planted = truth["channel_effects"][channel]["conversion_multiplier"]
        assert rel.loc[channel, "ratio"] == pytest.approx(planted, abs=0.2), channel
        # per person, within persona, the simulation produced (the effect on the exposed)
        per_person = _standardised(truth, channel)
        assert rel.loc[channel, "ratio"] == pytest.approx(per_person, abs=0.15), channel


def _standardised(truth, channel):
    """Conversion of the exposed over the unexposed within persona, weighted by the exposed
    (the simulation's own counts; benchmarks/bench_touchpoints.py)."""
    obs = [v for v in truth["channel_effects"][channel]["observed_by_persona"].values()
           if v["exposed"]["persons"] and v["unexposed"]["persons"]]
    num = sum(v["exposed"]["persons"] * v["exposed"]["conversion"] for v in obs)
    den = sum(v["exposed"]["persons"] * v["unexposed"]["conversion"] for v in obs)
    return num / den


@pytest.mark.parametrize("rows", [
    [],
    [("a", 0, "product_view", "search", "mobile")],
    [("a", 0, "payment_error", "search", "mobile"), ("b", 0, "order_completed", "video", None)],
])
def test_tiny_journeys_give_empty_or_unestimated_rows_not_errors(rows):
    j = _journey(rows) if rows else _journey([("x", 0, "e", "c", "d")]).limit(0)
    cat = [Touchpoint("video", (parse("channel=video"),))]
    result = touchpoints(j, cat, resamples=20)
    assert len(result.relevance) == 1
    assert np.isnan(result.relevance["ratio"].iloc[0])  # too few persons to estimate
    assert result.pain_points.empty
    assert result.magic_moments.empty


def test_feedback_is_matched_through_its_linked_event_so_property_rules_match():
    rows = [(f"p{p}", h, e, "video", "mobile") for p in range(4)
            for h, e in ((0, "video_view"), (1, "survey_answer"))]
    frame = pd.DataFrame(rows, columns=["person_id", "h", "event", "channel", "device"])
    frame["timestamp"] = [T0 + timedelta(hours=h) for h in frame.pop("h")]
    frame["seq"] = frame.groupby("person_id").cumcount()
    frame["session"] = 0
    frame["revenue"] = np.nan
    frame["properties"] = [json.dumps({"variant": "new" if p in ("p0", "p1") else "old"})
                           for p in frame["person_id"]]
    cat = [Touchpoint("new video", (parse("event=video_view"), parse("property:variant=new"))),
           Touchpoint("video", (parse("event=video_view"),))]
    feedback = pd.DataFrame({
        "person_id": ["p0", "p1", "p2", "p3", "p3"], "event": ["video_view"] * 5,
        "channel": ["video"] * 5, "device": ["mobile"] * 5,
        "satisfaction": [1.0, 0.8, 0.2, 0.0, 0.4], "sentiment": [0.9, 0.7, 0.1, 0.2, 0.5],
        "text": [None] * 5, "touchpoint_seq": [0, 0, 0, 0, None],  # the last: explicit
    })
    rel = touchpoints(journey_table(frame), cat, feedback=feedback, resamples=20)
    rel = rel.relevance.set_index("touchpoint")
    assert rel.loc["new video", "feedback"] == 2  # p0, p1: their video had variant=new
    assert rel.loc["new video", "satisfaction"] == pytest.approx(0.9)
    assert rel.loc["video", "feedback"] == 5  # the explicit row by its event name


def test_feedback_in_a_range_is_matched_through_its_touchpoint_before_the_range(tmp_path):
    """An answer just after ``since`` is about the video viewed before it: linked in the whole
    journey (its ``touchpoint_seq`` counts there), it rates the touchpoint; linked in the
    range it was about no event and rated none."""
    from wegweiser.analysis import touchpoints as module
    from wegweiser.analysis.scope import Scope, scoped

    events = pd.DataFrame({
        "message_id": ["m1", "m2", "m3"], "type": "track", "user_id": ["u1", "u1", "u2"],
        "event": ["video_view", "survey_answered", "video_view"],
        "timestamp": [T0.isoformat(), (T0 + timedelta(minutes=30)).isoformat(),
                      (T0 + timedelta(hours=2)).isoformat()],
        "channel": "video", "device": "mobile",
        "properties": [json.dumps(p) for p in ({}, {"survey": "csat", "score": 5}, {})],
    })
    with wegweiser.Project.init(tmp_path / "p") as project:
        project.import_events(events)
        view = scoped(project, Scope(since=(T0 + timedelta(minutes=10)).isoformat()))
        fb = module.feedback_rows(view)
        assert fb[["person_id", "event", "satisfaction"]].values.tolist() == [
            [project.person_of("u1"), "video_view", 1.0]]
        cat = [Touchpoint("video", (parse("event=video_view"),))]
        about = module._about(fb, cat, view.whole_journey())
        assert about[["touchpoint", "satisfaction"]].values.tolist() == [["video", 1.0]]


# -- benchmark scores from a CSV file, and the command line ----------------------------------
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name,score\nx,1\n", "b.csv:1: the header needs.*missing: touchpoint, benchmark"),
        ("touchpoint,benchmark\nVideos,0.5\nReviews,high\n", "b.csv:3: benchmark 'high'"),
        ("touchpoint,benchmark\nVideos,1.5\n", "b.csv:2: benchmark 1.5 is outside 0..1"),
        ("touchpoint,benchmark\nVideos,0.5\nVideos,0.6\n", "b.csv:3: .*appears twice"),
        ("touchpoint,benchmark,importance\nVideos,0.5,9\n", "b.csv:2: importance 9"),
        ("touchpoint,benchmark\n,0.5\n", "b.csv:2: the touchpoint name is empty"),
    ],
)
def test_bad_benchmark_files_name_the_line(tmp_path, text, message):
    from wegweiser.events.benchmarks import read_benchmarks

    path = tmp_path / "b.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput, match=message):
        read_benchmarks(path)


def test_the_cli_imports_benchmarks_and_shows_the_views(tmp_path):
    from typer.testing import CliRunner

    from wegweiser.cli import app

    folder = tmp_path / "p"
    runner = CliRunner()
    assert runner.invoke(app, ["init", str(folder)]).exit_code == 0
    config = folder / "wegweiser.toml"
    config.write_text(config.read_text(encoding="utf-8") + CONFIG, encoding="utf-8")
    scores = tmp_path / "scores.csv"
    scores.write_text("touchpoint,benchmark,importance\nReviews,80%,5\n", encoding="utf-8")
    res = runner.invoke(app, ["import-benchmarks", str(scores), "-p", str(folder)])
    assert res.exit_code == 0, res.output
    reviews = catalogue(wegweiser.config.load_config(folder))[1]
    assert (reviews.benchmark, reviews.importance) == (0.8, 5)
    scores.write_text("touchpoint,benchmark\nVideos,0.5\n", encoding="utf-8")
    res = runner.invoke(app, ["import-benchmarks", str(scores), "-p", str(folder)])
    assert isinstance(res.exception, InvalidConfig)  # main() prints it as one red line
    assert "no [[touchpoints]] named 'Videos'" in str(res.exception)
    data = simulate(300, seed=2).journey.assign(
        channel=lambda f: f["channel"].replace({"search": "review_site"}),
        event=lambda f: f["event"].replace({"product_view": "review_read"}))
    data["type"] = "track"
    data["anonymous_id"] = data.pop("person_id")
    data["message_id"] = [f"m{i}" for i in range(len(data))]
    data["timestamp"] = data["timestamp"].map(lambda t: t.isoformat())
    events = tmp_path / "events.csv"
    data.drop(columns=["seq", "session"]).to_csv(events, index=False)
    assert runner.invoke(app, ["import", str(events), "-p", str(folder)]).exit_code == 0
    res = runner.invoke(app, ["touchpoints", "-p", str(folder), "--view", "relevance",
                              "--resamples", "20", "--no-personas", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = {r["touchpoint"]: r for r in json.loads(res.stdout)}
    assert rows["Reviews"]["benchmark"] == 0.8
    assert rows["Reviews"]["importance_source"] == "stated"
    assert rows["Reviews"]["persons"] > 50


def test_the_map_per_persona_splits_the_exposed_and_has_its_own_quadrants():
    data = simulate(800, seed=4)
    ids = sorted(set(data.journey["person_id"]))
    members = pd.DataFrame({"person_id": ids, "name": [("A", "B")[i % 2] for i in range(len(ids))]})
    cat = [Touchpoint("video", (parse("channel=video"),)),
           Touchpoint("newsletter", (parse("event=newsletter_open"),)),
           Touchpoint("gallery", (parse("event=gallery"),))]
    result = touchpoints(journey_table(data.journey), cat, members=members, resamples=20,
                         candidates=0)
    per = result.map_personas
    assert sorted(set(per["persona"])) == ["A", "B"]
    overall = result.relevance.set_index("touchpoint")["persons"]
    assert per.groupby("touchpoint")["persons"].sum().to_dict() == overall.to_dict()
    for _, part in per.groupby("persona"):
        assert part["importance"].max() == pytest.approx(1.0)  # derived: relative weights
        assert part["quadrant"].notna().all()


# -- loops: the same opportunity for every person at risk ----------------------------------
def test_a_loop_counts_in_the_first_session_with_the_event_on_the_device_only():
    # a: loops in its first session on mobile; b: only in a later one; c: on desktop in its
    # first desktop session, after a mobile session without a loop
    rows = [("a", 0, "product_view"), ("a", 0, "product_view"), ("b", 0, "product_view"),
            ("b", 1, "product_view"), ("b", 1, "product_view"), ("c", 0, "product_view"),
            ("c", 1, "product_view"), ("c", 1, "product_view")]
    frame = pd.DataFrame(rows, columns=["person_id", "session", "event"])
    frame["device"] = ["mobile"] * 5 + ["mobile", "desktop", "desktop"]
    frame["seq"] = frame.groupby("person_id").cumcount()
    frame["timestamp"] = [T0 + timedelta(days=s, minutes=q)
                          for s, q in zip(frame["session"], frame["seq"], strict=True)]
    frame["channel"], frame["revenue"] = "direct", np.nan
    events = event_frame(journey_table(frame), ["product_view"])
    looped = {(r.person_id, r.device): r.looped for r in events.itertuples()}
    assert looped == {("a", "mobile"): True, ("b", "mobile"): False,
                      ("c", "mobile"): False, ("c", "desktop"): True}


def test_a_loop_that_costs_nothing_is_no_pain_point_though_non_buyers_browse_on():
    """Whether a person buys does not depend on looping; the non-buyers browse on after
    their decision, and in those sessions they view products twice. Counted in any session
    before the decision, the loop would cost about a third of its persons' conversions."""
    rng = np.random.default_rng(3)
    rows = []
    for p in range(1500):
        pid, day = f"p{p:04d}", 0
        device = "mobile" if p % 2 else "desktop"
        keen = rng.random() < 0.5  # intent: buys more often, loops no more often
        views = 2 if rng.random() < 0.4 else 1
        rows += [(pid, day, "product_view", device)] * views
        day += 1
        if rng.random() < (0.6 if keen else 0.3):
            rows += [(pid, day, "product_view", device), (pid, day, "order_completed", device)]
        else:
            for _ in range(int(rng.integers(1, 4))):  # browses on, views products twice
                rows += [(pid, day, "product_view", device)] * 2
                day += 1
    frame = pd.DataFrame(rows, columns=["person_id", "session", "event", "device"])
    frame["seq"] = frame.groupby("person_id").cumcount()
    frame["timestamp"] = [T0 + timedelta(days=s, minutes=q)
                          for s, q in zip(frame["session"], frame["seq"], strict=True)]
    frame["channel"] = "direct"
    frame["revenue"] = np.where(frame["event"] == "order_completed", 10.0, np.nan)
    pains = touchpoints(journey_table(frame), [], resamples=50, candidates=0).pain_points
    loops = pains[pains["event"] == "product_view"]
    assert len(loops) == 2
    for row in loops.itertuples():
        assert row.lost_low <= 0 <= row.lost_high, row
        assert abs(row.gap) < 0.1, row
