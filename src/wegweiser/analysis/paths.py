"""Paths: where people go from each event, the paths they take, and who follows a pattern.

Every function works on the *steps* of a unit (:func:`prepare_steps`): a unit is a person
(``by="person"``, the whole stitched journey across devices and sessions) or a session
(``by="session"``, the journey's sessions: a new one after more than the configured gap).
Steps keep the journey order — timestamp, then ``message_id`` for equal timestamps — and can
be cleaned first: ``exclude`` drops events, ``groups`` renames them (first matching rule
wins), ``collapse`` keeps only the first of a run of equal consecutive events (with its
timestamp). Patterns are globs (``*``, ``?``) over the whole name, or regexes after ``re:``.
Steps are numbered from 1; all windows below are inclusive.

* :func:`transitions` — each step to the unit's next step: ``count`` of transitions,
  distinct ``persons``, ``probability`` = count / all transitions out of the source event
  (a unit's last step has no transition; it counts in the node's ``exits``) and
  ``median_seconds`` between the two steps' timestamps (after ``collapse``: from the first
  event of a run to the first event of the next run).
* :func:`top_paths` — the most frequent paths of at most ``max_length`` steps: by default
  each unit's first ``max_length`` steps; with ``start``, the ``max_length`` steps from the
  unit's first step matching ``start``; with ``end``, the up to ``max_length`` steps ending
  at (and including) the unit's first step matching ``end``; with both, the steps from the
  first ``start`` to the first ``end`` after it, for units where that takes at most
  ``max_length`` steps. ``share`` = count / units in scope (units with ``start`` when given,
  else units with ``end`` when given, else all units). Ties: by the steps, name by name.
* :func:`sankey` and :func:`step_matrix` — the units' steps 1..k, counted from step 1 or
  from the first step matching ``start`` (then step 1 is that step; units without it are
  left out). A node's ``exits`` are the units whose steps end there; the matrix holds the
  share of the units in scope at each event at step k, and its ``ENDED`` row the share with
  fewer than k steps.
* :func:`match_pattern` — units whose steps contain a run that fits a pattern such as
  ``add_to_cart -> [^support_*]* -> order_completed``, with the first match: the earliest
  start, each repeated step then as short as it can be (see ``_paths_pattern``).

>>> import ibis
>>> from datetime import datetime, UTC
>>> journey = ibis.memtable({"person_id": ["p", "p", "p", "q", "q"], "seq": [0, 1, 2, 0, 1],
...     "session_id": ["p:0"] * 3 + ["q:0"] * 2, "event": ["view", "cart", "buy", "view", "cart"],
...     "timestamp": [datetime(2026, 1, 1, 0, m, tzinfo=UTC) for m in (0, 1, 5, 0, 2)]})
>>> transitions(journey).edges[["source", "target", "count", "probability", "median_seconds"]]
  source target  count  probability  median_seconds
0   view   cart      2          1.0            90.0
1   cart    buy      1          1.0           240.0
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

import ibis
import pandas as pd
from pydantic import BeforeValidator, Field

from wegweiser.analysis._codes import has_codes
from wegweiser.analysis._compiled import fetch
from wegweiser.analysis._names import check_event_names, event_names
from wegweiser.analysis._paths_pattern import describe, first_matches, parse_pattern
from wegweiser.analysis._paths_results import (
    ENDED,
    PathsResult,
    PatternResult,
    SankeyResult,
    StepMatrixResult,
    TransitionsResult,
)
from wegweiser.analysis._paths_steps import (
    _has_next,
    check_pattern,
    check_unit,
    collapsed_runs,
    first_hits,
    prepare_steps,
    steps_have_codes,
    with_first,
)
from wegweiser.analysis._time import seconds_between
from wegweiser.analysis.params import GROUP_PATTERN, Name, Names, Params, Unit, split
from wegweiser.analysis.registry import Analysis, Chart, Inputs, Words
from wegweiser.analysis.result import Result, to_frame, to_value
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    import ibis.expr.types as ir

__all__ = [
    "PathsResult", "PatternResult", "SankeyResult", "StepMatrixResult", "TransitionsResult",
    "match_pattern", "prepare_steps", "sankey", "step_matrix", "top_paths", "transitions",
]

MAX_LENGTH = 50


# -- the analyses ---------------------------------------------------------------------------

def transitions(
    journey: ir.Table,
    *,
    groups: Mapping[str, str] | None = None,
    exclude: Iterable[str] | None = None,
    collapse: bool = False,
    by: str = "person",
) -> TransitionsResult:
    """Transition graph of consecutive steps (see the module docstring)."""
    params = _prep_params(groups, exclude, collapse, by)
    runs = (collapse and not params["groups"] and not params["exclude"] and by == "person"
            and has_codes(journey) and _has_next(journey))

    def steps() -> ir.Table:  # built only when the memo has no SQL for the key
        # loops collapsed on the codes: one window over the run ends, not two over every event
        return collapsed_runs(journey) if runs else prepare_steps(journey, **_prep(params))

    key = ("paths-transitions", repr(params), journey.op())
    backend = journey.get_backend()
    if not runs and steps_have_codes(journey, groups=params["groups"],
                                     exclude=params["exclude"], collapse=collapse):
        # plain steps: two light queries over the codes
        edge_frame = fetch((*key, "edges"), lambda: _edges(steps()), backend).to_pandas()
        node_frame = fetch((*key, "nodes"), lambda: _nodes(steps()), backend).to_pandas()
    else:  # one query: cleaned steps (windows) are computed once for both tables
        both = fetch(key, lambda: _both(steps()), backend).to_pandas()
        is_edge = both["target"].notna()
        edge_frame = both.loc[is_edge, ["source", "target", "count", "persons",
                                        "median_seconds"]]
        node_frame = both.loc[~is_edge, ["source", "count", "persons", "starts", "exits"]]
        node_frame = node_frame.rename(columns={"source": "event"})
    for frame in (edge_frame, node_frame):
        for column in ("count", "persons", "starts", "exits"):
            if column in frame:
                frame[column] = frame[column].astype("int64")
    out_of = edge_frame.groupby("source")["count"].transform("sum")
    edge_frame.insert(4, "probability", edge_frame["count"] / out_of)
    return TransitionsResult(
        _sorted(edge_frame, ["count", "source", "target"]),
        _sorted(node_frame, ["count", "event"]),
        params=params,
    )


def _edges(steps: ir.Table) -> ir.Table:
    """``source``, ``target``, ``count``, ``persons``, ``median_seconds`` per pair of
    consecutive steps; grouped by the integer codes when the steps have them."""
    coded = has_codes(steps)
    moves = steps.filter((steps.next_event_n if coded else steps.next_event).notnull())
    aggs: dict[str, ir.Value] = {
        "count": moves.count(),
        "persons": (moves.person_n if coded else moves.person_id).nunique(),
        "median_seconds": seconds_between(moves.timestamp, moves.next_timestamp).median(),
    }
    if not coded:
        edges = moves.group_by(source=moves.event, target=moves.next_event).agg(**aggs)
        return edges.select("source", "target", "count", "persons", "median_seconds")
    edges = moves.group_by("event_n", "next_event_n").agg(
        source=moves.event.arbitrary(), target=moves.next_event.arbitrary(), **aggs
    )
    return edges.select("source", "target", "count", "persons", "median_seconds")


def _both(steps: ir.Table) -> ir.Table:
    """:func:`_edges` and :func:`_nodes` in one table (nodes: ``target`` NULL)."""
    none = ibis.literal(0, type="int64")
    edges = _edges(steps).mutate(starts=none, exits=none)
    nodes = _nodes(steps)
    return edges.union(nodes.select(
        source=nodes.event, target=ibis.null().cast("string"), count=nodes["count"],
        persons=nodes.persons, median_seconds=ibis.null().cast("float64"),
        starts=nodes.starts, exits=nodes.exits,
    ))


def _nodes(steps: ir.Table) -> ir.Table:
    """``event``, ``count``, ``persons``, ``starts``, ``exits`` per step event."""
    coded = has_codes(steps)
    aggs: dict[str, ir.Value] = {
        "count": steps.count(),
        "persons": (steps.person_n if coded else steps.person_id).nunique(),
        "starts": (steps.step == 1).cast("int64").sum(),
        "exits": steps.next_event.isnull().cast("int64").sum(),
    }
    if not coded:
        return steps.group_by(event=steps.event).agg(**aggs)
    nodes = steps.group_by("event_n").agg(event=steps.event.arbitrary(), **aggs)
    return nodes.select("event", "count", "persons", "starts", "exits")


def top_paths(
    journey: ir.Table,
    *,
    n: int = 20,
    max_length: int = 10,
    start: str | None = None,
    end: str | None = None,
    groups: Mapping[str, str] | None = None,
    exclude: Iterable[str] | None = None,
    collapse: bool = False,
    by: str = "person",
) -> PathsResult:
    """The ``n`` most frequent paths (see the module docstring for start/end and share)."""
    _positive(n=n, max_length=max_length)
    if max_length > MAX_LENGTH:
        raise InvalidInput(f"max_length {max_length} is too long; use at most {MAX_LENGTH}")
    start, end = _opt_pattern(start, "start"), _opt_pattern(end, "end")
    params = {"n": n, "max_length": max_length, "start": start, "end": end,
              **_prep_params(groups, exclude, collapse, by)}
    _check_names(journey, params, start=start, end=end)
    steps = prepare_steps(journey, **_prep(params))
    rows = _path_rows(steps, max_length, start, end)
    cols = [f"s{k}" for k in range(1, max_length + 1)]
    keys = ["unit_id"] if by == "person" else ["unit_id", "person_id"]
    per_unit = rows.group_by(keys).agg(
        **{c: rows.event.max(where=rows.k == k) for k, c in enumerate(cols, 1)}
    )
    persons = per_unit.count() if by == "person" else per_unit.person_id.nunique()
    counted = per_unit.group_by(cols).agg(n_units=per_unit.count(), n_persons=persons)
    counted = counted.mutate(total=counted.n_units.sum().over(ibis.window()))
    top = counted.filter(counted.s1.notnull()).order_by(
        [ibis.desc("n_units"), *[ibis.asc(c, nulls_first=True) for c in cols]]
    ).limit(n)
    frame = to_frame(top)
    steps_of = frame[cols].to_numpy(dtype=object).tolist()
    names = [[str(s) for s in row if pd.notna(s)] for row in steps_of]
    total = frame["total"].astype("float64")
    paths = pd.DataFrame({
        "path": [" > ".join(r) for r in names],
        "length": pd.Series([len(r) for r in names], dtype="int64"),
        "count": frame["n_units"].astype("int64"),
        "persons": frame["n_persons"].astype("int64"),
        "share": frame["n_units"] / total,
    })
    return PathsResult(paths, params=params)


def sankey(
    journey: ir.Table,
    *,
    steps: int = 5,
    start: str | None = None,
    groups: Mapping[str, str] | None = None,
    exclude: Iterable[str] | None = None,
    collapse: bool = False,
    by: str = "person",
) -> SankeyResult:
    """Flows between steps 1..``steps`` (from the first ``start`` when given)."""
    _positive(steps=steps)
    start = _opt_pattern(start, "start")
    params = {"steps": steps, "start": start, **_prep_params(groups, exclude, collapse, by)}
    _check_names(journey, params, start=start)
    rows = _relative(prepare_steps(journey, **_prep(params)), steps, start)
    target = ibis.ifelse(rows.k < steps, rows.next_event, ibis.null().cast("string"))
    ended = rows.next_event.isnull()
    grouped = rows.group_by(step=rows.k, source=rows.event, target=target, ended=ended)
    if by == "person":  # nodes are sums of their flows (units = persons)
        flows = to_frame(grouped.agg(count=rows.count()))
        flows["persons"] = flows["count"]
        flows["exits"] = flows["count"].where(flows["ended"], 0)
        nodes = flows.groupby(["step", "source"], as_index=False)[
            ["count", "persons", "exits"]].sum()
    else:  # distinct persons per node need their own aggregate; one query for both
        links_expr = grouped.agg(count=rows.count(), persons=rows.person_id.nunique(),
                                 exits=ibis.literal(0, type="int64"), node=ibis.literal(False))
        nodes_expr = rows.group_by(step=rows.k, source=rows.event).agg(
            target=ibis.null().cast("string"), ended=ibis.literal(False), count=rows.count(),
            persons=rows.person_id.nunique(), exits=ended.cast("int64").sum(),
            node=ibis.literal(True),
        )
        both = to_frame(links_expr.union(nodes_expr.select(*links_expr.columns)))
        flows, nodes = both[~both["node"]], both[both["node"]]
    links = flows[flows["target"].notna()][["step", "source", "target", "count", "persons"]]
    links = _sorted(links, ["step", "count", "source", "target"], descending=("count",))
    nodes = nodes.rename(columns={"source": "event"})
    nodes = _sorted(nodes[["step", "event", "count", "persons", "exits"]],
                    ["step", "count", "event"], descending=("count",))
    return SankeyResult(links, nodes, params=params)


def step_matrix(
    journey: ir.Table,
    *,
    max_steps: int = 10,
    start: str | None = None,
    groups: Mapping[str, str] | None = None,
    exclude: Iterable[str] | None = None,
    collapse: bool = False,
    by: str = "person",
) -> StepMatrixResult:
    """Share of units at each event at steps 1..``max_steps`` (from the first ``start``)."""
    _positive(max_steps=max_steps)
    start = _opt_pattern(start, "start")
    params = {"max_steps": max_steps, "start": start,
              **_prep_params(groups, exclude, collapse, by)}
    _check_names(journey, params, start=start)

    def build() -> ir.Table:
        rows = _relative(prepare_steps(journey, **_prep(params)), max_steps, start)
        return rows.group_by(step=rows.k, event=rows.event).agg(count=rows.count())

    key = ("paths-steps", repr(params), journey.op())
    counts = fetch(key, build, journey.get_backend()).to_pandas()
    units = int(counts.loc[counts.step == 1, "count"].sum())
    counts["share"] = counts["count"] / units if units else 0.0
    counts = _sorted(counts, ["step", "count", "event"], descending=("count",))
    labels = [str(k) for k in range(1, max_steps + 1)]
    if not units:
        return StepMatrixResult(pd.DataFrame(columns=["event", *labels]), counts, params=params)
    wide = counts.pivot(index="event", columns="step", values="share")
    wide = wide.reindex(columns=range(1, max_steps + 1)).fillna(0.0)
    wide.columns = pd.Index(labels)
    totals = {str(e): float(v) for e, v in wide.sum(axis=1).items()}
    order = sorted(totals, key=lambda e: (-totals[e], str(e)))
    wide = wide.loc[order]
    reached = counts.groupby("step")["count"].sum().reindex(range(1, max_steps + 1)).fillna(0)
    wide.loc[ENDED] = ((units - reached) / units).to_numpy()
    matrix = wide.rename_axis(None, axis=1).reset_index(names="event")
    return StepMatrixResult(matrix, counts, params=params)


def match_pattern(
    journey: ir.Table,
    pattern: str,
    *,
    groups: Mapping[str, str] | None = None,
    exclude: Iterable[str] | None = None,
    collapse: bool = False,
    by: str = "person",
) -> PatternResult:
    """Units whose steps fit ``pattern``, with their first match (see ``_paths_pattern``)."""
    parsed = parse_pattern(pattern)
    params = {"pattern": describe(parsed), **_prep_params(groups, exclude, collapse, by)}
    # names under [^...] may be absent (nothing to avoid); the others must occur
    positive = tuple(dict.fromkeys(n for t in parsed.tokens if not t.negate for n in t.names))
    _check_names(journey, params, pattern=positive)
    steps = prepare_steps(journey, **_prep(params))
    matches = to_frame(first_matches(steps, parsed).order_by("unit_id"))
    n_units = matches.pop("n_units")
    units = int(n_units.iloc[0]) if len(matches) else int(
        to_value(steps.unit_id.nunique()) or 0)
    matches.insert(4, "steps", (matches.end_step - matches.start_step + 1).astype("int64"))
    matches["seconds"] = (
        (matches.end_timestamp - matches.start_timestamp).dt.total_seconds().astype("float64")
    )
    matching = len(matches)
    summary = pd.DataFrame({
        "pattern": [params["pattern"]],
        "units": [units],
        "matching": [matching],
        "share": [matching / units if units else 0.0],
        "median_steps": [float(matches.steps.median()) if matching else None],
        "median_seconds": [float(matches.seconds.median()) if matching else None],
    })
    return PatternResult(summary, matches, params=params)


# -- helpers --------------------------------------------------------------------------------

def _prep_params(groups: Mapping[str, str] | None, exclude: Iterable[str] | None,
                 collapse: bool, by: str) -> dict[str, Any]:
    return {"groups": dict(groups or {}), "exclude": list(exclude or []),
            "collapse": bool(collapse), "by": check_unit(by)}


def _check_names(journey: ir.Table, params: dict[str, Any],
                 **given: str | tuple[str, ...] | None) -> None:
    """The start/end/pattern names match an event name or a group name ("Did you mean …?");
    the journey's names are read (one query) only when a name is given."""
    listed = {what: [names] if isinstance(names, str) or names is None else list(names)
              for what, names in given.items()}
    if all(name is None for names in listed.values() for name in names):
        return
    present = event_names(journey)
    for what, names in listed.items():
        check_event_names(journey, names, what=f"paths {what}", patterns=True,
                          also=params["groups"].values(), present=present)


