"""Segment membership against a plain-Python reference; the segment files of a project."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wegweiser
from tests.analysis.reference import BASE, frame_of, random_rows
from wegweiser.analysis.result import to_frame
from wegweiser.analysis.segments import Segment, members
from wegweiser.errors import InvalidInput

EVENTS = ("a", "add_to_cart", "order_completed", "b")
AS_OF = BASE + timedelta(days=10)


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    rows = random_rows(11, n=300, persons=25, events=EVENTS, minutes=60 * 24 * 12)
    with wegweiser.Project.init(tmp_path_factory.mktemp("s") / "p") as project:
        project.import_events(frame_of(rows))
        yield project, rows


def reference(rows, seg: Segment) -> list[str]:
    window = (
        None
        if seg.within is None
        else {"7d": timedelta(days=7), "36h": timedelta(hours=36)}[seg.within]
    )
    persons = sorted({r.person for r in rows})
    out = []
    for p in persons:
        mine = [r for r in rows if r.person == p]
        recent = [r for r in mine if window is None or AS_OF - window <= r.timestamp <= AS_OF]
        done = {r.event for r in recent}
        ok = all(e in done for e in seg.did) and not any(e in done for e in seg.did_not)
        if seg.where:  # only plan / channel conditions are generated
            ok = ok and any(all(_holds(r, c) for c in seg.where) for r in mine)
        if seg.ids:
            ok = ok and p in seg.ids
        if ok:
            out.append(p)
    return out


def _holds(r, c) -> bool:
    value = r.properties.get("plan") if c.field == "property" else r.channel
    return (value == c.value) if c.op == "=" else (value != c.value)


@st.composite
def segments(draw) -> Segment:
    did = draw(st.lists(st.sampled_from(EVENTS), max_size=2, unique=True))
    did_not = draw(st.lists(st.sampled_from([e for e in EVENTS if e not in did]), max_size=1))
    within = draw(st.sampled_from([None, "7d", "36h"])) if did or did_not else None
    where = draw(
        st.lists(
            st.sampled_from(["property:plan=pro", "channel!=email", "channel=direct"]),
            max_size=2,
            unique=True,
        )
    )
    ids = draw(st.lists(st.sampled_from([f"p{k:02d}" for k in range(30)]), max_size=8))
    if not (did or did_not or where or ids):
        did = ["a"]
    return Segment(name="s", did=did, did_not=did_not, within=within, where=where, ids=ids)


@given(seg=segments())
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_members_match_reference(shop, seg):
    project, rows = shop
    got = to_frame(members(project.journey(), seg, as_of=AS_OF, traits=project.traits))
    assert sorted(got.person_id) == reference(rows, seg)


def test_segment_files_round_trip(project):
    seg = Segment(
        name="carts-14d",
        description="Carts, no order",
        did=["add_to_cart"],
        did_not=["order_completed"],
        within="14d",
        where=['property:"a.b" != x', "trait:tier in gold,silver"],
        ids=["u2", "u1"],
    )
    path = project.save_segment(seg)
    assert path == project.path / "segments" / "carts-14d.toml"
    assert project.segment("carts-14d") == seg
    assert list(project.segments()) == ["carts-14d"]
    with pytest.raises(InvalidInput, match="exists"):
        project.save_segment(seg)
    project.delete_segment("carts-14d")
    assert project.segments() == {}
    with pytest.raises(InvalidInput, match="no segment"):
        project.delete_segment("carts-14d")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('did = "a"\nwithin = "x"', "within"),
        ("nothing = 1", "nothing"),
        ("did = [", "not valid TOML"),
        ("description = 'only words'", "has no rule"),
    ],
)
def test_broken_segment_file_names_the_file(project, text, says):
    folder = project.path / "segments"
    folder.mkdir()
    (folder / "bad.toml").write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput, match=f"bad.toml.*{says}"):
        project.segment("bad")


@pytest.mark.parametrize("name", ["../x", "a b", "", "-x", "x" * 65])
def test_segment_names_are_file_names(project, name):
    with pytest.raises((InvalidInput, ValueError)):
        project.segment(name)
    with pytest.raises(ValueError, match="name"):
        Segment(name=name, did=["a"])


def test_export_is_sorted_person_ids(shop):
    project, rows = shop
    project.save_segment(Segment(name="buyers", did=["order_completed"]), replace=True)
    frame = project.members("buyers")
    assert frame.person_id.tolist() == sorted(
        {r.person for r in rows if r.event == "order_completed"}
    )
    assert json.loads(frame.to_json(orient="records"))[0].keys() == {"person_id"}
