"""The scope bar of the analysis pages: date range (a picker), filters, segment, persona,
breakdown by segments or personas and the previous period, kept in the query string like
every other option.

``?since=2026-10-01&until=2026-10-31&where=country%3DDE&where=trait:plan%3Dpro&segment=vip``:
``where`` repeats (one condition each, the text form of :mod:`wegweiser.analysis.filters`);
``last`` is one of :data:`SPANS` or any duration; ``persona=2`` is the filter
``persona=2`` (the remembered personas of ``personas.json`` are offered), ``by_persona=on``
the breakdown. Nothing here knows an analysis: the values become the common fields of
:mod:`wegweiser.analysis.scope`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import Request

from wegweiser.analysis.scope import Comparable, Scope
from wegweiser.project import PERSONAS_FILE
from wegweiser.project_files import SEGMENTS_DIR

FIELDS = tuple(Comparable.model_fields)
SPANS = ("7d", "14d", "30d", "90d", "365d")
MAX_WHERE = 20


def read(request: Request) -> dict[str, Any]:
    """The scope in the query string (empty values left out)."""
    q = request.query_params
    form: dict[str, Any] = {
        "since": q.get("since", "").strip()[:40], "until": q.get("until", "").strip()[:40],
        "last": q.get("last", "").strip()[:40], "segment": q.get("segment", "").strip()[:64],
        "by_segment": q.get("by_segment", "").strip()[:500],
        "where": [w.strip()[:1000] for w in q.getlist("where") if w.strip()][:MAX_WHERE],
        "compare_previous": q.get("compare_previous") in ("on", "true", "1"),
        "persona": q.get("persona", "").strip()[:200],
        "by_persona": q.get("by_persona") in ("on", "true", "1"),
    }
    return form


def options(form: dict[str, Any], *, comparable: bool, by_segment: bool = True
            ) -> dict[str, Any]:
    """The scope as parameter fields (only what is set; compare only where it applies)."""
    out = {k: v for k, v in form.items() if v and k in Scope.model_fields
           and (by_segment or k not in ("by_segment", "by_persona"))}
    if form.get("persona"):
        out["where"] = [*out.get("where", []), f"persona={form['persona']}"]
    if comparable and form.get("compare_previous"):
        out["compare_previous"] = True
    return out


def query(form: dict[str, Any]) -> list[tuple[str, str]]:
    """The scope as query-string pairs (for links that keep it)."""
    pairs: list[tuple[str, str]] = []
    for name in ("since", "until", "last", "segment", "by_segment", "persona"):
        if form.get(name):
            pairs.append((name, str(form[name])))
    pairs += [("where", w) for w in form.get("where", [])]
    if form.get("compare_previous"):
        pairs.append(("compare_previous", "on"))
    if form.get("by_persona"):
        pairs.append(("by_persona", "on"))
    return pairs


def bar(form: dict[str, Any], segments: list[str], *, comparable: bool,
        by_segment: bool = True, personas: list[tuple[str, str]] | None = None
        ) -> dict[str, Any]:
    """What the template's scope bar shows (``personas``: ``(id, name)`` to offer)."""
    return {"form": form, "segments": segments, "spans": SPANS, "comparable": comparable,
            "by_segment": by_segment, "where_rows": [*form.get("where", []), ""],
            "personas": personas or []}


def saved(project_dir: Path) -> list[str]:
    """The names of the saved segments (``segments/<name>.toml``), read from the folder so
    that a page need not open the store; a broken file is reported when it is used."""
    folder = project_dir / SEGMENTS_DIR
    return sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []


def remembered(project_dir: Path, lang: str = "en") -> list[tuple[str, str]]:
    """``(id, name)`` of the personas remembered in ``personas.json`` (read from the folder,
    so a page need not open the store); none when there is no fit or the file is broken
    (an analysis filtered by persona says why)."""
    try:
        memory = json.loads((project_dir / PERSONAS_FILE).read_text(encoding="utf-8"))
        rows = memory["personas"]
        key = "name_de" if lang == "de" else "name"
        return [(str(int(r["id"])), str(r.get(key) or r["name"])) for r in rows]
    except (OSError, ValueError, KeyError, TypeError):
        return []