def _prep(params: dict[str, Any]) -> dict[str, Any]:
    return {k: params[k] for k in ("groups", "exclude", "collapse", "by")}


def _positive(**values: int) -> None:
    for name, value in values.items():
        if value < 1:
            raise InvalidInput(f"{name} must be at least 1, got {value}")


def _opt_pattern(pattern: str | None, what: str) -> str | None:
    return None if pattern is None else check_pattern(pattern, what=what)


def _relative(steps: ir.Table, length: int, start: str | None) -> ir.Table:
    """Steps 1..length of each unit, counted from step 1 or from the first ``start``: ``k``."""
    if start is None:
        rows = steps.filter(steps.step <= length)
        return rows.mutate(k=rows.step)
    marked = with_first(steps, start, "first")
    rows = marked.filter((marked.step >= marked.first) & (marked.step < marked.first + length))
    return rows.mutate(k=rows.step - rows.first + 1)


def _path_rows(steps: ir.Table, length: int, start: str | None, end: str | None) -> ir.Table:
    """The steps on each unit's path with their position ``k`` (1-based) on it.

    With start and end, units with a start but no end within ``length`` steps keep one row
    with ``k = 0``: they count in the share's denominator but have no path.
    """
    if end is None:
        return _relative(steps, length, start)
    if start is None:
        marked = with_first(steps, end, "last")
        rows = marked.filter(
            (marked.step <= marked.last) & (marked.step > marked.last - length)
        )
        return rows.mutate(k=rows.step - ibis.greatest(rows.last - length, 0))
    near = _relative(steps, length, start)  # the end must come within these steps
    ends = first_hits(near, end, "last", after="first").rename(unit_key="unit_id")
    rows = near.left_join(ends, near.unit_id == ends.unit_key).drop("unit_key")
    rows = rows.filter((rows.k == 1) | (rows.last.notnull() & (rows.step <= rows.last)))
    return rows.mutate(k=ibis.ifelse(rows.last.notnull(), rows.k, 0))


