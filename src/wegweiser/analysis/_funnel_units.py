"""The engine part of funnels: one row per unit that entered (internal).

:func:`unit_table` returns an Ibis expression with one row per entered unit (person, or
session with ``by="session"``) and these columns, all of the unit's **best attempt**:

* ``person_id`` (and ``session_id`` for sessions), ``entered_at`` — the attempt's entry time;
* ``done_<k>`` — when the attempt completed steps ``0..k`` (NULL when it did not);
* ``n_reached`` — how many funnel rows the unit counts in (steps ``0..n_reached-1`` done);
* ``n_distinct`` — distinct steps done (unordered; equal to ``n_reached`` otherwise);
* ``seconds`` — entry to completion of the last step (NULL unless converted);
* ``value`` — the breakdown value under the chosen attribution (only with a breakdown).

An **attempt** starts at an entry event: every event matching step 1 (unordered: any step)
with ``entry="any"``, only the unit's first one with ``entry="first"``. The best attempt
reaches the most steps (unordered: then the most distinct steps); among equals the earliest.

How (no Python loop, no self-join that grows with the number of attempts): only rows whose
event is a step or exclusion event are read (the *candidates*). One window pass over them,
per unit in ``seq`` order, gives every row the next match of each step after it (ordered),
the rows ``k`` places on (strict) or the first match of each step from it on (unordered),
and the next exclusion. The attempts are the entry rows; an ordered attempt follows its
greedy chain by one equality join per step from the third on (the row of step k-1 holds
where step k is). A step counts when it lies within ``entry time + window`` (and its step
window), before the attempt's first exclusion. A window ``row_number`` picks the best one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ibis

from wegweiser.analysis._intervals import interval
from wegweiser.analysis._time import seconds_between
from wegweiser.analysis.filters import matches, property_value

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from wegweiser.analysis._funnel_spec import FunnelStep, Spec

#: above any ``seq`` (2**40 events per person), below 2**63 / (20 * 32 + 20)
_SEQ_BOUND = 2**40


def unit_table(journey: ir.Table, spec: Spec, *, traits: ir.Table | None = None) -> ir.Table:
    """One row per entered unit (see the module docstring)."""
    rows = _with_next(_candidates(journey, spec), spec)
    state = _unordered(rows, spec) if spec.mode == "unordered" else _chain(rows, spec)
    out = _best(_finish(state, spec), spec)
    if spec.breakdown and spec.breakdown.startswith("trait:"):
        out = _with_trait(out, traits, spec.breakdown[len("trait:"):])
    return out


# -- candidates: the step and exclusion rows ------------------------------------------------
def step_matches(t: ir.Table, step: FunnelStep) -> ir.BooleanValue:
    """Whether a row matches ``step``: its event and every filter (NULL: no)."""
    cond = t.event == step.event
    for c in step.tests:
        cond = cond & matches(t, c)
    return cond


def _candidates(journey: ir.Table, spec: Spec) -> ir.Table:
    names = sorted({s.event for s in spec.steps} | set(spec.exclude))
    t = journey.filter(journey.event.isin(names))
    cols: dict[str, Any] = {"u_unit": t.person_id}
    if spec.by == "session":  # the session id implies the person
        cols.update(u_unit=t.session_id, u_person=t.person_id)
    cols.update(u_seq=t.seq, u_ts=t.timestamp)
    for k, step in enumerate(spec.steps):
        cols[f"m{k}"] = step_matches(t, step)
    cols["mx"] = t.event.isin(spec.exclude) if spec.exclude else ibis.literal(False)
    b = spec.breakdown
    if b and b.startswith("property:"):
        cols["u_value"] = property_value(t.properties, b[len("property:"):])
    elif b and not b.startswith("trait:"):
        cols["u_value"] = t[b].cast("string")
    return t.select(**cols)


def _with_next(cand: ir.Table, spec: Spec) -> ir.Table:
    """The candidates with, per row, what finds each step's next match (see the module
    docstring) and ``is_entry`` (the row starts an attempt).

    Ordered and unordered: ``c<k>``, the running count of step k's rows up to and including
    the row (``cx`` for exclusions). The first step-k row after a row is step k's row
    number ``c<k> + 1`` (from a row on: ``c<k> + 1`` minus 1 if the row is one), found by
    an equality join (:func:`_nth`); running counts need one sort and no search. Strict:
    ``f<k>``/``g<k>`` (and ``w<k>``), the seq, time (and value) of the row k places on,
    when that row is step k's match and directly follows.
    """
    w = ibis.window(group_by=cand.u_unit, order_by=cand.u_seq)
    running = ibis.window(group_by=cand.u_unit, order_by=cand.u_seq, rows=(None, 0))
    cols: dict[str, Any] = {}
    if spec.mode == "strict":
        for k in range(1, spec.n):
            cols[f"f{k}"] = ibis.ifelse(
                (cand.u_seq.lead(k).over(w) == cand.u_seq + k) & cand[f"m{k}"].lead(k).over(w),
                cand.u_seq + k, ibis.null("int64"))
            cols[f"g{k}"] = cand.u_ts.lead(k).over(w)
            if "u_value" in cand.columns:
                cols[f"w{k}"] = cand.u_value.lead(k).over(w)
    else:
        for k in range(0 if spec.mode == "unordered" else 1, spec.n):
            cols[f"c{k}"] = ibis.ifelse(cand[f"m{k}"], 1, 0).sum().over(running)
        if spec.exclude:
            cols["cx"] = ibis.ifelse(cand.mx, 1, 0).sum().over(running)
    starts = ibis.or_(*[cand[f"m{k}"] for k in range(spec.n)]) if spec.mode == "unordered" \
        else cand.m0
    if spec.entry == "first":  # the unit's first start: no start before it
        cols["is_entry"] = starts & (ibis.ifelse(starts, 1, 0).sum().over(running) == 1)
    else:
        cols["is_entry"] = starts
    return cand.mutate(**cols)


def _nth(att: ir.Table, rows: ir.Table, flag: str, count: str, want: ir.IntegerValue, *,
         unit: str = "a_unit", **take: str) -> ir.Table:
    """``att`` with columns ``take`` (name: candidate column) of its unit's row number
    ``want`` among the rows where ``flag`` holds (numbered by their running count
    ``count``); NULL when there is no such row."""
    side = rows.filter(rows[flag])
    side = side.select(l_unit=side.u_unit, l_idx=side[count],
                       **{f"l_{name}": side[col] for name, col in take.items()})
    base = att.mutate(l_want=want)
    j = base.left_join(side, (base[unit] == side.l_unit) & (base.l_want == side.l_idx))
    return j.select(*att.columns, **{name: j[f"l_{name}"] for name in take})


def _reached(st: ir.Table, spec: Spec, k: int) -> ir.BooleanValue:
    """Step k was found, within the window and its step window, before the exclusion."""
    ok = st[f"s{k}"].notnull() & (st[f"t{k}"] <= st.e_ts + interval(spec.window))
    if (w := spec.step_windows[k]) is not None:
        ok = ok & (st[f"t{k}"] <= st[f"t{k - 1}"] + interval(w))
    if "x" in st.columns:
        ok = ok & (st.x.isnull() | (st[f"s{k}"] < st.x))
    return ok


def _entries(rows: ir.Table) -> tuple[ir.Table, dict[str, Any]]:
    """The attempts' entry rows and the columns every attempt has."""
    e = rows.filter(rows.is_entry)
    cols: dict[str, Any] = {"a_unit": e.u_unit, "e_seq": e.u_seq, "e_ts": e.u_ts}
    if "cx" in e.columns:
        cols["a_cx"] = e.cx
    if "u_person" in e.columns:
        cols["a_person"] = e.u_person
    if "u_value" in e.columns:
        cols["v_e"] = e.u_value
    return e, cols


