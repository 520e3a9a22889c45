from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from wegweiser.orchestrate.flows import FlowEdge, FlowNode
from wegweiser.present.flowchart import flow_svg

NODES = [
    FlowNode("<entry>", "entry", 1200),
    FlowNode("pause", "wait", 1200, waiting=40),
    FlowNode("reminder", "send", 700, detail="email: reminder"),
    FlowNode("<end>", "end", 690),
    FlowNode("<exited>", "exited", 470),
]
EDGES = [
    FlowEdge("<entry>", "pause", 1200),
    FlowEdge("pause", "reminder", 700),
    FlowEdge("pause", "<exited>", 460),
    FlowEdge("reminder", "<end>", 690),
    FlowEdge("reminder", "<exited>", 10),
]


@pytest.mark.parametrize("lang", ["en", "de"])
def test_the_flow_diagram_shows_every_step_and_edge_with_its_count(lang, snapshot):
    svg = flow_svg(NODES, EDGES, lang=lang, title="consideration")
    root = ET.fromstring(svg)  # well-formed XML
    ns = "{http://www.w3.org/2000/svg}"
    steps = [g.get("data-step") for g in root.iter(f"{ns}g") if g.get("class") == "node"]
    assert steps == [n.id for n in NODES]
    counts = [t.text for t in root.iter(f"{ns}text") if t.get("class") == "count"]
    sep = "," if lang == "en" else "."
    assert counts == ["1" + sep + "200", "700", "460", "690", "10"]
    assert ("Entered" if lang == "en" else "Eingetreten") in svg
    assert ("40 here now" if lang == "en" else "40 gerade hier") in svg
    widths = [float(w) for w in re.findall(r'stroke-width="([\d.]+)"', svg)[:5]]
    assert widths[0] == max(widths)  # the busiest edge is the widest
    snapshot.assert_match({"svg": re.split(r"(?=<g )", svg)}, lang)


def test_an_edge_to_a_node_not_drawn_is_left_out():
    svg = flow_svg(NODES[:2], [FlowEdge("<entry>", "pause", 3), FlowEdge("pause", "gone", 2)],
                   lang="en")
    assert svg.count('class="edge"') == 1
