"""One filter model for every analysis and face: conditions on the journey, compiled to Ibis.

A :class:`Condition` tests one **field** with one **operator**:

* fields: the journey columns ``event``, ``channel``, ``campaign``, ``source``, ``medium``,
  ``device``, ``platform``, ``country``, ``phase`` (text) and ``revenue`` (a number);
  ``property:KEY`` — the event's property ``KEY``; ``trait:KEY`` — the person's latest
  ``identify`` trait ``KEY``; ``persona`` — the person's persona from the remembered fit
  (``wegweiser personas``; :mod:`wegweiser.analysis._persona_assign`), named by its id or
  its name (English or German, any case), with ``=``, ``!=``, ``in``, ``not in``, ``is set``
  (persons with too few events for a persona have none); ``score:MODEL`` — the person's
  stored score of ``MODEL`` (``propensity``, ``churn``; ``wegweiser scores refit``), a
  number: ``score:churn>0.7`` (persons never scored have none). A key is a **key, never a
  path**: ``property:a.b`` reads the property named ``a.b``, not ``b`` inside ``a``; quotes
  and backslashes are plain characters.
* operators: ``=``, ``!=``, ``in``, ``not in``, ``contains``, ``not contains`` (text,
  case-sensitive), ``>``, ``>=``, ``<``, ``<=`` (numbers), ``is set``, ``is not set``.
* values are compared as text: a string property by its value, a number or boolean by its
  JSON text (``plan=3`` matches ``{"plan": 3}``); ``>``/``<`` compare numbers (a value that
  is not a number never matches). A missing value (no such key, JSON ``null``, a NULL
  column) matches only ``!=``, ``not in``, ``not contains`` and ``is not set``.

Event fields keep the events that match; ``trait:``, ``score:`` and ``persona`` conditions keep all
events of the persons whose trait or persona matches. Several conditions must all hold (AND).

**The text form** (CLI ``--where``, the dashboard, the API's strings)::

    condition := [ "step" N ":" ] field operator value
    field     := NAME | ("property" | "trait") ":" KEY
    KEY       := bare | quoted        bare: no blanks and none of = ! < > "
    quoted    := '"' ... '"'          inside: \\" for a quote, \\\\ for a backslash
    value     := the rest (trimmed) or a quoted text; for in/not in: items split at commas,
                 each bare or quoted

``step N:`` scopes a condition to one step of a funnel; there a bare unknown name is an
event property (``step2:plan=pro``, the funnel's older form). The JSON form is the object
``{"field": "property", "key": "a.b", "op": "=", "value": "x"}`` (``value``: a text, a
number or a list of texts; none for ``is set``).

>>> parse("country=DE")
Condition(field='country', key=None, op='=', value='DE', step=None)
>>> parse('property:"say \\\\"hi\\\\""  in a, "b,c"').value
['a', 'b,c']
>>> parse("step2:plan=pro").key
'plan'
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal, get_args

import ibis
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import ibis.expr.types as ir

__all__ = [
    "COLUMNS",
    "OPERATORS",
    "Condition",
    "apply",
    "conditions",
    "describe",
    "matches",
    "parse",
    "parse_many",
    "property_value",
    "trimmed",
]

TEXT_COLUMNS: tuple[str, ...] = (
    "event",
    "channel",
    "campaign",
    "source",
    "medium",
    "device",
    "platform",
    "country",
    "phase",
)
NUMBER_COLUMNS: tuple[str, ...] = ("revenue",)
COLUMNS = TEXT_COLUMNS + NUMBER_COLUMNS
KEYED = ("property", "trait", "score")
#: fields of the person rather than the event (all their events are kept or left out)
PERSON_FIELDS = ("persona",)
_PERSONA_OPS = ("=", "!=", "in", "not in", "is set", "is not set")
_PERSONA_KEY = "\x00persona"  # its column among the trait columns (no trait key is so)
Op = Literal[
    "=",
    "!=",
    "in",
    "not in",
    "contains",
    "not contains",
    ">",
    ">=",
    "<",
    "<=",
    "is set",
    "is not set",
]
OPERATORS: tuple[str, ...] = get_args(Op)
_NEGATED = {"!=", "not in", "not contains"}
_NUMERIC = {">", ">=", "<", "<="}
_SYMBOLS = ("!=", ">=", "<=", "=", ">", "<")
_WORDS = ("not contains", "is not set", "not in", "contains", "is set", "in")
_BARE_STOP = set(' \t=!<>"')
_STEP = re.compile(r"(?:step)?(\d{1,2}):")
MAX_VALUES = 1000


class ConditionShape(BaseModel):
    """The fields of a :class:`Condition` without the checks of how they fit together: what
    a request may carry (the JSON schema); :func:`conditions` checks it at run time, so a
    condition whose fields do not fit is a 400 with the reason, not a schema error."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    field: Literal[
        "event",
        "channel",
        "campaign",
        "source",
        "medium",
        "device",
        "platform",
        "country",
        "phase",
        "revenue",
        "property",
        "trait",
        "persona",
        "score",
    ] = Field(description="A journey column, property/trait/score with a key, or persona.")
    key: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="The property or trait key (a key, not a path).",
    )
    op: Op = Field("=", description="The operator.")
    value: str | float | list[str] | None = Field(
        None, description="A text, a number, or a list of texts for in/not in."
    )
    step: int | None = Field(
        None, ge=1, le=20, description="Only for this funnel step (funnels only)."
    )



