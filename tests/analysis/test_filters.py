"""The filter model: its text form, its keys (keys, never paths) and, for every analysis that
takes it, the same numbers as the analysis run on a journey filtered by plain pandas."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from types import SimpleNamespace

import ibis
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wegweiser
from tests.analysis.reference import BASE, frame_of, random_rows
from wegweiser.analysis import registry
from wegweiser.analysis._names import names_from
from wegweiser.analysis.filters import Condition, describe, parse, property_value
from wegweiser.analysis.result import jsonable, to_frame
from wegweiser.errors import InvalidInput

WEIRD_KEYS = ("a.b", "it's", 'q"x', "back\\slash", "sl/ash", "t~x", "$", "a b", "[0]", "ü")
EVENTS = ("a", "b", "c", "order_completed")


def props(rng: random.Random, i: int) -> dict:
    out: dict = {
        "plan": rng.choice(["basic", "pro", "team"]),
        "n": rng.randint(0, 9),
        "a": {"b": "nested"},
    }
    for key in WEIRD_KEYS:
        if rng.random() < 0.7:
            out[key] = rng.choice(["x", "y", 'q"', "b\\s", 3, True, None, 2.5])
    if rng.random() < 0.2:
        del out["plan"]
    return out


def log(seed: int = 3):
    rows = random_rows(seed, n=400, persons=30, events=EVENTS, minutes=60 * 24 * 20)
    rng = random.Random(seed)
    for i, r in enumerate(rows):
        r.properties = props(rng, i)
    frame = frame_of(rows)
    frame["type"] = "track"
    tiers = {f"p{k:02d}": rng.choice(["gold", "silver", None]) for k in range(30)}
    ident = pd.DataFrame(
        {
            "message_id": [f"id{k}" for k in range(30)],
            "type": "identify",
            "user_id": [f"p{k:02d}" for k in range(30)],
            "timestamp": (BASE - timedelta(days=1)).isoformat(),
            "traits": [json.dumps({"tier": tiers[f"p{k:02d}"], "a.b": k % 3}) for k in range(30)],
        }
    )
    return pd.concat([frame, ident], ignore_index=True)


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    with wegweiser.Project.init(tmp_path_factory.mktemp("f") / "p") as project:
        summary = project.import_events(log())
        assert summary.quarantined == 0, summary.errors
        journey = to_frame(project.journey())
        yield project, journey, trait_values(project)


# -- the plain-Python reference ---------------------------------------------------------------
def json_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def field_of(row, c: Condition, traits: dict) -> object:
    if c.field == "property":
        return json_text(json.loads(row.properties or "{}").get(c.key))
    if c.field == "trait":
        return traits.get(c.key, {}).get(row.person_id)
    value = getattr(row, c.field)
    return None if value is None or value != value else value


def holds(value, c: Condition) -> bool:
    if c.op == "is set":
        return value is not None
    if c.op == "is not set":
        return value is None
    negated = c.op in ("!=", "not in", "not contains")
    if value is None:
        return negated
    if c.op in (">", ">=", "<", "<=") or c.field == "revenue":
        try:
            v = float(value)
        except ValueError:
            return False
        xs = [float(x) for x in c.values]
        return {
            "=": v == xs[0],
            "!=": v != xs[0],
            ">": v > xs[0],
            ">=": v >= xs[0],
            "<": v < xs[0],
            "<=": v <= xs[0],
            "in": v in xs,
            "not in": v not in xs,
        }[c.op]
    text = str(value)
    if c.op in ("=", "!="):
        hit = text == c.values[0]
    elif c.op in ("in", "not in"):
        hit = text in c.values
    else:
        hit = c.values[0] in text
    return hit != negated


def reference(journey: pd.DataFrame, conds: list[Condition], traits: dict) -> pd.DataFrame:
    keep = [
        all(holds(field_of(row, c, traits), c) for c in conds)
        for row in journey.itertuples(index=False)
    ]
    out = journey[keep].sort_values(["person_id", "seq"]).copy()
    if any(c.field != "trait" for c in conds):
        by = out.groupby("person_id", sort=False)
        out["seq"] = by.cumcount().astype("int64")
        out["next_event"] = by["event"].shift(-1)
        out["next_timestamp"] = by["timestamp"].shift(-1)
    return out.reset_index(drop=True)


def trait_values(project) -> dict:
    out = {}
    for key in ("tier", "a.b"):
        frame = to_frame(project.traits(key))
        out[key] = dict(zip(frame.person_id, frame[key], strict=True))
    return out


# -- strategies ------------------------------------------------------------------------------
TEXT_FIELDS = {
    "channel": ["email", "paid_search", "direct", "x"],
    "device": ["mobile", "desktop"],
    "event": list(EVENTS),
}
KEYS = ["plan", "n", "a", *WEIRD_KEYS, "missing"]
VALUES = [
    "x",
    "y",
    'q"',
    "b\\s",
    "3",
    "true",
    "2.5",
    "pro",
    "basic",
    "team",
    "gold",
    "1",
    '{"b":"nested"}',
    "mail",
    "",
]


@st.composite
def conditions(draw) -> Condition:
    kind = draw(st.sampled_from(["column", "property", "trait", "revenue"]))
    op = draw(
        st.sampled_from(
            [
                "=",
                "!=",
                "in",
                "not in",
                "contains",
                "not contains",
                ">",
                "<=",
                "is set",
                "is not set",
            ]
        )
    )
    if kind == "revenue":
        op = draw(st.sampled_from(["=", "!=", ">", ">=", "<", "<=", "is set", "is not set"]))
        field, key, pool = "revenue", None, ["10", "50", "42.5"]
    elif kind == "column":
        field = draw(st.sampled_from(sorted(TEXT_FIELDS)))
        key, pool = None, TEXT_FIELDS[field] + ["ai", "e"]
    else:
        field = kind
        key = draw(st.sampled_from(KEYS if kind == "property" else ["tier", "a.b", "none"]))
        pool = VALUES
    if op in (">", ">=", "<", "<="):
        pool = ["0", "2.5", "3", "5", "50"]
    if op in ("is set", "is not set"):
        value = None
    elif op in ("in", "not in"):
        value = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3))
    else:
        value = draw(st.sampled_from(pool))
    return Condition(field=field, key=key, op=op, value=value, step=None)


# -- the text form ---------------------------------------------------------------------------
@given(conditions())
@settings(max_examples=300, deadline=None)
def test_text_form_round_trips(c):
    assert parse(describe(c)) == c


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("country=DE", Condition(field="country", op="=", value="DE", step=None)),
        (
            "  trait:plan in pro, team ",
            Condition(field="trait", key="plan", op="in", value=["pro", "team"], step=None),
        ),
        ("property:a.b=1", Condition(field="property", key="a.b", op="=", value="1", step=None)),
        (
            "property:it's != x",
            Condition(field="property", key="it's", op="!=", value="x", step=None),
        ),
        (
            'property:"q\\"x" = "a, b"',
            Condition(field="property", key='q"x', op="=", value="a, b", step=None),
        ),
        (
            "property:back\\slash contains z",
            Condition(field="property", key="back\\slash", op="contains", value="z", step=None),
        ),
        ("revenue >= 10", Condition(field="revenue", op=">=", value="10", step=None)),
        ("phase IS NOT SET", Condition(field="phase", op="is not set", step=None)),
        ("step2:plan=pro", Condition(field="property", key="plan", op="=", value="pro", step=2)),
        ("2:country=x=y", Condition(field="country", op="=", value="x=y", step=2)),
    ],
)
def test_parse(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "position", "says"),
    [
        ("plan=pro", 1, "unknown field 'plan'"),
        ("country", 8, "expected an operator"),
        ("country in", 11, "expected a value"),
        ("revenue > cheap", 9, "needs a number"),
        ("property:=1", 10, "name the key"),
        ('property:"a=1', 10, "never closed"),
        ("country is set DE", 16, "takes no value"),
        ("channel in a,", 14, "expected a value"),
        ('channel in "a" b', 16, "expected a comma"),
        ("", 1, "expected a field"),
    ],
)
def test_parse_errors_say_where(text, position, says):
    with pytest.raises(InvalidInput, match=f"position {position}: .*{says}"):
        parse(text)


def test_json_form_is_checked():
    for bad in (
        {"field": "property", "op": "="},
        {"field": "country", "key": "x", "value": "a"},
        {"field": "country", "op": "in", "value": "a"},
        {"field": "country", "op": "is set", "value": "a"},
        {"field": "revenue", "op": ">", "value": "x"},
        {"field": "nope", "value": "a"},
    ):
        with pytest.raises(ValueError, match=r"condition|field"):
            Condition.model_validate(bad)


# -- keys are keys ---------------------------------------------------------------------------
def test_property_keys_are_keys_not_paths(shop):
    project, journey, _ = shop
    j = project.journey()
    cols = {f"k{i}": property_value(j.properties, key) for i, key in enumerate(KEYS)}
    got = to_frame(j.select("message_id", **cols)).set_index("message_id")
    for row in journey.itertuples(index=False):
        data = json.loads(row.properties)
        for i, key in enumerate(KEYS):
            value = got.loc[row.message_id, f"k{i}"]
            assert (None if value is None or value != value else value) == json_text(
                data.get(key)
            ), (key, row.properties)


# -- every analysis that takes it: the same numbers as on a pandas-filtered journey ----------
ANALYSES = {
    "kpis": {},
    "funnel": {"steps": ["a", "b", "order_completed"], "window": "7d"},
    "conversion": {},
    "retention": {"period": "week"},
    "paths": {},
    "stickiness": {},
    "sessions": {},
    "dropoffs": {},
    "journey_map": {},
}  # attribution: its ordered lists need the project's DuckDB settings, not a memtable's


def on_frame(project, name: str, frame: pd.DataFrame, params: dict):
    journey = ibis.memtable(frame)
    inputs = SimpleNamespace(
        config=project.config,
        journey=lambda: journey,
        costs=lambda: None,
        traits=project.traits,
        segment=project.segment,
    )
    return registry.get(name).run(inputs, params)


def rounded(value):
    if isinstance(value, float):
        return float(f"{value:.10g}")
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v) for v in value]
    return value


def tables(result) -> dict:
    """Every table as JSON, floats to 10 digits (the sums' order may differ in the last)."""
    return {n: rounded(jsonable(f.reset_index(drop=True))) for n, f in result.tables().items()}


@pytest.mark.parametrize("name", sorted(ANALYSES))
@given(conds=st.lists(conditions(), min_size=1, max_size=3))
@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_filter_matches_pandas_reference(shop, name, conds):
    project, journey, traits = shop
    expected_rows = reference(journey, conds, traits)
    params = ANALYSES[name]
    texts = [describe(c) for c in conds]
    with names_from(project.journey):  # names are checked against the whole journey
        expected = tables(on_frame(project, name, expected_rows, params))
    got = tables(project.analyse(name, {**params, "where": texts}))
    assert got == expected, texts
