"""A journey's flow as counted by its state store: how many runs entered, reached each
step, moved along each edge, ended, exited or were parked (the diagram of the dashboard's
journey page and of the report's section "Journeys").

Every move of a run is a row of ``wj_moves`` (written by the runtime in the transaction
that moves the run); entries, exits and parked runs come from ``wj_runs``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wegweiser.orchestrate.definitions import Journey
    from wegweiser.orchestrate.state import StateStore

__all__ = ["END", "ENTRY", "EXITED", "Flow", "FlowEdge", "FlowNode", "flow"]

ENTRY, END, EXITED = "<entry>", "<end>", "<exited>"


@dataclass(frozen=True)
class FlowNode:
    id: str
    """A step id, or :data:`ENTRY`, :data:`END`, :data:`EXITED`."""
    kind: str
    """The step's type (``wait``, ``send``, ...) or ``entry``, ``end``, ``exited``."""
    count: int
    """Runs that reached it."""
    waiting: int = 0
    """Runs at this step now (active or parked)."""
    detail: str = ""
    """The channel and template of a send step, the endpoint of a webhook."""


@dataclass(frozen=True)
class FlowEdge:
    src: str
    dst: str
    count: int


@dataclass(frozen=True)
class Flow:
    journey: str
    nodes: list[FlowNode]
    edges: list[FlowEdge]
    control: int = 0
    """Entrants kept out by the global control group (they never move)."""

    def node(self, node_id: str) -> FlowNode:
        return next(n for n in self.nodes if n.id == node_id)


def _detail(step: object) -> str:
    channel = getattr(step, "channel", None)
    if channel is not None:
        return f"{channel}: {getattr(step, 'template', '')}"
    endpoint = getattr(step, "endpoint", None)
    return f"webhook: {endpoint}" if endpoint is not None else ""


def flow(store: StateStore, journey: Journey) -> Flow:
    """The flow of ``journey`` from ``store``: nodes in file order between entry and the
    ends, every edge a run took, with counts (edges of no run are left out)."""
    with store.transaction() as tx:
        moves = tx.execute("SELECT src, dst, count(*) FROM wj_moves WHERE journey = :j "
                           "GROUP BY src, dst", {"j": journey.name})
        runs = tx.execute("SELECT status, step, count(*) FROM wj_runs WHERE journey = :j "
                          "GROUP BY status, step", {"j": journey.name})
    ids = [s.id for s in journey.steps]
    edges: dict[tuple[str, str], int] = {}
    entered = sum(int(n) for status, _, n in runs if status != "control")
    control = sum(int(n) for status, _, n in runs if status == "control")
    if entered:
        edges[(ENTRY, ids[0])] = entered
    for src, dst, n in moves:
        key = (str(src), str(dst) or END)
        edges[key] = edges.get(key, 0) + int(n)
    waiting: dict[str, int] = {}
    for status, step, n in runs:
        if step is None:
            continue
        if status == "exited":
            edges[(str(step), EXITED)] = edges.get((str(step), EXITED), 0) + int(n)
        elif status in ("active", "parked"):
            waiting[str(step)] = waiting.get(str(step), 0) + int(n)
    arrivals: dict[str, int] = {}
    for (_, dst), n in edges.items():
        arrivals[dst] = arrivals.get(dst, 0) + n
    nodes = [FlowNode(ENTRY, "entry", entered)]
    nodes += [FlowNode(s.id, s.type, arrivals.get(s.id, 0), waiting.get(s.id, 0), _detail(s))
              for s in journey.steps]
    nodes += [FlowNode(END, "end", arrivals.get(END, 0)),
              FlowNode(EXITED, "exited", arrivals.get(EXITED, 0))]
    position = {n.id: i for i, n in enumerate(nodes)}
    ordered = sorted(edges.items(), key=lambda kv: (position.get(kv[0][0], 99),
                                                    position.get(kv[0][1], 99)))
    return Flow(journey.name, nodes, [FlowEdge(s, d, n) for (s, d), n in ordered], control)
