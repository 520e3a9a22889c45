"""The journey map as an HTML grid: touchpoints (rows) x phases (columns), each cell with
persons, conversion rate and satisfaction, coloured by one of them (the reader switches).

Colours: ``persons`` by the square root of the share of the largest cell (small cells stay
visible), ``conversion_rate`` from the lowest to the highest rate in the grid,
``satisfaction`` on its absolute scale (red 0, pale 50, green 100).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from wegweiser.present.i18n import DASH, finite, label, number, percent, t

if TYPE_CHECKING:
    from collections.abc import Hashable, Mapping

    from wegweiser.analysis.journey_map import JourneyMapResult

METRICS = ("persons", "conversion_rate", "satisfaction")
LOW, BLUE, TEAL = "#f4f7fb", "#1f5f99", "#1b7a6e"
RED, PALE, GREEN = "#c8553d", "#f7eec9", "#2a9d8f"
EMPTY = ("#fafbfc", "#9aa5b1")


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def blend(a: str, b: str, x: float) -> str:
    """The colour ``x`` (0..1) of the way from ``a`` to ``b``.

    >>> blend("#000000", "#ffffff", 0.5)
    '#808080'
    """
    x = min(max(x, 0.0), 1.0)
    mixed = (round(p + (q - p) * x) for p, q in zip(_rgb(a), _rgb(b), strict=True))
    return "#{:02x}{:02x}{:02x}".format(*mixed)


def ink(background: str) -> str:
    """Dark or white text, whichever reads better on ``background``."""
    r, g, b = (c / 255 for c in _rgb(background))
    return "#ffffff" if 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.55 else "#1d2733"


def colours(metric: str, value: Any, low: float, high: float) -> tuple[str, str]:
    """Background and text colour of a cell for ``metric`` (``low``/``high``: the grid's
    range of that metric)."""
    if not finite(value):
        return EMPTY
    value = float(value)
    if metric == "persons":
        bg = blend(LOW, BLUE, math.sqrt(value / high) if high > 0 else 0.0)
    elif metric == "conversion_rate":
        bg = blend(LOW, TEAL, (value - low) / (high - low) if high > low else 0.5)
    else:
        bg = blend(RED, PALE, value / 50) if value < 50 else blend(PALE, GREEN, (value - 50) / 50)
    return bg, ink(bg)


def map_block(result: JourneyMapResult, lang: str) -> dict[str, Any]:
    """The ``map`` block of the template (see ``report.html.j2``)."""
    cells = result.cells
    ranges = {m: (float(cells[m].min()), float(cells[m].max())) if len(cells) and
              cells[m].notna().any() else (0.0, 0.0) for m in METRICS}
    tops: dict[tuple[str, str], list[str]] = {}
    for ev in result.top_events.to_dict("records"):
        tops.setdefault((str(ev["phase"]), str(ev["touchpoint"])), []).append(str(ev["event"]))
    by_key = {(str(r["phase"]), str(r["touchpoint"])): r for r in cells.to_dict("records")}
    phases = result.phases["phase"].tolist()

    def cell(row: Mapping[Hashable, Any] | None, phase: str, touchpoint: str, name: str,
             margin: bool) -> dict[str, Any]:
        if row is None:
            return {"empty": True}
        sat = row["satisfaction"]
        title = t("map.tooltip", lang, phase=phase, touchpoint=name,
                  persons=number(row["persons"], lang), events=number(row["events"], lang),
                  rate=percent(row["conversion_rate"], lang), score=number(sat, lang),
                  answers=number(row["answers"], lang),
                  top=", ".join(tops.get((phase, touchpoint), [])) or DASH)
        out = {"empty": False, "margin": margin, "persons": number(row["persons"], lang),
               "rate": percent(row["conversion_rate"], lang, 0),
               "sat": number(sat, lang) if finite(sat) else DASH, "title": title}
        if not margin:
            out["colours"] = {m: colours(m, row[m], *ranges[m]) for m in METRICS}
        return out

    all_tp = t("map.all_touchpoints", lang)
    all_ph = t("map.all_phases", lang)
    totals = {str(r["phase"]): r for r in result.phases.to_dict("records")}
    header = [cell(totals.get(p), p, "", all_tp, True) for p in phases]
    rows = []
    for r in result.touchpoints.to_dict("records"):
        tp = str(r["touchpoint"])
        name = label(tp, lang)
        rows.append({
            "label": name,
            "cells": [cell(by_key.get((p, tp)), p, tp, name, False) for p in phases],
            "total": cell(r, all_ph, tp, name, True),
        })
    return {
        "kind": "map", "phases": phases, "header": header, "rows": rows,
        "metrics": [{"key": m, "label": t(f"map.metric.{m}", lang)} for m in METRICS],
        "default": "persons", "corner": t("map.touchpoint", lang),
        "all_touchpoints": all_tp, "all_phases": all_ph,
        "legend": t("map.legend", lang), "cell": t("map.cell", lang),
        "colour_by": t("map.colour_by", lang),
    }
