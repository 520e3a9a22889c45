"""What every analysis's parameter model shares: types, JSON conventions, parsing.

Parameter models are the single source of an analysis's options: the CLI makes one option
per field (``--lookback-days`` for ``lookback_days``), the query API takes them as the JSON
body, the dashboard as a form. Conventions:

* **Lists** are JSON arrays; a comma-separated text (the CLI's form) is accepted too:
  ``"steps": ["a", "b"]`` or ``"steps": "a,b"``.
* **Durations** are texts with a unit: ``"45s"``, ``"30m"``, ``"1h30m"``, ``"7d"``, ``"2w"``
  (a bare number is refused rather than guessed).
* **Moments** (``as_of``) are ISO dates or date-times; a date means the end of that day (UTC).
* Unknown fields are refused, so a typo never silently falls back to a default.

>>> duration("1h30m")
Timedelta('0 days 01:30:00')
>>> parse_moment("2026-10-31").isoformat()
'2026-10-31T23:59:59.999999+00:00'
"""

from __future__ import annotations

import re
import types
import typing
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import pandas as pd
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

from wegweiser.errors import InvalidInput

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str, *, what: str = "duration") -> timedelta:
    """``"30m"``, ``"1h30m"``, ``"1.5h"``, ``"2d"``, ``"2w"``, ``"45s"`` as a timedelta; a
    unit is required (``"30"`` is refused rather than guessed).

    >>> parse_duration("1h30m"), parse_duration("1d12h")
    (datetime.timedelta(seconds=5400), datetime.timedelta(days=1, seconds=43200))
    """
    raw = text.strip().lower().replace(" ", "")
    parts = re.findall(r"(\d+(?:\.\d+)?)([smhdw])", raw)
    if not parts or "".join(n + u for n, u in parts) != raw:
        raise InvalidInput(
            f"cannot read {what} {text!r}; write it like 30m, 1h30m, 2d or 45s"
        )
    return timedelta(**{_UNITS[u]: float(n) for n, u in parts})