def _with_exclusion(att: ir.Table, rows: ir.Table, spec: Spec) -> ir.Table:
    """``x``: the seq of the attempt's first exclusion after its entry (ordered and
    unordered; nothing lies between a strict funnel's consecutive events)."""
    if not spec.exclude or spec.mode == "strict":
        return att
    return _nth(att, rows, "mx", "cx", att.a_cx + 1, x="u_seq")


def _values_needed(spec: Spec) -> set[int]:
    """The steps whose breakdown value the attribution can use."""
    if spec.breakdown is None or spec.breakdown.startswith("trait:"):
        return set()
    if spec.attribution == "first_touch":
        return set()
    k = spec.attributed_step
    return set(range(spec.n)) if k is None else {k}


# -- ordered and strict --------------------------------------------------------------------
def _chain(rows: ir.Table, spec: Spec) -> _State:
    """Strict: step k is the row k places after the entry, read in the window pass.
    Ordered: step 1 is the first step-1 row after the entry; the rest of the chain depends
    on step 1 only, so it is followed once per step-1 row (:func:`_chains`) and joined to
    the entries on that row's number."""
    e, cols = _entries(rows)
    cols.update(s0=e.u_seq, t0=e.u_ts)
    if "u_value" in e.columns:
        cols["v0"] = e.u_value
    if spec.mode == "ordered":
        att = e.select(**cols, a_want=e.c1 + 1)
        chains = _chains(rows, spec)
        j = att.left_join(chains, (att.a_unit == chains.c_unit) & (att.a_want == chains.c_idx))
        att = j.select(*att.columns, *[c for c in chains.columns if not c.startswith("c_")])
    else:
        need = _values_needed(spec)
        for k in range(1, spec.n):
            cols[f"s{k}"], cols[f"t{k}"] = e[f"f{k}"], e[f"g{k}"]
            if k in need:
                cols[f"v{k}"] = e[f"w{k}"]
        att = e.select(**cols)
    att = _with_exclusion(att, rows, spec)
    reached = [ibis.literal(True)]  # a chain stops at the first step not reached
    for k in range(1, spec.n):
        reached.append(reached[-1] & _reached(att, spec, k))
    return _State(att, reached, [att[f"t{k}"] for k in range(spec.n)], att.e_ts)


