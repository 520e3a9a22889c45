"""Golden files: a value as sorted, rounded JSON, compared with the file that pins it.

``snapshot.assert_match(value, "case")`` compares ``value`` with
``tests/<area>/snapshots/<test>/<case>.json`` (``<test>``: the test function's name, without
its parameters). A difference fails the test with a diff; ``pytest --snapshot-update``
writes the files instead (review them with ``git diff`` before committing). Floats are
rounded to :data:`DIGITS` decimals and long lists cut at :data:`CAP` items, so the files
stay small and do not flip on the last bit of a float.

:func:`figure_data` is what a chart's golden file holds: per trace its type, name and data
(x/y/z, values/labels, text, Sankey nodes and links), not the layout.
"""

from __future__ import annotations

import base64
import difflib
import json
import re
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from wegweiser.present import jsonable

if TYPE_CHECKING:
    from pathlib import Path

    import plotly.graph_objects as go

DIGITS = 4
CAP = 25
WIDTH = 100
#: the data of a trace that a golden file keeps (everything else is look, not data)
TRACE_KEYS = ("type", "name", "orientation", "mode", "x", "y", "z", "values", "labels",
              "text", "value")
SANKEY_KEYS = {"node": ("label",), "link": ("source", "target", "value")}


class Snapshot:
    """The golden files of one test (see the module docstring)."""

    def __init__(self, folder: Path, *, update: bool) -> None:
        self.folder = folder
        self.update = update

    def assert_match(self, value: Any, case: str) -> None:
        text = dumps(value)
        path = self.folder / f"{_safe(case)}.json"
        if self.update:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
            return
        if not path.exists():
            pytest.fail(f"no golden file {path}; write it with `pytest --snapshot-update` "
                        "and review it before committing", pytrace=False)
        expected = path.read_text(encoding="utf-8")
        if text != expected:
            diff = "".join(difflib.unified_diff(
                expected.splitlines(keepends=True), text.splitlines(keepends=True),
                fromfile=str(path), tofile="now", n=2))
            pytest.fail(f"{case} differs from its golden file (if the change is meant, run "
                        f"`pytest --snapshot-update`):\n{diff[:6000]}", pytrace=False)


def dumps(value: Any) -> str:
    """``value`` as the text of a golden file: JSON, sorted keys, rounded, capped; lists of
    plain values filled into lines of up to :data:`WIDTH` characters (short files, readable
    diffs)."""
    return _dump(normalise(value), 0) + "\n"


def _dump(value: Any, depth: int) -> str:
    pad, inner = " " * depth, " " * (depth + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{json.dumps(k, ensure_ascii=False)}: {_dump(value[k], depth + 1)}"
                 for k in sorted(value)]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        if any(isinstance(v, dict | list) for v in value):
            return "[\n" + ",\n".join(inner + _dump(v, depth + 1) for v in value) + "\n" + pad + "]"
        words = [json.dumps(v, ensure_ascii=False) for v in value]
        lines, line = [], ""
        for word in words:
            if line and len(inner) + len(line) + len(word) + 2 > WIDTH:
                lines.append(line + ",")
                line = word
            else:
                line = f"{line}, {word}" if line else word
        lines.append(line)
        if len(lines) == 1 and depth + len(lines[0]) + 2 <= WIDTH:
            return f"[{lines[0]}]"
        return "[\n" + "\n".join(inner + ln for ln in lines) + "\n" + pad + "]"
    return json.dumps(value, ensure_ascii=False)


def normalise(value: Any, *, cap: int = CAP) -> Any:
    """JSON values (:func:`wegweiser.present.jsonable`), floats rounded to :data:`DIGITS`
    decimals, lists cut at ``cap`` items (the count of the rest is noted)."""
    value = jsonable(decoded(value))
    if isinstance(value, float):
        rounded = round(value, DIGITS)
        return 0.0 if rounded == 0 else rounded
    if isinstance(value, dict):
        return {k: normalise(v, cap=cap) for k, v in value.items()}
    if isinstance(value, list):
        items = [normalise(v, cap=cap) for v in value[:cap]]
        if len(value) > cap:
            items.append(f"... {len(value) - cap} more")
        return items
    return value


def figure_data(fig: go.Figure) -> dict[str, Any]:
    """The data of a figure (per trace), and whether it says "no data"."""
    traces = []
    for trace in fig.to_plotly_json()["data"]:
        item = {k: trace[k] for k in TRACE_KEYS if trace.get(k) is not None}
        for part, keys in SANKEY_KEYS.items():
            if part in trace:
                item[part] = {k: trace[part][k] for k in keys if k in trace[part]}
        traces.append(item)
    meta = fig.layout.meta
    return {"traces": traces, "no_data": bool(isinstance(meta, dict) and meta.get("no_data"))}


def decoded(value: Any) -> Any:
    """Plotly's typed arrays (``{"dtype", "bdata", "shape"}``) as lists; the rest as is."""
    if isinstance(value, dict) and "bdata" in value and "dtype" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        if "shape" in value:
            array = array.reshape([int(n) for n in str(value["shape"]).split(",")])
        return array
    return value


def _safe(case: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", case).strip("-")
