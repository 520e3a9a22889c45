"""Competitor benchmark scores of touchpoints from a CSV file (e.g. a market study).

The file has a header with the columns ``touchpoint`` (a name of the ``[[touchpoints]]``
catalogue) and ``benchmark`` (a fulfilment score 0..1, or a percentage such as ``70%``),
optionally ``importance`` (the stated expectation, 1..5). Every bad line is an error naming
the file and line; nothing is read from a file with one.

>>> read_benchmarks_text("touchpoint,benchmark\\nVideos,0.7\\nReviews,65%\\n")
{'Videos': {'benchmark': 0.7}, 'Reviews': {'benchmark': 0.65}}
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from wegweiser.errors import InvalidInput

__all__ = ["read_benchmarks", "read_benchmarks_text"]

REQUIRED = ("touchpoint", "benchmark")
OPTIONAL = ("importance",)


def read_benchmarks(path: str | Path) -> dict[str, dict[str, float]]:
    """The scores of ``path`` by touchpoint name (module docstring)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidInput(f"cannot read the benchmark file {path}: {exc.strerror}") from None
    return read_benchmarks_text(text, source=str(path))


def _number(text: str, where: str, column: str) -> float:
    raw = text.strip()
    percent = raw.endswith("%")
    try:
        value = float(raw.removesuffix("%").replace(",", ".") if raw else "x")
    except ValueError:
        raise InvalidInput(f"{where}: {column} {text!r} is not a number") from None
    return value / 100 if percent else value


def read_benchmarks_text(text: str, *, source: str = "<text>") -> dict[str, dict[str, float]]:
    """The scores of a CSV text (module docstring); ``source`` names it in errors."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InvalidInput(
            f"{source}:1: the header needs the columns {', '.join(REQUIRED)} (and optionally "
            f"{', '.join(OPTIONAL)}); missing: {', '.join(missing)}"
        )
    reader.fieldnames = header
    out: dict[str, dict[str, float]] = {}
    for row in reader:
        where = f"{source}:{reader.line_num}"
        name = (row.get("touchpoint") or "").strip()
        if not name:
            raise InvalidInput(f"{where}: the touchpoint name is empty")
        if name in out:
            raise InvalidInput(f"{where}: touchpoint {name!r} appears twice")
        score = _number(row.get("benchmark") or "", where, "benchmark")
        if not 0 <= score <= 1:
            raise InvalidInput(f"{where}: benchmark {score:g} is outside 0..1 (or 0%..100%)")
        entry = {"benchmark": score}
        if (row.get("importance") or "").strip():
            importance = _number(row["importance"] or "", where, "importance")
            if not 1 <= importance <= 5:
                raise InvalidInput(f"{where}: importance {importance:g} is outside 1..5")
            entry["importance"] = importance
        out[name] = entry
    if not out:
        raise InvalidInput(f"{source}: no rows below the header")
    return out
