"""Annotations: marked dates (campaign launches, fixes, releases) shown on trend charts.

An annotation is a date, a short text and a kind. The project keeps its own in the file
``annotations.toml`` (written by ``wegweiser annotations add``, the API and
:meth:`~wegweiser.project.Project.add_annotation`)::

    [[annotation]]
    date = 2026-10-01
    text = "Autumn campaign launch"
    kind = "campaign"

Other parts of the project may know dates too (e.g. when a pain point was fixed):
:func:`gather` merges several sources into one sorted list without duplicates, and
:meth:`~wegweiser.project.Project.annotations` is where such sources are added.

>>> a = Annotation(date="2026-10-01", text="Launch", kind="campaign")
>>> b = Annotation(date="2026-09-03", text="Checkout fix", kind="fix", source="fixes")
>>> [x.text for x in gather([a], [b, a])]
['Checkout fix', 'Launch']
>>> from_toml(to_toml([a]))[0] == a
True
"""

from __future__ import annotations

import datetime as dt  # noqa: TC003 (pydantic reads the annotation)
import tomllib
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["FILE", "Annotation", "from_toml", "gather", "to_toml"]

#: the project's own annotations
FILE = "annotations.toml"

Kind = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]


class Annotation(BaseModel):
    """A marked date: ``date`` (UTC day), ``text``, ``kind`` (campaign, fix, release, note,
    ...) and ``source`` (where it comes from: ``file`` for annotations.toml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    date: dt.date
    text: Annotated[str, Field(min_length=1, max_length=200)]
    kind: Kind = "note"
    source: Kind = Field("file", exclude=True)

    def key(self) -> tuple[dt.date, str, str]:
        return (self.date, self.text, self.kind)


def gather(*sources: Iterable[Annotation]) -> list[Annotation]:
    """The annotations of all ``sources``, sorted by date and text, each once (the first
    source that has a date, text and kind wins)."""
    seen: dict[tuple[dt.date, str, str], Annotation] = {}
    for source in sources:
        for item in source:
            seen.setdefault(item.key(), item)
    return sorted(seen.values(), key=lambda a: (a.date, a.text, a.kind))


def from_toml(text: str, *, where: str = FILE) -> list[Annotation]:
    """The annotations of a TOML text (``[[annotation]]`` tables); an error names the entry
    and what is wrong with it."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"{where} is not valid TOML ({exc}); fix or delete it") from None
    unknown = set(data) - {"annotation"}
    if unknown:
        raise InvalidInput(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; write "
                           "[[annotation]] tables with date, text and kind")
    items = data.get("annotation", [])
    if not isinstance(items, list):
        raise InvalidInput(f"{where}: 'annotation' must be a list of tables ([[annotation]])")
    out = []
    for i, item in enumerate(items, start=1):
        try:
            out.append(Annotation.model_validate(item))
        except ValidationError as exc:
            from wegweiser.analysis.registry import describe

            raise InvalidInput(f"{where}, annotation {i}: {describe(exc)}") from None
    return out


def to_toml(annotations: Iterable[Annotation]) -> str:
    """``annotations`` as the text of ``annotations.toml``."""
    import tomlkit

    doc = tomlkit.document()
    table = tomlkit.aot()
    for a in annotations:
        entry: dict[str, Any] = {"date": a.date, "text": a.text, "kind": a.kind}
        table.append(tomlkit.item(entry))
    doc["annotation"] = table
    return tomlkit.dumps(doc)
