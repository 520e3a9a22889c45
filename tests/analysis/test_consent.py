"""Persons who withheld analytics consent (``analysis/consent.py``) against plain Python on
random consent histories: the latest statement (by time, then message id) on the category,
from Segment's consent object on any event or the consent trait of ``identify``."""

from __future__ import annotations

import json

import ibis
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wegweiser.analysis.consent import withheld
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


# -- the project: overview, store counts, roll-ups and the person page ---------------------
def _reference(frame, withheld_persons: set[str], conversions: list[str]) -> dict[str, object]:
    """The overview's figures and the store's counts over the consenting persons, in plain
    pandas from the rows imported (``person``: whose row it is)."""
    kept = frame[~frame["person"].isin(withheld_persons)]
    touch = kept[kept["type"] == "track"]
    conv = touch[touch["event"].isin(conversions)]
    return {
        "persons": touch["person"].nunique(), "events": len(touch),
        "conversions": len(conv), "converting_persons": conv["person"].nunique(),
        "revenue": round(float(conv["revenue"].fillna(0).sum()), 2),
        "stored": len(kept), "types": kept["type"].value_counts().to_dict(),
        "all_persons": frame["person"].nunique(),
    }


@pytest.mark.slow
def test_required_consent_leaves_withholders_out_of_overview_and_counts(project):
    """``analytics_consent = "required"``: the overview (from the events, and from the
    roll-ups as the dashboard and API read it), the trend's totals and the store's counts
    equal a plain pandas count over the consenting persons; a withdrawal recorded later
    reaches all of them (the roll-ups are rebuilt); the withholder's person page says so."""
    import pandas as pd

    from tests.analysis.reference import random_rows, stitched_frame
    from wegweiser.analysis.overview import scoped_overview
    from wegweiser.events.consent import CONSENT_EVENT

    rows = random_rows(5, n=240, persons=10)
    frame = stitched_frame(rows)
    owner = {r.message_id: r.person for r in rows}
    frame["person"] = [owner.get(m) or u for m, u in zip(frame["message_id"], frame["user_id"],
                                                          strict=True)]
    project.import_events(frame.drop(columns="person"))
    said = []  # (person, granted): each becomes one consent event in the store
    for person, granted in (("p01", False), ("p02", False), ("p02", True), ("p03", False)):
        project.set_consent(person, {"Analytics": granted})
        said.append({"type": "track", "event": CONSENT_EVENT, "person": person,
                     "revenue": None})
    frame = pd.concat([frame, pd.DataFrame(said)], ignore_index=True)
    conversions = list(project.config.conversion_events)
    cfg = project.path / "wegweiser.toml"
    cfg.write_text(cfg.read_text().replace('consent_trait = "consent"', 'consent_trait = '
                                           '"consent"\nanalytics_consent = "required"'))
    project.reload_config()

    def check(withheld: set[str], *, every_face: bool = True) -> None:
        want = _reference(frame, withheld, conversions)
        ways = (lambda p: p.overview(), scoped_overview) if every_face else (scoped_overview,)
        for got in (way(project).figures for way in ways):
            assert {k: got[k] for k in ("persons", "events", "conversions",
                                        "converting_persons")} == {
                k: want[k] for k in ("persons", "events", "conversions", "converting_persons")}
            assert got["revenue"] == pytest.approx(want["revenue"])
        if every_face:
            totals = project.analyse("trends").totals.iloc[0]
            assert (int(totals["persons"]), int(totals["events"])) == (want["persons"],
                                                                      want["events"])
        stats = project.stats()
        assert stats["events"] == want["stored"]
        assert stats["types"] == want["types"]
        assert stats["persons"] == want["all_persons"] - len(withheld)
        assert stats["withheld_persons"] == len(withheld)

    check({"p01", "p03"})
    project.set_consent("p04", {"Analytics": False})  # a later withdrawal: rebuilt
    frame = pd.concat([frame, pd.DataFrame([{"type": "track", "event": CONSENT_EVENT,
                                             "person": "p04", "revenue": None}])],
                      ignore_index=True)
    check({"p01", "p03", "p04"}, every_face=False)

    page = project.person("p01")
    assert page.withheld
    assert page.timeline.empty
    assert page.traits.empty
    assert len(page.ids) >= 1
    assert int(page.summary["events"].iloc[0]) == 0
    again = project.person("p02")  # granted again: analysed
    assert not again.withheld
    assert not again.timeline.empty