class Condition(ConditionShape):
    """One condition (see the module docstring); the JSON form of the API."""

    @model_validator(mode="after")
    def _check(self) -> Condition:
        where = f"condition {describe(self)!r}"
        if (self.field in KEYED) != (self.key is not None):
            raise ValueError(f"{where}: property, trait and score need a key, other fields none")
        if self.field == "persona" and self.op not in _PERSONA_OPS:
            raise ValueError(f"{where}: a persona takes {', '.join(_PERSONA_OPS)}")
        if self.op in ("is set", "is not set"):
            if self.value is not None:
                raise ValueError(f"{where}: '{self.op}' takes no value")
            return self
        if self.value is None:
            raise ValueError(f"{where}: give a value")
        if self.op in ("in", "not in"):
            if not isinstance(self.value, list) or not self.value:
                raise ValueError(f"{where}: '{self.op}' takes a list of values")
            if len(self.value) > MAX_VALUES:
                raise ValueError(f"{where}: at most {MAX_VALUES} values")
        elif isinstance(self.value, list):
            raise ValueError(f"{where}: a list of values needs 'in' or 'not in'")
        if self.op in _NUMERIC or self.field in NUMBER_COLUMNS:
            try:
                float(self.value)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise ValueError(
                    f"{where}: '{self.op}' on {self.field} needs a number, not {self.value!r}"
                ) from None
        return self

    @property
    def values(self) -> list[str]:
        """The value(s) as texts (numbers by their shortest text: 3.0 -> "3")."""
        raw = self.value if isinstance(self.value, list) else [self.value]
        return [_text(v) for v in raw if v is not None]


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def describe(c: Condition) -> str:
    """The text form of a condition (parses back to the same condition)."""
    name = c.field if c.key is None else f"{c.field}:{_quote_key(c.key)}"
    step = f"step{c.step}:" if c.step is not None else ""
    if c.value is None:
        return f"{step}{name} {c.op}"
    if isinstance(c.value, list):
        shown = ",".join(_quote_item(v) for v in c.value)
    else:
        shown = _quote_item(_text(c.value), comma=False)
    spaced = f" {c.op} " if c.op[0].isalpha() else c.op
    return f"{step}{name}{spaced}{shown}"


def _quote_key(key: str) -> str:
    if key and not any(ch in _BARE_STOP for ch in key) and key[0] != "\\":
        return key
    return '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _quote_item(value: str, *, comma: bool = True) -> str:
    plain = (
        value == value.strip()
        and value
        and not value.startswith('"')
        and (not comma or "," not in value)
    )
    return value if plain else '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


