"""The path pattern language of :func:`wegweiser.analysis.paths.match_pattern`.

A pattern is a list of steps separated by ``->``; each step is one of

* ``name`` or a glob (``checkout_*``, ``?`` = one character): exactly one event matching it;
* ``[a,b]``: one event matching any of the listed names/globs; ``[^a,b]``: one event matching
  none of them; ``.``: any one event;
* ``*``: any number (also none) of any events; ``[...]*`` / ``.*``: any number of events of
  that kind; ``[...]+`` / ``.+``: one or more.

A ``^`` before the first step ties the match to the unit's first step, a ``$`` after the last
step to its last step. Example: ``add_to_cart -> [^support_*]* -> order_completed``.

A unit matches when its steps contain a consecutive run that fits the pattern. The *first
match* starts at the earliest step where a match can start; from there every repeated step
takes as few events as it can, from left to right (lazy, leftmost-first, as in Perl).

How it runs: each event gets one character that encodes which of the pattern's names it
matches (bit *i* set = matches name *i*), each unit's characters are concatenated in step
order (:func:`ordered_codes`, the one ordered aggregation of the path analyses) and the
pattern, compiled into a regular expression over those characters, runs in the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import ibis

from wegweiser.analysis._paths_steps import check_pattern, name_matches
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    import ibis.expr.types as ir

MAX_NAMES = 12
"""Most distinct names/globs in one pattern (the alphabet has 2**MAX_NAMES characters)."""
_BASE = 0x4E00  # a run of 20,992 letters that need no escaping in RE2 or Java classes


@dataclass(frozen=True)
class Token:
    """One step: ``names`` (globs), ``negate`` ([^...]), ``any`` (.), ``repeat`` ('', *, +)."""

    names: tuple[str, ...] = ()
    negate: bool = False
    any: bool = False
    repeat: str = ""


@dataclass(frozen=True)
class Pattern:
    text: str
    tokens: tuple[Token, ...]
    anchor_start: bool
    anchor_end: bool

    @property
    def names(self) -> tuple[str, ...]:
        """The distinct names/globs of the pattern, in order of appearance."""
        return tuple(dict.fromkeys(n for t in self.tokens for n in t.names))


def parse_pattern(text: str) -> Pattern:
    """Parse a pattern; :class:`InvalidInput` says what is wrong.

    >>> p = parse_pattern("^add_to_cart -> [^support]* -> order_completed")
    >>> p.anchor_start, [t.repeat for t in p.tokens], p.names
    (True, ['', '*', ''], ('add_to_cart', 'support', 'order_completed'))
    """
    hint = "write steps like: add_to_cart -> [^support]* -> order_completed"
    source = (text or "").strip()
    anchor_start = source.startswith("^")
    anchor_end = source.endswith("$")
    source = source[1 if anchor_start else 0: -1 if anchor_end else None]
    parts = [p.strip() for p in source.split("->")]
    if not source.strip() or any(not p for p in parts):
        raise InvalidInput(f"pattern {text!r} has an empty step; {hint}")
    tokens = tuple(_token(p, text, hint) for p in parts)
    if all(t.repeat == "*" for t in tokens):
        raise InvalidInput(f"pattern {text!r} matches no event by itself; add a step that "
                           f"must occur (a name, [a,b] or .); {hint}")
    pattern = Pattern(text, tokens, anchor_start, anchor_end)
    if len(pattern.names) > MAX_NAMES:
        raise InvalidInput(f"pattern {text!r} names {len(pattern.names)} different events; "
                           f"at most {MAX_NAMES} are supported: group events with --group")
    return pattern


def _token(part: str, text: str, hint: str) -> Token:
    if part == "*":
        return Token(any=True, repeat="*")
    repeat = ""
    body = part
    if part[-1] in "*+" and (part[:-1] == "." or part[:-1].endswith("]")):
        repeat, body = part[-1], part[:-1]
    if body == ".":
        return Token(any=True, repeat=repeat)
    if body.startswith("["):
        if not body.endswith("]"):
            raise InvalidInput(f"pattern {text!r}: step {part!r} misses its closing ]; {hint}")
        inner = body[1:-1].strip()
        negate = inner.startswith("^")
        names = tuple(n.strip() for n in inner[1 if negate else 0:].split(","))
        if not names or any(not n for n in names):
            raise InvalidInput(f"pattern {text!r}: step {part!r} has an empty name; {hint}")
        for n in names:
            _check_name(n, text, hint)
        return Token(names=names, negate=negate, repeat=repeat)
    _check_name(body, text, hint)
    return Token(names=(body,))


def _check_name(name: str, text: str, hint: str) -> None:
    if any(c in name for c in "[]^$") or name.startswith("re:") or "->" in name:
        raise InvalidInput(f"pattern {text!r}: {name!r} is not an event name or glob; {hint}")
    check_pattern(name, what="pattern step")


def _char(code: int) -> str:
    return chr(_BASE + code)


def _klass(codes: list[int]) -> str:
    """A regex character class for the characters of ``codes`` (sorted runs as ranges)."""
    parts: list[str] = []
    i = 0
    while i < len(codes):
        j = i
        while j + 1 < len(codes) and codes[j + 1] == codes[j] + 1:
            j += 1
        parts.append(_char(codes[i]) if i == j else f"{_char(codes[i])}-{_char(codes[j])}")
        i = j + 1
    return "[" + "".join(parts) + "]"


def pattern_regex(pattern: Pattern) -> str:
    """The regex over event codes: group 1 = steps before the first match, group 2 = it."""
    names = pattern.names
    index = {n: i for i, n in enumerate(names)}
    size = 1 << len(names)
    pieces: list[str] = []
    for token in pattern.tokens:
        if token.any:
            atom = "."
        else:
            mask = sum(1 << index[n] for n in token.names)
            codes = [c for c in range(size) if bool(c & mask) != token.negate]
            atom = _klass(codes)
        pieces.append(atom + ("" if not token.repeat else token.repeat + "?"))
    prefix = "^()" if pattern.anchor_start else "^(.*?)"
    return prefix + "(" + "".join(pieces) + ")" + ("$" if pattern.anchor_end else "")


def event_code(event: ir.StringValue, pattern: Pattern) -> ir.StringValue:
    """One character per event: which of the pattern's names it matches, as bits."""
    names = pattern.names
    code: ir.IntegerValue = ibis.literal(0)
    for i, name in enumerate(names):
        code = code + ibis.ifelse(name_matches(event, name), 1 << i, 0)
    alphabet = "".join(_char(c) for c in range(1 << len(names)))
    return ibis.literal(alphabet).substr(code, 1)


