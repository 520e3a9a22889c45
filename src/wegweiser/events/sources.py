"""What a reader hands the importer: a :class:`Source` and the lines it had to reject."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from wegweiser.store.engine import Engine


@dataclass
class Rejected:
    """A row a reader could not turn into columns."""

    line: int
    reason: str
    raw: str


@dataclass
class Source:
    """One readable input, registered in the engine as ``relation``."""

    name: str
    relation: str
    columns: dict[str, str]
    rejected: list[Rejected] = field(default_factory=list)
    #: True when the columns already carry canonical names and a ``_raw`` column.
    records: bool = False
    #: Undo what the reader created in the engine (temp tables, views, registrations).
    cleanup: list[Callable[[], None]] = field(default_factory=list)
    #: What the reader guessed or doubted (a delimiter, a renamed column), for the summary.
    warnings: list[str] = field(default_factory=list)
    #: An input too large to hold at once (a big CSV file) is read part by part: each part
    #: is a source of its own (lines numbered in the whole input), closed after use, and
    #: ``relation`` is unused. ``done`` then says how much of the input was read (0..1).
    parts: Callable[[], Iterator[Source]] | None = None
    done: float = 1.0

    def close(self) -> None:
        for undo in self.cleanup:
            undo()
        self.cleanup.clear()


def temp_name(prefix: str) -> str:
    return f"_{prefix}_{uuid.uuid4().hex[:12]}"


def dropper(engine: Engine, statement: str) -> Callable[[], None]:
    return lambda: engine.run(statement)


def first_error_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def sql_string(value: object) -> str:
    """An SQL string literal (quotes doubled), for file paths and read options."""
    return "'" + str(value).replace("'", "''") + "'"