# -- the text form ---------------------------------------------------------------------------
class _Reader:
    def __init__(self, text: str) -> None:
        self.text, self.i = text, 0

    def fail(self, message: str) -> InvalidInput:
        pointer = " " * self.i + "^"
        return InvalidInput(
            f"cannot read the condition {self.text!r} at position {self.i + 1}: "
            f"{message}\n  {self.text}\n  {pointer}\n"
            "write e.g. country=DE, 'trait:plan in pro,team' or property:\"a.b\"=1 "
            "(docs/analyses.md, Filters)"
        )

    def blanks(self) -> None:
        while self.i < len(self.text) and self.text[self.i] in " \t":
            self.i += 1

    def at_end(self) -> bool:
        return self.i >= len(self.text)

    def quoted(self) -> str:
        assert self.text[self.i] == '"'
        start, self.i, out = self.i, self.i + 1, []
        while self.i < len(self.text):
            ch = self.text[self.i]
            if ch == "\\" and self.i + 1 < len(self.text):
                out.append(self.text[self.i + 1])
                self.i += 2
            elif ch == '"':
                self.i += 1
                return "".join(out)
            else:
                out.append(ch)
                self.i += 1
        self.i = start
        raise self.fail("this quote is never closed")

    def bare(self, stop: set[str]) -> str:
        start = self.i
        while self.i < len(self.text) and self.text[self.i] not in stop:
            self.i += 1
        return self.text[start : self.i]

    def operator(self) -> str:
        rest = self.text[self.i :]
        for symbol in _SYMBOLS:
            if rest.startswith(symbol):
                self.i += len(symbol)
                return symbol
        lowered = " ".join(rest.lower().split())
        for word in _WORDS:
            if lowered == word or lowered.startswith(word + " "):
                for _ in word.split():  # step over each word and the blanks after it
                    self.blanks()
                    self.i += len(self.bare(set(" \t")))
                return word
        raise self.fail(f"expected an operator ({', '.join(OPERATORS)})")


def parse(text: str) -> Condition:
    """One condition from its text form; a mistake raises :class:`InvalidInput` with the
    position."""
    r = _Reader(text)
    r.blanks()
    step = None
    if (m := _STEP.match(text, r.i)) is not None:
        step, r.i = int(m.group(1)), m.end()
        r.blanks()
    start = r.i
    if r.at_end():
        raise r.fail("expected a field (country, property:KEY, trait:KEY, ...)")
    name = r.bare(_BARE_STOP | {":"})
    key: str | None = None
    if name in KEYED and not r.at_end() and text[r.i] == ":":
        r.i += 1
        if r.at_end():
            raise r.fail(f"name the key after '{name}:'")
        key = r.quoted() if text[r.i] == '"' else r.bare(_BARE_STOP)
        if not key:
            raise r.fail(f"name the key after '{name}:'")
        field = name
    elif name in (*COLUMNS, *PERSON_FIELDS) and (r.at_end() or text[r.i] != ":"):
        field = name
    elif step is not None and name:  # step2:plan=pro: an event property
        r.i = start
        key, field = r.bare(_BARE_STOP), "property"
    else:
        r.i = start
        raise r.fail(
            f"unknown field {(name or text[start : start + 1])!r}; use one of "
            f"{', '.join(COLUMNS)}, property:KEY (an event property), trait:KEY "
            "(a person trait), score:MODEL (a stored score) or persona"
        )
    r.blanks()
    at = r.i
    op = r.operator()
    r.blanks()
    value: Any = None
    if op in ("is set", "is not set"):
        if not r.at_end():
            raise r.fail(f"'{op}' takes no value")
    elif op in ("in", "not in"):
        value = _items(r)
    elif r.at_end():
        raise r.fail("expected a value")
    elif text[r.i] == '"':
        value = r.quoted()
        r.blanks()
        if not r.at_end():
            raise r.fail("unexpected text after the quoted value")
    else:
        value = text[r.i :].strip()
    try:
        return Condition(field=field, key=key, op=op, value=value, step=step)  # type: ignore[arg-type]
    except ValidationError as exc:
        r.i = at
        message = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
        raise r.fail(message.split(": ", 1)[-1]) from None