def _sorted(frame: pd.DataFrame, keys: list[str], *,
            descending: tuple[str, ...] = ("count",)) -> pd.DataFrame:
    """Sort (counts descending, names ascending), with a fresh index."""
    ascending = [k not in descending for k in keys]
    return frame.sort_values(keys, ascending=ascending, kind="stable").reset_index(drop=True)


def phase_flow(journey: ir.Table, steps: int = 4) -> SankeyResult:
    """Each person's phases step by step (events without a phase left out, repeats of a
    phase merged), from the first phase, as a Sankey of ``steps`` steps."""
    phased = journey.filter(journey.phase.notnull())
    return sankey(phased.mutate(event=phased.phase), steps=max(steps, 2), collapse=True)


# -- registry ---------------------------------------------------------------------------------
class PathsParams(Params):
    """Where people go: transitions, top paths, flows, step matrix, matches.

    Steps are a person's events across devices and sessions (by session: one session; a
    new one after the configured gap), ordered by time and, for equal times, by message
    id; step 1 is the first. Patterns are globs (* and ?) or regexes after re:. Cleaning,
    in this order: exclude drops events (by name or group name), group renames them,
    collapse keeps the first of a run of equal events.

    transitions: each step to the next (count, persons, probability = share of the moves
    out of the source, median seconds between). top: the first max_length steps; with
    start from the first start; with end the steps up to and including the first end;
    with both, the first start to the first end after it, if within max_length steps
    (share: of the units with a start). sankey, steps: steps 1..k, from the first start
    when given. match: units containing the pattern: steps joined by ->; [a,b] one of,
    [^a,b] none of, . any one, * any run, [..]* or [..]+ repeated; ^ and $ tie it to the
    first and last step. Shows the first match.
    """

    view: Literal["transitions", "top", "sankey", "steps", "match"] | None = Field(
        None, description="transitions, top (default; match when pattern is given), sankey, "
        "steps or match."
    )
    start: Name | None = Field(
        None, description="Begin at each unit's first event matching this (top, sankey, steps)."
    )
    end: Name | None = Field(
        None, description="top: the steps up to each unit's first event matching this."
    )
    steps: Annotated[int, Field(ge=1, le=50)] | None = Field(
        None, description="Steps shown by sankey (default 5) and steps (default 10)."
    )
    max_length: Annotated[int, Field(ge=1, le=50)] = Field(
        10, description="top: longest path, in steps."
    )
    top: Annotated[int, Field(ge=1, le=10_000)] = Field(20, description="top: how many paths.")
    group: Annotated[
        list[Annotated[str, Field(max_length=400, json_schema_extra={"pattern": GROUP_PATTERN})]],
        BeforeValidator(split),
        Field(max_length=100),
    ] = Field(
        default_factory=list,
        description="PATTERN=NAME: rename matching events (first rule wins); repeatable.",
    )
    exclude: Names = Field(
        default_factory=list, description="Drop events matching this pattern; repeatable."
    )
    collapse: bool = Field(False, description="Keep only the first of repeated consecutive events.")
    pattern: Annotated[str, Field(min_length=1, max_length=1000)] | None = Field(
        None, description="match: e.g. 'add_to_cart -> [^support_*]* -> order_completed'."
    )
    by: Unit = Field("person", description="Follow persons (all sessions) or sessions.")


