"""How to read one import: the options a user gives for files that are not plain CSV/JSON.

>>> split_mapping({"user_id": "customer_id", "event": "'purchase'"})
({'user_id': 'customer_id'}, {'event': 'purchase'})
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Mapping

EPOCH_UNITS = {"s": 1, "ms": 1_000, "us": 1_000_000}
#: ``--delimiter`` words for characters that are awkward on a command line.
DELIMITER_WORDS = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|",
                   "space": " ", "whitespace": "whitespace"}
_QUOTES = ("'", '"')


@dataclass(frozen=True)
class ImportOptions:
    """Options of one import (all optional; the defaults read ordinary files).

    * ``timestamp_format``: strptime-style (``%d.%m.%Y %H:%M``); every timestamp must match.
    * ``epoch_unit``: ``s``, ``ms`` or ``us``: numeric timestamps are epochs in that unit
      (default: told apart by size, and 8-digit ``YYYYMMDD`` numbers are dates).
    * ``delimiter``: the CSV field separator (one character, or ``whitespace`` for columns
      separated by runs of spaces/tabs); default: read from the header line.
    * ``decimal``: ``.`` or ``,`` (``1.234,56``) for ``revenue``.
    * ``encoding``: the text encoding of CSV/JSON Lines files (default UTF-8).
    * ``constants``: event field -> a value every row gets (``--map event='purchase'``).
    """

    timestamp_format: str | None = None
    epoch_unit: str | None = None
    delimiter: str | None = None
    decimal: str = "."
    encoding: str | None = None
    constants: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.epoch_unit is not None and self.epoch_unit not in EPOCH_UNITS:
            raise InvalidInput(
                f"--epoch-unit {self.epoch_unit!r}: use s, ms or us (seconds, milliseconds, "
                "microseconds since 1970-01-01 UTC)"
            )
        if self.timestamp_format is not None and "%" not in self.timestamp_format:
            raise InvalidInput(
                f"--timestamp-format {self.timestamp_format!r} has no % field; write it "
                "strptime-style, e.g. '%Y%m%d' or '%d.%m.%Y %H:%M'"
            )
        if self.decimal not in (".", ","):
            raise InvalidInput(f"--decimal {self.decimal!r}: use . or ,")
        if self.delimiter is not None:
            word = DELIMITER_WORDS.get(self.delimiter.lower(), self.delimiter)
            if len(word) != 1 and word != "whitespace":
                raise InvalidInput(
                    f"--delimiter {self.delimiter!r}: give one character (',' ';' '|'), "
                    "or tab, space or whitespace (runs of spaces and tabs)"
                )
            object.__setattr__(self, "delimiter", word)
        if self.encoding is not None:
            try:
                name = codecs.lookup(self.encoding).name
            except LookupError:
                raise InvalidInput(
                    f"--encoding {self.encoding!r} is not a known encoding; e.g. utf-8, "
                    "latin-1, cp1252, utf-16"
                ) from None
            object.__setattr__(self, "encoding", name)


def split_mapping(mapping: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """``--map`` entries -> (field -> your column, field -> constant value).

    A value in quotes (``event='purchase'`` or ``event="purchase"``) is a constant: every
    row gets it, whatever its columns. Without quotes it names a column.
    """
    columns: dict[str, str] = {}
    constants: dict[str, str] = {}
    for target, source in mapping.items():
        text = source.strip()
        if len(text) >= 2 and text[0] in _QUOTES and text[-1] == text[0]:
            constants[target] = text[1:-1]
        else:
            columns[target] = source
    return columns, constants