def _items(r: _Reader) -> list[str]:
    items: list[str] = []
    while True:
        r.blanks()
        if r.at_end():
            raise r.fail("expected a value")
        if r.text[r.i] == '"':
            items.append(r.quoted())
            r.blanks()
        else:
            items.append(r.bare({","}).strip())
        if r.at_end():
            return items
        if r.text[r.i] != ",":
            raise r.fail("expected a comma between values")
        r.i += 1


def parse_many(
    items: Sequence[str | ConditionShape | dict[str, Any]],
) -> list[Condition]:
    """Conditions from texts, objects or :class:`Condition` (the API takes all three)."""
    out = []
    for item in items:
        if isinstance(item, Condition):
            out.append(item)
        elif isinstance(item, str):
            out.append(parse(item))
        else:
            raw = item.model_dump() if isinstance(item, ConditionShape) else item
            try:
                out.append(Condition.model_validate(raw))
            except ValidationError as exc:
                problems = "; ".join(str(e["msg"]).removeprefix("Value error, ")
                                     for e in exc.errors())
                raise InvalidInput(problems) from None
    return out


def conditions(value: Any) -> list[Condition]:
    """A ``where`` parameter (texts or objects) as conditions (pydantic validator)."""
    if value is None:
        return []
    return parse_many(value if isinstance(value, list) else [value])


# -- compiling to Ibis ----------------------------------------------------------------------
def trimmed(text: ir.StringValue) -> ir.StringValue:
    """``text`` without leading and trailing whitespace, the same on every engine.

    Not Ibis's ``strip()``: on Spark it compiles to ``TRIM(' \\t\\n\\r\\v\\f' FROM x)``,
    and Spark reads ``\\v`` and ``\\f`` as the letters, so ``"video"`` became ``"ideo"``.

    >>> import ibis
    >>> t = ibis.memtable({"x": [" video ", "\\tfoo\\n", None]})
    >>> t.select(y=trimmed(t.x)).to_pyarrow()["y"].to_pylist()
    ['video', 'foo', None]
    """
    return text.re_replace(r"^\s+|\s+$", "")


def property_value(json_text: ir.Value, key: str) -> ir.StringValue:
    """The value of the top-level key ``key`` of a JSON object held as text: a string by its
    value, a number or boolean by its JSON text, an object or array as JSON text; NULL when
    the key is missing or its value is JSON ``null``. ``key`` is a key (a JSON pointer with
    one token, RFC 6901), never a path: ``a.b``, quotes and backslashes are plain."""
    pointer = "/" + key.replace("~", "~0").replace("/", "~1")
    value = json_text.cast("json")[pointer]
    text: ir.StringValue = value.str.coalesce(value.cast("string").nullif("null"))
    return text


def _field(t: ir.Table, c: Condition, trait: str | None) -> ir.Value:
    if c.field == "property":
        assert c.key is not None
        return property_value(t.properties, c.key)
    if c.field in ("trait", "score", *PERSON_FIELDS):
        assert trait is not None
        return t[trait]
    return t[c.field]