def ordered_codes(steps: ir.Table, code: ir.StringValue) -> ir.Table:
    """Per unit: ``codes`` (the characters in step order, as one string) and ``stamps`` (the
    timestamps in step order, an array).

    The only ordered aggregation of the path analyses, written in the portable form (collect
    ``(step, value)`` structs, sort the array, map to the value); a backend with ordered
    ``collect``/``group_concat`` may replace this one function.
    """
    t = steps.mutate(code=code)
    items = ibis.struct({"step": t.step, "code": t.code, "ts": t.timestamp})
    per_unit = t.group_by("unit_id", "person_id").agg(items=items.collect())
    ordered = per_unit.items.sort()
    return per_unit.select(
        "unit_id", "person_id",
        codes=ordered.map(lambda x: x.code).join(""),
        stamps=ordered.map(lambda x: x.ts),
    )


def first_matches(steps: ir.Table, pattern: Pattern) -> ir.Table:
    """Units whose steps match: ``unit_id``, ``person_id``, ``start_step``, ``end_step``,
    ``start_timestamp``, ``end_timestamp`` of the first match, and ``n_units`` (all units,
    matching or not)."""
    regex = pattern_regex(pattern)
    units = ordered_codes(steps, event_code(steps.event, pattern))
    units = units.mutate(n_units=units.unit_id.count().over(ibis.window()))
    hits = units.filter(units.codes.re_search(regex))
    hits = hits.mutate(
        before=hits.codes.re_extract(regex, 1).length(),
        size=hits.codes.re_extract(regex, 2).length(),
    )
    return hits.select(
        "unit_id", "person_id",
        start_step=(hits.before + 1).cast("int64"),
        end_step=(hits.before + hits.size).cast("int64"),
        start_timestamp=hits.stamps[hits.before],
        end_timestamp=hits.stamps[hits.before + hits.size - 1],
        n_units=hits.n_units,
    )


def describe(pattern: Pattern) -> str:
    """The pattern written back in its normal form.

    >>> describe(parse_pattern("a->[ ^b , c ]*->  d$"))
    'a -> [^b,c]* -> d$'
    """
    steps = []
    for t in pattern.tokens:
        if t.any:
            steps.append("*" if t.repeat == "*" else "." + t.repeat)
        elif len(t.names) == 1 and not t.negate and not t.repeat:
            steps.append(t.names[0])
        else:
            steps.append("[" + ("^" if t.negate else "") + ",".join(t.names) + "]" + t.repeat)
    return ("^" if pattern.anchor_start else "") + " -> ".join(steps) + (
        "$" if pattern.anchor_end else "")