_APPLIES = (("start", ("top", "sankey", "steps")), ("end", ("top",)),
            ("steps", ("sankey", "steps")), ("pattern", ("match",)))


def parse_groups(rules: list[str]) -> dict[str, str]:
    """``["checkout_*=checkout", "re:^cart=cart"]`` -> ``{pattern: group name}``.

    >>> parse_groups(["checkout_*=checkout"])
    {'checkout_*': 'checkout'}
    """
    groups: dict[str, str] = {}
    for rule in rules:
        pattern, sep, name = rule.rpartition("=")
        if not sep or not pattern.strip() or not name.strip():
            raise InvalidInput(f"group {rule!r} is not PATTERN=NAME; "
                               "write e.g. 'checkout_*=checkout'")
        groups[pattern.strip()] = name.strip()
    return groups


def _view(p: PathsParams) -> str:
    return p.view or ("match" if p.pattern is not None else "top")


def _check(p: PathsParams) -> None:
    view = _view(p)
    for name, allowed in _APPLIES:
        if getattr(p, name) is not None and view not in allowed:
            raise InvalidInput(
                f"{name} does not apply to view {view}; use it with view {', '.join(allowed)}"
            )
    if view == "match" and p.pattern is None:
        raise InvalidInput("view match needs a pattern, e.g. 'a -> * -> b'")
    parse_groups(p.group)