def parse_moment(text: str, *, what: str = "as_of") -> datetime:
    """An ISO date or date-time; a bare date means the end of that day (UTC); a time without
    a zone is UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"cannot read {what} {text!r}; write a date like 2026-10-31 or a time like "
            "2026-10-31T18:00:00Z"
        ) from None
    try:
        if len(text.strip()) == 10:
            moment += timedelta(days=1, microseconds=-1)
    except OverflowError:
        raise InvalidInput(f"{what} {text!r} is out of range; use a date like 2026-10-31") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


DURATION_PATTERN = r"^(\d{1,6}(\.\d{1,6})?[smhdw]){1,6}$"
_SPAN = r"(\d{1,6}(\.\d{1,6})?[smhdw]){1,6}"
# Documented in the schema (and used by fuzzers); the analyses check them with the CLI's
# messages (400), so these stay hints rather than 422s.
# (empty: no step windows, as when left out)
STEP_WINDOW_PATTERN = rf"^$|^(step)?\d{{1,2}}:{_SPAN}(,(step)?\d{{1,2}}:{_SPAN})*$"
WHERE_PATTERN = r"^(step)?\d{1,2}:[^=]+=.*$"
GROUP_PATTERN = r"^.+=.+$"
ATTRIBUTION_PATTERN = r"^(first_touch|last_touch|step:\d{1,2})$"
BREAKDOWN_PATTERN = (
    r"^(channel|campaign|source|medium|device|platform|country|phase"
    r"|property:.+|trait:.+)$"
)
MAX_DAYS = 36_600  # a century: longer windows overflow timestamps
MAX_BOOTSTRAP = 200  # a request should not hold the store for minutes


def split(value: Any) -> Any:
    """``"a, b"`` -> ``["a", "b"]`` (the CLI's comma lists); anything else unchanged."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _duration(text: str) -> str:
    """The form of a duration (its length is checked by :func:`duration`, a 400: the
    schema's pattern cannot say how long is too long)."""
    try:
        parse_duration(text, what="duration")
    except InvalidInput as exc:
        raise ValueError(str(exc)) from None
    except OverflowError:
        pass
    return text


def duration(text: str | None) -> timedelta | None:
    """A checked duration text as a timedelta (None stays None); longer than
    :data:`MAX_DAYS` is refused with :class:`InvalidInput`.

    A :class:`pandas.Timedelta`: Ibis cannot make a literal of a plain ``timedelta`` of
    zero or of mixed units (``1d1s``), but can of this subclass.
    """
    if text is None:
        return None
    try:
        span = parse_duration(text)
    except OverflowError:
        span = timedelta.max
    if span > timedelta(days=MAX_DAYS):
        raise InvalidInput(f"duration {text!r} is too long; use at most {MAX_DAYS}d")
    return pd.Timedelta(span)


Duration = Annotated[
    str,
    Field(max_length=64, json_schema_extra={"pattern": DURATION_PATTERN}, examples=["30m", "7d"]),
    AfterValidator(_duration),
]
Name = Annotated[str, Field(min_length=1, max_length=200)]
# the command line's form of a list, also taken by the API: "a, b" (at most 100 names of at
# most 200 characters; empty parts are left out)
COMMA_LIST_PATTERN = r"^[^,]{0,200}(,[^,]{0,200}){0,99}$"


def _also_comma_text(schema: dict[str, Any]) -> None:
    """Say in the JSON schema that a list of names may also come as one comma text."""
    array = dict(schema)
    schema.clear()
    schema["anyOf"] = [array, {"type": "string", "pattern": COMMA_LIST_PATTERN}]


Names = Annotated[
    list[Name],
    BeforeValidator(split),
    Field(max_length=100, json_schema_extra=_also_comma_text),
]
Limit = Annotated[int, Field(ge=0, le=1_000_000)]

Unit = Literal["person", "session"]
Period = Literal["day", "week", "month"]
ModelName = Literal[
    "first_touch",
    "last_touch",
    "last_non_direct",
    "linear",
    "time_decay",
    "position_based",
    "j_curve",
    "inverse_j",
    "custom",
    "markov",
    "shapley",
]
Touchpoint = Literal["device", "channel", "platform", "country", "source", "medium", "campaign"]


class Params(BaseModel):
    """Base of the parameter models: unknown fields and NaN/inf numbers are refused, and so
    are JSON's ``true``/``false`` for a number and numbers for a yes/no (Pydantic would read
    ``"limit": false`` as 0 and ``"all": 0`` as False)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _no_bool_number_mixups(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        for name, info in cls.model_fields.items():
            for key in (name, info.alias):
                if key is None or key not in data:
                    continue
                _check_kind(key, data[key], info.annotation)
        return data


def _check_kind(key: str, value: Any, annotation: Any) -> None:
    kinds = _kinds(annotation)
    if isinstance(value, bool) and bool not in kinds and kinds & {int, float}:
        raise ValueError(f"{key}: expected a number, got {str(value).lower()}")
    if isinstance(value, int | float) and not isinstance(value, bool) and kinds == {bool}:
        raise ValueError(f"{key}: expected true or false, got {value}")
    if isinstance(value, list):
        for item_type in _item_types(annotation):
            for item in value:
                _check_kind(f"{key} item", item, item_type)


def _item_types(annotation: Any) -> list[Any]:
    """The item types of the list types an annotation admits."""
    found: list[Any] = []
    stack = [annotation]
    while stack:
        item = stack.pop()
        origin = typing.get_origin(item)
        if origin is Annotated or origin in (typing.Union, types.UnionType):
            args = typing.get_args(item)
            stack.extend(args[:1] if origin is Annotated else args)
        elif origin is list and typing.get_args(item):
            found.append(typing.get_args(item)[0])
    return found


def _kinds(annotation: Any) -> set[Any]:
    """The plain types an annotation admits (through Annotated, unions, lists: not lists)."""
    found: set[Any] = set()
    stack = [annotation]
    while stack:
        item = stack.pop()
        origin = typing.get_origin(item)
        if origin is Annotated:
            stack.append(typing.get_args(item)[0])
        elif origin in (typing.Union, types.UnionType):
            stack.extend(typing.get_args(item))
        elif item is type(None):
            continue
        else:
            found.add(origin or item)
    return found


class NoParams(Params):
    """No options."""




class CliOnly:
    """Marks a parameter that only the command line offers (e.g. a local file to read):
    the query API and the dashboard leave it out."""


def metadata(info: Any) -> list[Any]:
    """The metadata of a Pydantic ``FieldInfo``, including that of the ``Annotated`` types
    inside its annotation (``Annotated[list[str], ...] | None``)."""
    found = list(getattr(info, "metadata", ()))
    stack = [getattr(info, "annotation", None)]
    while stack:
        annotation = stack.pop()
        if typing.get_origin(annotation) is Annotated:
            inner, *extra = typing.get_args(annotation)
            found.extend(extra)
            stack.append(inner)
        elif typing.get_origin(annotation) in (typing.Union, types.UnionType):
            stack.extend(typing.get_args(annotation))
    return found


def cli_only(info: Any) -> bool:
    """Whether a Pydantic ``FieldInfo`` carries :class:`CliOnly`."""
    return any(isinstance(m, CliOnly) for m in metadata(info))


def comma_list(info: Any) -> bool:
    """Whether a list field also takes a comma-separated text (else: repeat the option)."""
    return any(isinstance(m, BeforeValidator) and m.func is split for m in metadata(info))


class Short:
    """A parameter's one-letter command-line alias, e.g. ``Short("-s")``."""

    def __init__(self, flag: str) -> None:
        self.flag = flag


def short_flag(info: Any) -> str | None:
    """The :class:`Short` alias of a Pydantic ``FieldInfo``, if any."""
    return next((m.flag for m in metadata(info) if isinstance(m, Short)), None)