def _chains(rows: ir.Table, spec: Spec) -> ir.Table:
    """From every step-1 row (its number ``c_idx``): the greedy chain after it, ``s<k>``,
    ``t<k>`` (each step the first match after the previous one: the next row number of
    the step after the previous row's running count), with the values attribution needs."""
    need = _values_needed(spec)
    first = rows.filter(rows.m1)
    cols: dict[str, Any] = {"c_unit": first.u_unit, "c_idx": first.c1, "s1": first.u_seq,
                            "t1": first.u_ts}
    if 1 in need:
        cols["v1"] = first.u_value
    if spec.n > 2:
        cols["c_want"] = first.c2 + 1
    chains = first.select(**cols)
    for k in range(2, spec.n):
        take = {f"s{k}": "u_seq", f"t{k}": "u_ts"}
        if k in need:
            take[f"v{k}"] = "u_value"
        if k + 1 < spec.n:
            take["c_next"] = f"c{k + 1}"
        chains = _nth(chains, rows, f"m{k}", f"c{k}", chains.c_want, unit="c_unit", **take)
        if k + 1 < spec.n:
            chains = chains.mutate(c_want=chains.c_next + 1).drop("c_next")
    return chains


# -- unordered: the first occurrence of every step from the entry on ------------------------
def _unordered(rows: ir.Table, spec: Spec) -> _State:
    e, cols = _entries(rows)
    for k in range(spec.n):  # the first step-k row from the entry on
        cols[f"a_want{k}"] = e[f"c{k}"] - ibis.ifelse(e[f"m{k}"], 1, 0) + 1
    att = e.select(**cols)
    need = _values_needed(spec)
    for k in range(spec.n):
        take = {f"s{k}": "u_seq", f"t{k}": "u_ts"}
        if k in need:
            take[f"v{k}"] = "u_value"
        att = _nth(att, rows, f"m{k}", f"c{k}", att[f"a_want{k}"], **take)
    att = _with_exclusion(att, rows, spec)
    reached = [_reached(att, spec, k) for k in range(spec.n)]
    done = [_latest([att[f"t{i}"] for i in range(k + 1)]) for k in range(spec.n)]
    return _State(att, reached, done, att.e_ts)