def _compute(inputs: Inputs, p: PathsParams) -> Result:
    view = _view(p)
    prep: dict[str, Any] = {
        "groups": parse_groups(p.group),
        "exclude": [e.strip() for e in p.exclude],
        "collapse": p.collapse,
        "by": p.by,
    }
    journey = inputs.journey()
    if view == "transitions":
        return transitions(journey, **prep)
    if view == "top":
        return top_paths(journey, n=p.top, max_length=p.max_length, start=p.start, end=p.end,
                         **prep)
    if view == "sankey":
        return sankey(journey, steps=p.steps or 5, start=p.start, **prep)
    if view == "steps":
        return step_matrix(journey, max_steps=p.steps or 10, start=p.start, **prep)
    assert p.pattern is not None  # _check
    return match_pattern(journey, p.pattern, **prep)


ANALYSIS = Analysis(
    name="paths",
    params=PathsParams,
    compute=_compute,
    title=Words("Paths", "Pfade"),
    summary=Words("Transitions, top paths, Sankey flows, step matrix, pattern",
                  "Übergänge, häufigste Pfade, Sankey-Flüsse, Schrittmatrix, Muster"),
    views={"transitions": "edges", "top": "paths", "sankey": "links", "steps": "matrix",
           "match": "matches"},
    view_of=_view,
    check=_check,
    charts=(Chart("hbar", "paths", x="persons", y="path"),),
)
