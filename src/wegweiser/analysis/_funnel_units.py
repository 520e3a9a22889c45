"""The engine part of funnels: one row per unit that entered (internal).

:func:`unit_table` returns an Ibis expression with one row per entered unit (person, or
session with ``by="session"``) and these columns:

* ``person_id`` (and ``session_id`` for sessions), ``entered_at`` — the entry's time;
* ``done_<k>`` — when the unit completed steps ``0..k`` (NULL when it did not);
* ``n_reached`` — how many funnel rows the unit counts in (steps ``0..n_reached-1`` done);
* ``n_distinct`` — distinct steps done (unordered; equal to ``n_reached`` otherwise);
* ``seconds`` — entry to completion of the last step (NULL unless converted);
* ``value`` — the breakdown value under the chosen attribution (only with a breakdown).

How (hash joins and group-bys only, no window function, so no sort): only rows whose event
is a step or exclusion event are read (the *candidates*), and of those only the rows from the
unit's entry (its lowest-``seq`` matching row) to entry time + window. One group-by per unit
then gives the entry, the first exclusion and the first row of each step's condition:

* strict: step k is the row at entry ``seq`` + k — every step in that one group-by;
* unordered: the first match of every step — also that one group-by;
* ordered: step 1 is the first match after the entry (same group-by); each later step k is
  the first match after step k-1: a join of step k's rows with step k-1's table on the unit
  and ``seq >`` and a group-by (one per step from the third on).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ibis

from wegweiser.analysis._intervals import interval
from wegweiser.analysis._time import seconds_between

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from wegweiser.analysis._funnel_spec import FunnelStep, Spec


def unit_table(journey: ir.Table, spec: Spec, *, traits: ir.Table | None = None) -> ir.Table:
    """One row per entered unit (see the module docstring)."""
    cand = _candidates(journey, spec)
    state = _unordered(cand, spec) if spec.mode == "unordered" else _chain(cand, spec)
    out = _finish(state, spec)
    if spec.breakdown and spec.breakdown.startswith("trait:"):
        out = _with_trait(out, traits, spec.breakdown[len("trait:"):])
    return out


def property_text(properties: ir.StringValue, key: str) -> ir.StringValue:
    """The text of one JSON property: a string's value, else the JSON text (``3``, ``true``)."""
    value = properties.cast("json")[key]
    return value.str.coalesce(value.cast("string"))




# -- candidates: the step and exclusion rows ------------------------------------------------
def _matches(t: ir.Table, step: FunnelStep) -> ir.BooleanValue:
    cond = t.event == step.event
    for key, value in (step.where or {}).items():
        cond = cond & (property_text(t.properties, key) == str(value)).fill_null(False)
    return cond


def _candidates(journey: ir.Table, spec: Spec) -> ir.Table:
    names = sorted({s.event for s in spec.steps} | set(spec.exclude))
    t = journey.filter(journey.event.isin(names))
    cols: dict[str, Any] = {"u_unit": t.person_id}
    if spec.by == "session":  # the session id implies the person
        cols.update(u_unit=t.session_id, u_person=t.person_id)
    cols.update(u_seq=t.seq, u_ts=t.timestamp)
    for k, step in enumerate(spec.steps):
        cols[f"m{k}"] = _matches(t, step)
    cols["mx"] = t.event.isin(spec.exclude) if spec.exclude else ibis.literal(False)
    b = spec.breakdown
    if b and b.startswith("property:"):
        cols["u_value"] = property_text(t.properties, b[len("property:"):])
    elif b and not b.startswith("trait:"):
        cols["u_value"] = t[b].cast("string")
    return t.select(**cols)


def _attempt(cand: ir.Table, flag: ir.BooleanValue, spec: Spec) -> ir.Table:
    """The candidates of the units that entered, from the entry (the unit's first row where
    ``flag`` holds) to entry time + window, with ``e_seq``/``e_ts`` (the entry) and ``u_off``
    (``seq`` minus the entry's). Rows outside can never count."""
    # (an aggregate with where= rather than a filter, so both uses share one scan)
    first = cand.group_by(e_unit=cand.u_unit).agg(
        e_seq=cand.u_seq.min(where=flag), e_ts=cand.u_ts.min(where=flag)
    )
    joined = cand.join(first, [cand.u_unit == first.e_unit, cand.u_seq >= first.e_seq,
                               cand.u_ts <= first.e_ts + interval(spec.window)])
    # (no .drop() here: Ibis 12 then stops sharing this relation as one CTE)
    return joined.mutate(u_off=joined.u_seq - joined.e_seq)


def _per_unit(att: ir.Table, spec: Spec, steps: dict[int, ir.BooleanValue]) -> ir.Table:
    """One row per unit: the entry, the first exclusion after it (``x``) and, for each given
    step, the seq/time/value of the first row where its condition holds."""
    has_value = "u_value" in att.columns
    metrics: dict[str, Any] = {"s_e": att.e_seq.min(), "t_e": att.e_ts.min()}
    if "u_person" in att.columns:
        metrics["u_person"] = att.u_person.min()
    if has_value:
        metrics["v_e"] = att.u_value.argmin(att.u_seq)
    if spec.exclude and spec.mode != "strict":  # nothing lies between consecutive events
        metrics["x"] = att.u_seq.min(where=att.mx)
    for k, cond in steps.items():
        metrics[f"s{k}"] = att.u_seq.min(where=cond)
        metrics[f"t{k}"] = att.u_ts.min(where=cond)
        if has_value:
            metrics[f"v{k}"] = att.u_value.argmin(att.u_seq, where=cond)
    return att.group_by("u_unit").agg(**metrics)


