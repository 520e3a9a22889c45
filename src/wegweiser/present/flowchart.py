"""A journey's flow as a server-rendered SVG: its steps top to bottom in file order, each a
box with the runs that reached it, and every edge a run took with its count (the width grows
with the count). No JavaScript: it renders offline, in the dashboard and in the report, and
its text is testable (golden files).

The input is plain data (duck-typed: the nodes and edges of
:class:`wegweiser.orchestrate.flows.Flow`), so this module knows nothing of the runtime.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Protocol

from wegweiser.present.i18n import number, t

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["flow_svg"]

ROW, BOX_W, BOX_H, LEFT, LANE = 66, 300, 44, 20, 18
SPECIAL = {"<entry>": "jflow.entry", "<end>": "jflow.end", "<exited>": "jflow.exited"}
COLOURS = {"entry": "#1f5f99", "end": "#2e7d32", "exited": "#8d6e63", "send": "#e65100",
           "webhook": "#6a1b9a"}


class NodeLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def count(self) -> int: ...
    @property
    def waiting(self) -> int: ...
    @property
    def detail(self) -> str: ...


class EdgeLike(Protocol):
    @property
    def src(self) -> str: ...
    @property
    def dst(self) -> str: ...
    @property
    def count(self) -> int: ...


def flow_svg(nodes: Sequence[NodeLike], edges: Sequence[EdgeLike], *, lang: str,
             title: str = "") -> str:
    """The SVG text of a flow (``<svg ...>...</svg>``); deterministic for the same input."""
    row = {n.id: i for i, n in enumerate(nodes)}
    biggest = max([e.count for e in edges] + [1])
    lanes = 0
    arcs: list[str] = []
    for edge in edges:
        if edge.src not in row or edge.dst not in row:
            continue
        a, b = row[edge.src], row[edge.dst]
        width = 1.5 + 6 * edge.count / biggest
        label = escape(number(edge.count, lang))
        tip = escape(f"{_name(edge.src, lang)} → {_name(edge.dst, lang)}: {label}")
        if b == a + 1:
            x, y1, y2 = LEFT + BOX_W / 2, float(_top(a) + BOX_H), float(_top(b))
            arcs.append(
                f'<g class="edge"><title>{tip}</title><line x1="{x:g}" y1="{y1:g}" x2="{x:g}" '
                f'y2="{y2:g}" stroke="#90a4ae" stroke-width="{width:.2f}" '
                f'marker-end="url(#arrow)"/><text x="{x + 8:g}" y="{(y1 + y2) / 2 + 4:g}" '
                f'class="count">{label}</text></g>')
            continue
        lanes += 1
        x0 = LEFT + BOX_W
        xl = x0 + LANE * lanes
        y1, y2 = _top(a) + BOX_H / 2 - 6 + 4 * (lanes % 3), _top(b) + BOX_H / 2
        arcs.append(
            f'<g class="edge"><title>{tip}</title><path d="M{x0:g},{y1:g} H{xl:g} V{y2:g} '
            f'H{x0 + 2:g}" fill="none" stroke="#90a4ae" stroke-width="{width:.2f}" '
            f'marker-end="url(#arrow)"/><text x="{xl + 4:g}" y="{(y1 + y2) / 2 + 4:g}" '
            f'class="count">{label}</text></g>')
    boxes = []
    for i, node in enumerate(nodes):
        y = _top(i)
        colour = COLOURS.get(node.kind, "#455a64")
        head = escape(_name(node.id, node.kind, lang))
        sub = t("jflow.persons", lang, n=number(node.count, lang))
        if node.waiting:
            sub += " · " + t("jflow.waiting", lang, n=number(node.waiting, lang))
        if node.detail:
            sub += f" · {node.detail}"
        boxes.append(
            f'<g class="node" data-step="{escape(node.id)}"><rect x="{LEFT}" y="{y}" '
            f'width="{BOX_W}" height="{BOX_H}" rx="6" fill="#fff" stroke="{colour}" '
            f'stroke-width="2"/><text x="{LEFT + 10}" y="{y + 18}" class="head" '
            f'fill="{colour}">{head}</text><text x="{LEFT + 10}" y="{y + 35}" '
            f'class="sub">{escape(sub)}</text></g>')
    width = LEFT + BOX_W + LANE * (lanes + 1) + 60
    height = _top(len(nodes)) - ROW + BOX_H + 20
    caption = f"<title>{escape(title)}</title>" if title else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="journey-flow" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="12">{caption}'
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" '
        'markerHeight="9" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#90a4ae"/></marker></defs>'
        '<style>.head{font-weight:600}.sub{fill:#455a64}.count{fill:#263238;'
        'font-weight:600}</style>'
        + "".join(arcs) + "".join(boxes) + "</svg>")


def _top(index: int) -> int:
    return 10 + index * ROW


def _name(node_id: str, kind_or_lang: str, lang: str | None = None) -> str:
    """A node's heading: the words for entry, end and exited; else ``id (kind)``."""
    if lang is None:  # _name(node_id, lang): the edge titles
        lang, kind = kind_or_lang, ""
    else:
        kind = kind_or_lang
    if node_id in SPECIAL:
        return t(SPECIAL[node_id], lang)
    return f"{node_id} ({kind})" if kind else node_id
