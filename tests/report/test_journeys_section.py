"""The report's section "Journeys": the playbook's flows and dry run on a hand-made log,
pinned by golden files, in both languages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

import wegweiser
from tests.orchestrate.test_simulate import T0, _identify, _import, _track
from wegweiser.orchestrate.playbook import PHASES, write_playbook
from wegweiser.report._journeys import gather_journeys, section_blocks


@pytest.fixture(scope="module")
def journeys_data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("journeys") / "shop"
    with wegweiser.Project.init(folder) as project:
        write_playbook(project.path)
        rows = []
        for i in range(6):
            uid = f"u{i}"
            rows += [_identify(uid, T0, email=f"{uid}@example.org", email_opt_in=i != 5,
                               timezone="Europe/Berlin"),
                     _track(uid, "product_view", T0 + timedelta(hours=9 + i)),
                     _track(uid, "order_completed", T0 + timedelta(days=1, hours=i))]
            if i % 2:
                rows.append(_track(uid, "order_shipped", T0 + timedelta(days=2, hours=i)))
        rows.append(_track("z", "blog_view", T0 + timedelta(days=10)))
        _import(project, rows, folder.parent / "e.jsonl")
        data = gather_journeys(project)
    return data


@pytest.mark.parametrize("lang", ["en", "de"])
def test_the_journeys_section_shows_flows_and_the_dry_run(journeys_data, lang, snapshot):
    data = journeys_data
    assert data is not None
    assert set(data.flows) == set(PHASES) == data.simulated  # nothing ran: dry-run flows
    blocks = section_blocks(data, lang)
    kinds = [b["kind"] for b in blocks]
    assert kinds.count("svg") == len(PHASES)
    table = blocks[1]
    thank_you = next(r for r in table["rows"] if r[1] == "thank_you")
    assert thank_you[3:6] == ["5", "5", "1"]  # 5 with consent, 1 without (suppressed)
    pinned = [{**b, "svg": re.split(r"(?=<g )", b["svg"])} if b["kind"] == "svg" else b
              for b in blocks]
    snapshot.assert_match(pinned, lang)


def test_the_report_renders_the_section(journeys_data):
    from wegweiser.report.sections import _journeys

    class _Data:
        journeys = journeys_data

    section = _journeys(_Data(), "en")  # type: ignore[arg-type]
    assert section is not None
    assert section["title"] == "Journeys"
    assert f"{journeys_data.persons} persons" in section["intro"]
    assert section_blocks(journeys_data, "en") == section["blocks"]
