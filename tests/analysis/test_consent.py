"""Persons who withheld analytics consent (``analysis/_consent.py``) against plain Python on
random consent histories: the latest statement (by time, then message id) on the category,
from Segment's consent object on any event or the consent trait of ``identify``."""

from __future__ import annotations

import json

import ibis
from hypothesis import given, settings
from hypothesis import strategies as st

from wegweiser.analysis._consent import withheld
from wegweiser.analysis.result import to_frame

VALUES = [True, False, "yes", "no", "maybe", None]
row = st.tuples(st.integers(0, 9), st.integers(0, 5), st.sampled_from(["ctx", "trait", "none"]),
                st.sampled_from(VALUES), st.booleans())


def _table(rows: list[tuple[int, int, str, object, bool]]) -> tuple[ibis.Table, ibis.Table]:
    data: dict[str, list] = {k: [] for k in ("message_id", "type", "user_id", "anonymous_id",
                                             "timestamp", "context", "traits")}
    for n, (person, minute, how, value, other) in enumerate(rows):
        prefs = {"Analytics": value, **({"Marketing": True} if other else {})}
        data["message_id"].append(f"m{n:03d}")
        data["type"].append("identify" if how == "trait" else "track")
        data["user_id"].append(f"u{person}")
        data["anonymous_id"].append(None)
        data["timestamp"].append(f"2026-01-01 00:{minute:02d}:00")
        data["context"].append(json.dumps({"consent": {"categoryPreferences": prefs}})
                               if how == "ctx" else "{}")
        data["traits"].append(json.dumps({"consent": prefs}) if how == "trait" else None)
    events = ibis.memtable(data, schema=dict.fromkeys(data, "string")).mutate(
        timestamp=ibis._.timestamp.cast("timestamp"))
    people = sorted({f"u{p}" for p, *_ in rows})
    identities = ibis.memtable({"id": people, "id_kind": ["user"] * len(people),
                                "person_id": people},
                               schema=dict.fromkeys(("id", "id_kind", "person_id"), "string"))
    return events, identities


def _oracle(rows: list[tuple[int, int, str, object, bool]]) -> set[str]:
    meaning = {True: True, "yes": True, False: False, "no": False}
    latest: dict[str, tuple[int, str, bool]] = {}
    for n, (person, minute, how, value, _) in enumerate(rows):
        if how == "none" or value not in meaning:
            continue
        key = (minute, f"m{n:03d}")
        if f"u{person}" not in latest or key > latest[f"u{person}"][:2]:
            latest[f"u{person}"] = (*key, meaning[value])
    return {p for p, (_, _, said) in latest.items() if not said}


@settings(max_examples=10, deadline=None)
@given(st.lists(row, min_size=1, max_size=40))
def test_withheld_is_the_latest_statement(rows):
    events, identities = _table(rows)
    got = to_frame(withheld(events, identities, category="Analytics", trait="consent"))
    assert set(got["person_id"]) == _oracle(rows)