def matches(t: ir.Table, c: Condition, *, trait: str | None = None) -> ir.BooleanValue:
    """Whether a row of ``t`` (journey rows; ``trait`` names the column holding the
    person's trait for ``trait:`` conditions) satisfies ``c``: never NULL."""
    value = _field(t, c, trait)
    if c.op == "is set":
        return value.notnull()
    if c.op == "is not set":
        return value.isnull()
    texts = c.values
    numeric = c.op in _NUMERIC or c.field in NUMBER_COLUMNS
    if numeric:
        number = value.cast("float64") if c.field in NUMBER_COLUMNS else value.try_cast("float64")
        x = float(texts[0]) if texts else 0.0
        test: Any = {
            "=": lambda v: v == x,
            "!=": lambda v: v != x,
            ">": lambda v: v > x,
            ">=": lambda v: v >= x,
            "<": lambda v: v < x,
            "<=": lambda v: v <= x,
            "in": lambda v: v.isin([float(s) for s in texts]),
            "not in": lambda v: ~v.isin([float(s) for s in texts]),
        }.get(c.op)
        if test is None:
            raise InvalidInput(
                f"condition {describe(c)!r}: '{c.op}' does not apply to a "
                "number; use =, !=, in, not in, >, >=, <, <="
            )
        out = test(number)
    else:
        s = value.cast("string")
        if c.op in ("=", "!="):
            out = s == texts[0]
        elif c.op in ("in", "not in"):
            out = s.isin(texts)
        else:
            out = s.contains(texts[0])
        if c.op in _NEGATED:
            out = ~out
    if c.op in _NEGATED:
        return out.fill_null(True)
    result: ir.BooleanValue = out.fill_null(False)
    return result


def apply(
    journey: ir.Table,
    conds: Sequence[Condition],
    traits: Callable[[str], ir.Table] | None = None,
    *,
    personas: Callable[[Sequence[str]], tuple[ir.Table, list[str]]] | None = None,
    scores: Callable[[str], ir.Table] | None = None,
) -> ir.Table:
    """The rows of ``journey`` that satisfy every condition (step-scoped ones refused);
    ``traits(key)`` gives ``(person_id, <key>)`` for ``trait:`` conditions,
    ``personas(values)`` the table ``(person_id, persona)`` and the persona ids that the
    values name (:mod:`wegweiser.analysis._persona_assign`) for ``persona`` conditions,
    ``scores(model)`` the table ``(person_id, score)`` for ``score:`` conditions."""
    if not conds:
        return journey
    t = journey
    columns: dict[str, str] = {}
    resolved: list[Condition] = []
    for c in conds:
        if c.field == "persona" and c.step is None:
            if personas is None:
                raise InvalidInput(f"condition {describe(c)!r}: personas need a project")
            side, ids = personas(c.values)
            if _PERSONA_KEY not in columns:
                side = side.select(_pp=side.person_id, _persona=side.persona.cast("string"))
                t = t.left_join(side, t.person_id == side._pp).drop("_pp")
                columns[_PERSONA_KEY] = "_persona"
            value: Any = ids if isinstance(c.value, list) else (ids[0] if ids else None)
            c = c.model_copy(update={"value": value, "key": _PERSONA_KEY})
        elif c.field == "score" and c.step is None:
            if scores is None:
                raise InvalidInput(f"condition {describe(c)!r}: scores need a project")
            key = f"\x00score:{c.key}"
            if key not in columns:
                assert c.key is not None
                name = f"_score_{len(columns)}"
                side = scores(c.key)
                side = side.select(_sp=side.person_id, **{name: side.score.cast("float64")})
                t = t.left_join(side, t.person_id == side._sp).drop("_sp")
                columns[key] = name
            c = c.model_copy(update={"key": key})
        resolved.append(c)
    conds = resolved
    for c in conds:
        if c.step is not None:
            raise InvalidInput(
                f"condition {describe(c)!r}: 'step{c.step}:' applies to a funnel step only"
            )
        if c.field == "trait" and c.key not in columns:
            if traits is None:
                raise InvalidInput(f"condition {describe(c)!r}: person traits need a project")
            assert c.key is not None
            name = f"_trait_{len(columns)}"
            side = traits(c.key)
            side = side.select(_tp=side.person_id, **{name: side[c.key].cast("string")})
            t = t.left_join(side, t.person_id == side._tp).drop("_tp")
            columns[c.key] = name
    cond = ibis.and_(*[matches(t, c, trait=columns.get(c.key or "")) for c in conds])
    return t.filter(cond).select(*journey.columns)