def _latest(times: list[ir.TimestampValue]) -> ir.TimestampValue:
    """The latest of ``times`` (NULLs skipped); Spark's ``greatest`` needs two or more."""
    if len(times) == 1:
        return times[0]
    out: ir.TimestampValue = ibis.greatest(*times)
    return out


# -- the common shape ---------------------------------------------------------------------
@dataclass(frozen=True)
class _State:
    """The per-attempt table and expressions over it: per step whether it was reached
    and when the steps up to it were all done; the entry time."""

    table: ir.Table
    reached: list[ir.BooleanValue]
    done: list[ir.TimestampValue]
    entered_at: ir.TimestampValue


def _finish(st: _State, spec: Spec) -> ir.Table:
    """One row per attempt with the output columns (plus ``e_seq``)."""
    n, t = spec.n, st.table
    prefix = list(st.reached[:1])  # steps 0..k all reached (ordered chains already are)
    for k in range(1, n):
        prefix.append(st.reached[k] if spec.mode != "unordered" else prefix[-1] & st.reached[k])
    ones = [ibis.ifelse(p, 1, 0) for p in prefix]
    distinct = [ibis.ifelse(r, 1, 0) for r in st.reached]
    cols: dict[str, Any] = {"person_id": t.a_unit}
    if spec.by == "session":
        cols.update(person_id=t.a_person, session_id=t.a_unit)
    cols["entered_at"] = st.entered_at
    for k in range(n):
        cols[f"done_{k}"] = ibis.ifelse(prefix[k], st.done[k], None)
    cols["n_reached"] = sum(ones[1:], ones[0])
    cols["n_distinct"] = sum(distinct[1:], distinct[0])
    cols["seconds"] = ibis.ifelse(
        prefix[-1], seconds_between(st.entered_at, st.done[-1]), None
    )
    if "v_e" in t.columns:
        cols["value"] = _attributed(st, spec)
    cols["e_seq"] = t.e_seq
    return t.select(**cols)


def _best(attempts: ir.Table, spec: Spec) -> ir.Table:
    """Each unit's best attempt: most steps reached, then most distinct steps, then the
    earliest entry (``entry="first"`` has one attempt per unit). One group-by: every
    column is taken at the maximum of one integer key that orders the attempts so."""
    cols = [c for c in attempts.columns if c != "e_seq"]
    if spec.entry == "first":
        return attempts.select(*cols)
    rank = (attempts.n_reached * 32 + attempts.n_distinct).cast("int64") * _SEQ_BOUND
    key = rank - attempts.e_seq
    unit = "session_id" if spec.by == "session" else "person_id"
    return attempts.group_by(attempts[unit]).agg(
        **{c: attempts[c].argmax(key) for c in cols if c != unit})


def _attributed(st: _State, spec: Spec) -> ir.StringValue:
    t = st.table
    if spec.attribution == "first_touch":
        return t.v_e
    k = spec.attributed_step
    if k is not None:
        return ibis.ifelse(st.reached[k], t[f"v{k}"], None)
    # last touch: the reached step whose event came last (highest seq)
    masked = [ibis.ifelse(r, t[f"s{i}"], -1) for i, r in enumerate(st.reached)]
    last = ibis.greatest(*masked)
    return ibis.cases(
        *[(r & (t[f"s{i}"] == last), t[f"v{i}"]) for i, r in enumerate(st.reached)],
        else_=ibis.null("string"),
    )


def check_traits(traits: ir.Table | None, key: str) -> ir.Table:
    """``traits``, when it has the ``person_id`` and ``key`` columns a trait breakdown
    needs."""
    from wegweiser.errors import InvalidInput

    if traits is None or key not in traits.columns or "person_id" not in traits.columns:
        raise InvalidInput(f"breakdown 'trait:{key}' needs a traits table with person_id and "
                           f"{key!r} columns; pass traits=... (the CLI reads identify traits)")
    return traits


def _with_trait(units: ir.Table, traits: ir.Table | None, key: str) -> ir.Table:
    traits = check_traits(traits, key)
    side = traits.select(t_person=traits.person_id, t_value=traits[key].cast("string"))
    joined = units.left_join(side, units.person_id == side.t_person)
    return joined.mutate(value=joined.t_value).drop("t_person", "t_value")
