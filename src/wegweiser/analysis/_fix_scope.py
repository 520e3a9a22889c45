"""A fix's scope and its comparison group: who the fix touches, and who it cannot have touched.

The **scope** of a fix is the part of the population its touchpoint is limited to: every
condition of the touchpoint that is not on ``event`` (``device=mobile``, ``platform=ios``,
``channel=email``, ``country=DE``, ``property:method=paypal``, ``trait:plan=pro``...). A fix
whose conditions are all on ``event`` has no scope: it touches everyone at the touchpoint.

The **comparison group** is untouched by the fix only if it lies outside the scope. By
default it is the touchpoint's ``event`` conditions with each scope condition negated
(:func:`complement`: ``device=mobile`` -> ``device!=mobile``; with several scope conditions
each one negated, the part of the complement untouched by every one of them). A group given
explicitly must exclude the scope: :func:`overlap` says why it does not when no condition of
the group is disjoint from a condition of the scope on the same field (``device=tablet``
excludes ``device=mobile``; ``channel=email`` does not). The check is on the definitions, so
it holds whatever the data; a group it cannot prove disjoint is refused, with the negation
of the scope as the suggestion.

>>> from wegweiser.analysis import filters
>>> c = filters.parse_many
>>> [filters.describe(x) for x in complement(c(["event=pay", "device=mobile"]))]
['event=pay', 'device!=mobile']
>>> overlap(scope_of(c(["event=pay", "device=mobile"])), c(["event=pay", "device=tablet"]))
>>> overlap(scope_of(c(["event=pay", "device=mobile"])), c(["event=pay", "channel=email"]))[:40]
'the comparison group (event=pay; channel'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wegweiser.analysis import filters

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["NEGATE", "complement", "describe_all", "disjoint", "overlap", "scope_of"]

#: each operator's negation: ``c`` and ``c`` with ``NEGATE[c.op]`` split every value in two
NEGATE = {"=": "!=", "!=": "=", "in": "not in", "not in": "in", "contains": "not contains",
          "not contains": "contains", ">": "<=", "<=": ">", "<": ">=", ">=": "<",
          "is set": "is not set", "is not set": "is set"}
_POSITIVE = {"=", "in", "contains", ">", ">=", "<", "<=", "is set"}  # never match "missing"
_ABOVE, _BELOW = {">", ">="}, {"<", "<="}


def scope_of(where: Sequence[filters.Condition]) -> list[filters.Condition]:
    """The touchpoint's conditions that are not on ``event``: the fix's scope."""
    return [c for c in where if c.field != "event"]


def complement(where: Sequence[filters.Condition]) -> list[filters.Condition]:
    """The default comparison group: ``where``'s ``event`` conditions, each scope condition
    negated; empty when ``where`` has no scope."""
    if not scope_of(where):
        return []
    return [c if c.field == "event" else c.model_copy(update={"op": NEGATE[c.op]})
            for c in where]


def describe_all(conds: Sequence[filters.Condition]) -> str:
    """The conditions' text forms joined by ``; ``."""
    return "; ".join(filters.describe(c) for c in conds)


def _number(c: filters.Condition) -> float:
    return float(c.value)  # type: ignore[arg-type]  # checked numeric by Condition


def _one_sided(a: filters.Condition, b: filters.Condition) -> bool:
    """``a`` rules out every value ``b`` admits, for the operator pairs where that is
    decidable from ``a`` (``b`` any operator)."""
    av, bv = set(a.values), set(b.values)
    if b.op == NEGATE[a.op] and av == bv:
        return True
    if a.op == "is not set":  # matches only the missing value
        return b.op in _POSITIVE
    if a.op in ("=", "in"):
        if b.op in ("=", "in"):
            return not av & bv
        if b.op in ("!=", "not in"):
            return av <= bv
        return b.op == "is not set"
    if a.op in _ABOVE and b.op in _BELOW:  # a: x > / >= u; b: x < / <= v
        u, v = _number(a), _number(b)
        return v < u or (v == u and (a.op == ">" or b.op == "<"))
    return False


def disjoint(a: filters.Condition, b: filters.Condition) -> bool:
    """Whether no event (or person, for a person's field) can match both ``a`` and ``b``:
    only decided for two conditions on the same field and key; ``False`` when unsure."""
    if (a.field, a.key) != (b.field, b.key):
        return False
    return _one_sided(a, b) or _one_sided(b, a)


def overlap(scope: Sequence[filters.Condition],
            control: Sequence[filters.Condition]) -> str | None:
    """Why the comparison group ``control`` can overlap the fix's ``scope`` (a sentence to
    show), or ``None`` when some condition of ``control`` excludes the scope."""
    if not control:
        return None
    if not scope:
        return ("the fix has no scope (its touchpoint's conditions are all on event), so it "
                "touches everyone there and no comparison group is untouched: add the part "
                "of the population it changed to the touchpoint's conditions (e.g. "
                "device=mobile), or leave the comparison group out (the check then uses the "
                "interrupted time series)")
    if any(disjoint(s, c) for s in scope for c in control):
        return None
    hint = filters.describe(scope[0].model_copy(update={"op": NEGATE[scope[0].op]}))
    return (f"the comparison group ({describe_all(control)}) can overlap the fix's scope "
            f"({describe_all(scope)}): none of its conditions excludes the scope, so persons "
            f"the fix touched could count as untouched. Give it a condition that rules the "
            f"scope out, e.g. {hint!r}, or leave it out (default: the scope negated)")
