"""How the registry gives an analysis the common parameters of :mod:`.scope` (internal).

:func:`install` extends the analysis's parameter model with :class:`~.scope.Scope` (or
:class:`~.scope.Comparable`) and wraps its compute function: the analysis then runs on the
scoped journey, once per ``by_segment`` segment, and with ``compare_previous`` a second
time on the previous period.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from pydantic import create_model

from wegweiser.analysis import filters
from wegweiser.analysis._names import names_from
from wegweiser.analysis._persona_assign import after_purchase_phases, assign, roster
from wegweiser.analysis.scope import (
    Comparable,
    Scope,
    compare_tables,
    date_range,
    scoped,
    stacked,
    with_table,
)
from wegweiser.analysis.scope import check as check_scope
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Callable

    from wegweiser.analysis.registry import Analysis, Inputs
    from wegweiser.analysis.result import Result


def install(spec: Analysis[Any]) -> None:
    """Extend ``spec`` in place (its model, compute, views) with the common parameters."""
    base = Comparable if spec.compare else Scope
    model = spec.params
    if not issubclass(model, base):
        model = create_model(
            model.__name__,
            __base__=(base, model),
            __module__=model.__module__,
            __doc__=model.__doc__,
        )
    object.__setattr__(spec, "params", model)
    object.__setattr__(spec, "compute", _wrapped(spec, spec.compute))
    own_check = spec.check

    def check(p: Any) -> None:
        check_scope(p)
        if own_check is not None:
            own_check(p)

    object.__setattr__(spec, "check", check)
    if spec.compare:
        object.__setattr__(spec, "views", {**spec.views, "comparison": "comparison"})
        own = spec.view_of

        def view_of(p: Any) -> str | None:
            if p.compare_previous:
                return "comparison"
            return own(p) if own is not None else None

        object.__setattr__(spec, "view_of", view_of)


def _wrapped(
    spec: Analysis[Any], compute: Callable[[Any, Any], Result]
) -> Callable[[Inputs, Any], Result]:
    def run(inputs: Inputs, p: Any) -> Result:
        steps = [c for c in filters.conditions(p.where) if c.step is not None]
        if steps and not spec.step_filters:
            raise InvalidInput(
                f"{spec.name}: {filters.describe(steps[0])!r} names a step; "
                "only funnels have steps, leave out 'stepN:'"
            )
        if p.by_persona:
            if p.by_segment or getattr(p, "compare_previous", False):
                raise InvalidInput(
                    "give one of by_persona, by_segment and compare_previous, not several")
            labels = _persona_labels(inputs)
            once = _Assigned(inputs)  # each person's persona computed once, not per persona
            return stacked(
                {
                    label: _one(spec, compute, once, p.model_copy(
                        update={"where": [*p.where, f"persona={pid}"]}), [])
                    for pid, label in labels
                },
                column="persona",
            )
        if p.by_segment:
            if getattr(p, "compare_previous", False):
                raise InvalidInput("give by_segment or compare_previous, not both")
            return stacked(
                {
                    name: _one(spec, compute, inputs, p, [name])
                    for name in dict.fromkeys(p.by_segment)
                }
            )
        return _one(spec, compute, inputs, p, [])

    return run


class _Assigned:
    """``inputs`` whose persona assignment (:func:`._persona_assign.assign` over the whole
    journey) is computed on first use and then kept, for the runs of one breakdown."""

    def __init__(self, inputs: Inputs) -> None:
        self._inputs = inputs
        self._table: Any = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inputs, name)

    def persona_assignment(self) -> Any:
        if self._table is None:
            import ibis

            from wegweiser.analysis.result import to_frame

            memory = self._inputs.persona_memory()
            expr = assign(self._inputs.journey(), memory,
                          after_phases=after_purchase_phases(self._inputs.config))
            self._table = ibis.memtable(to_frame(expr))
        return self._table


def _persona_labels(inputs: Inputs) -> list[tuple[int, str]]:
    """``(id, name)`` of each remembered persona; a name two personas share gets its id."""
    rows = roster(inputs.persona_memory())
    names = [str(r["name"]) for r in rows]
    return [(int(r["id"]), n if names.count(n) == 1 else f"{n} ({r['id']})")
            for r, n in zip(rows, names, strict=True)]


def _one(
    spec: Analysis[Any],
    compute: Callable[[Any, Any], Result],
    inputs: Inputs,
    p: Any,
    only: list[str],
) -> Result:
    rng = date_range(since=p.since, until=p.until, last=p.last)
    view = scoped(inputs, p, rng=rng, only=only, renumber=spec.renumber)
    narrowed = (
        p.since
        or p.until
        or p.last
        or p.segment
        or only
        or [c for c in filters.conditions(p.where) if c.step is None]
    )
    if not narrowed:
        return compute(view, p)
    with names_from(inputs.journey):  # a step absent from the range counts zero
        result = compute(view, p)
    if narrowed and not view.read:
        raise InvalidInput(
            f"{spec.name} does not read the project's journey with these "
            "options, so since/until/last/where/segment do not apply; leave "
            "them out"
        )
    if getattr(p, "compare_previous", False) and spec.compare is not None:
        previous = rng.previous()
        with names_from(inputs.journey):
            before = compute(scoped(inputs, p, rng=previous, only=only,
                                    renumber=spec.renumber), p)
        table, keys = spec.compare
        if table not in result.tables():
            raise InvalidInput(
                f"compare_previous compares the table {table!r}, which these "
                f"options of {spec.name} do not give; leave one out"
            )
        frame = compare_tables(result.tables()[table], before.tables()[table], keys)
        result = with_table(result, "comparison", frame)
    if not rng.is_open:
        moments = {"range_since": rng.since, "range_until": rng.until}
        result = dataclasses.replace(result, params={**result.params, **moments})
    return result