def _reached(state: ir.Table, spec: Spec, k: int) -> ir.BooleanValue:
    """Step k was found, within its step window, before the first exclusion."""
    ok = state[f"s{k}"].notnull()
    if (w := spec.step_windows[k]) is not None:
        ok = ok & (state[f"t{k}"] <= state[f"t{k - 1}"] + interval(w))
    if "x" in state.columns:
        ok = ok & (state.x.isnull() | (state[f"s{k}"] < state.x))
    return ok


# -- ordered and strict --------------------------------------------------------------------
def _chain(cand: ir.Table, spec: Spec) -> _State:
    """Strict: step k is the row at entry seq + k, so one group-by finds every step. Ordered:
    the group-by finds step 1 (the first match after the entry); each later step is the first
    match after the previous one: a join with the previous step's table and a group-by."""
    att = _attempt(cand, cand.m0, spec)
    if spec.mode == "strict":
        steps = {k: att[f"m{k}"] & (att.u_off == k) for k in range(1, spec.n)}
    else:
        steps = {1: att.m1 & (att.u_off > 0)}
    base = _per_unit(att, spec, steps)
    base = base.mutate(s0=base.s_e, t0=base.t_e,
                       **({"v0": base.v_e} if "v_e" in base.columns else {}))
    state, prev, prev_key = base, base, "u_unit"
    for k in range(2, spec.n) if spec.mode == "ordered" else ():
        rows = att.filter(att[f"m{k}"])
        j = rows.join(prev, [rows.u_unit == prev[prev_key], rows.u_seq > prev[f"s{k - 1}"]])
        metrics: dict[str, Any] = {f"s{k}": j.u_seq.min(), f"t{k}": j.u_ts.min()}
        if "u_value" in rows.columns:
            metrics[f"v{k}"] = j.u_value.argmin(j.u_seq)
        prev, prev_key = j.group_by(**{f"l{k}": j.u_unit}).agg(**metrics), f"l{k}"
        state = state.left_join(prev, state.u_unit == prev[prev_key])
    # A chain stops at the first step not reached (missing, too late, or after an exclusion).
    reached = [ibis.literal(True)]
    for k in range(1, spec.n):
        reached.append(reached[-1] & _reached(state, spec, k))
    return _State(state, reached, [state[f"t{k}"] for k in range(spec.n)], state.t0)


# -- unordered: the first occurrence of every step ---------------------------------------
def _unordered(cand: ir.Table, spec: Spec) -> _State:
    att = _attempt(cand, ibis.or_(*[cand[f"m{k}"] for k in range(spec.n)]), spec)
    state = _per_unit(att, spec, {k: att[f"m{k}"] for k in range(spec.n)})
    reached = [_reached(state, spec, k) for k in range(spec.n)]
    done = [_latest([state[f"t{i}"] for i in range(k + 1)]) for k in range(spec.n)]
    return _State(state, reached, done, state.t_e)


def _latest(times: list[ir.TimestampValue]) -> ir.TimestampValue:
    """The latest of ``times`` (NULLs skipped); Spark's ``greatest`` needs two or more."""
    if len(times) == 1:
        return times[0]
    out: ir.TimestampValue = ibis.greatest(*times)
    return out


# -- the common shape ---------------------------------------------------------------------
@dataclass(frozen=True)
class _State:
    """The joined per-unit table and expressions over it: per step whether it was reached
    and when the steps up to it were all done; the entry time."""

    table: ir.Table
    reached: list[ir.BooleanValue]
    done: list[ir.TimestampValue]
    entered_at: ir.TimestampValue


def _finish(st: _State, spec: Spec) -> ir.Table:
    n, t = spec.n, st.table
    prefix = list(st.reached[:1])  # steps 0..k all reached (ordered chains already are)
    for k in range(1, n):
        prefix.append(st.reached[k] if spec.mode != "unordered" else prefix[-1] & st.reached[k])
    ones = [ibis.ifelse(p, 1, 0) for p in prefix]
    distinct = [ibis.ifelse(r, 1, 0) for r in st.reached]
    cols: dict[str, Any] = {"person_id": t.u_unit}
    if spec.by == "session":
        cols.update(person_id=t.u_person, session_id=t.u_unit)
    cols["entered_at"] = st.entered_at
    for k in range(n):
        cols[f"done_{k}"] = ibis.ifelse(prefix[k], st.done[k], None)
    cols["n_reached"] = sum(ones[1:], ones[0])
    cols["n_distinct"] = sum(distinct[1:], distinct[0])
    cols["seconds"] = ibis.ifelse(
        prefix[-1], seconds_between(st.entered_at, st.done[-1]), None
    )
    if "v0" in t.columns or "v_e" in t.columns:
        cols["value"] = _attributed(st, spec)
    return t.select(**cols)


def _attributed(st: _State, spec: Spec) -> ir.StringValue:
    t = st.table
    if spec.attribution == "first_touch":
        return t.v_e if "v_e" in t.columns else t.v0
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


def _with_trait(units: ir.Table, traits: ir.Table | None, key: str) -> ir.Table:
    from wegweiser.errors import InvalidInput

    if traits is None or key not in traits.columns or "person_id" not in traits.columns:
        raise InvalidInput(f"breakdown 'trait:{key}' needs a traits table with person_id and "
                           f"{key!r} columns; pass traits=... (the CLI reads identify traits)")
    side = traits.select(t_person=traits.person_id, t_value=traits[key].cast("string"))
    joined = units.left_join(side, units.person_id == side.t_person)
    return joined.mutate(value=joined.t_value).drop("t_person", "t_value")
