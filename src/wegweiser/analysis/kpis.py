"""Headline KPIs beyond :mod:`~wegweiser.analysis.overview`: repeat purchases, NPS and CSAT.

Definitions:

* **Purchasers** are persons with at least one conversion event (``is_conversion``);
  **repeat purchasers** those with two or more. ``repeat_purchase_rate`` = repeat
  purchasers / purchasers (None without purchasers).
* **Feedback answers** are events named in ``feedback.events`` (default
  ``survey_answered``) whose JSON ``properties`` hold the scale under
  ``feedback.kind_property`` (``nps``, ``csat`` or ``ces``, compared case-insensitively,
  trimmed) and
  a numeric score under ``feedback.score_property`` (a JSON number or numeric text). Answers
  with another scale, no score or a score out of range (NPS 0-10, CSAT 1-5, CES 1-7) are
  ignored.
  Every answer counts (a person who answered twice counts twice).
* **NPS** = share of promoters (score >= 9) minus share of detractors (score <= 6) among
  the NPS answers, in points (-100..100); ``nps_answers`` = their number.
* **CSAT** = share of CSAT answers with a score of 4 or 5, in percent (0..100);
  ``mean_csat`` = their mean score (1-5); ``csat_answers`` = their number.
* **Satisfaction** (used by :mod:`~wegweiser.analysis.journey_map`) puts both scales on
  0..100: an NPS score *s* gives ``10 * s``, a CSAT score ``25 * (s - 1)``, a CES score
  (1-7, 7 the least effort) ``100 * (s - 1) / 6``.

Figures that need data which is absent are None (NaN in the table).

>>> import ibis
>>> from datetime import datetime, UTC
>>> t = ibis.memtable({"person_id": ["a", "a", "b", "c"], "event": ["order_completed"] * 3
...     + ["survey_answered"], "is_conversion": [True, True, True, False],
...     "timestamp": [datetime(2026, 1, 1, h, tzinfo=UTC) for h in range(4)],
...     "properties": ["{}", "{}", "{}", '{"survey": "nps", "score": 10}']})
>>> k = kpis(t)
>>> k.get("repeat_purchase_rate"), k.get("nps"), k.get("csat")
(0.5, 100.0, None)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ibis
import pandas as pd

from wegweiser.analysis.filters import property_value, trimmed
from wegweiser.analysis.params import Params
from wegweiser.analysis.registry import Analysis, Inputs, Words
from wegweiser.analysis.result import Result, jsonable, to_frame
from wegweiser.config import FeedbackConfig

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import plotly.graph_objects as go

SCALES = {"nps": (0.0, 10.0), "csat": (1.0, 5.0), "ces": (1.0, 7.0)}
KPI_COLUMNS = (
    "purchasers", "repeat_purchasers", "repeat_purchase_rate", "nps", "nps_answers",
    "promoters", "passives", "detractors", "csat", "csat_answers", "satisfied", "mean_csat",
)


def _answer_values(journey: ir.Table, feedback: FeedbackConfig | None) -> ir.Table:
    """Every feedback answer event: ``person_id``, ``timestamp``, ``kind`` (trimmed, lower
    case) and ``score`` (float64 or NULL), valid or not."""
    fb = feedback or FeedbackConfig()
    if not fb.events:
        t = journey.filter(ibis.literal(False))
    else:
        t = journey.filter(journey.event.isin(list(fb.events)))
    kind = trimmed(property_value(t.properties, fb.kind_property).lower())
    score = property_value(t.properties, fb.score_property).try_cast("float64")
    return t.select("person_id", "timestamp", kind=kind, score=score)


def _in_scale(kind: Any, score: Any) -> bool:
    """Whether an answer is valid: a known scale and a score within it."""
    if not isinstance(kind, str) or kind not in SCALES or score is None or pd.isna(score):
        return False
    low, high = SCALES[kind]
    return bool(low <= float(score) <= high)


def feedback_answers(journey: ir.Table, feedback: FeedbackConfig | None = None) -> ir.Table:
    """The valid feedback answers (module docstring): ``person_id``, ``timestamp``, ``kind``
    (``nps``/``csat``/``ces``), ``score`` (float64) and ``satisfaction`` (0..100)."""
    fb = feedback or FeedbackConfig()
    t = _answer_values(journey, fb)
    # the bounds by scale in two simple CASEs: the engine may inline kind and score (JSON
    # look-ups) wherever they are named, so they are named as few times as possible
    low = t.kind.cases(*[(name, lo) for name, (lo, _) in SCALES.items()])
    high = t.kind.cases(*[(name, hi) for name, (_, hi) in SCALES.items()])
    t = t.filter(t.score.between(low, high).fill_null(False))
    return t.mutate(
        satisfaction=ibis.cases(
            (t.kind == "nps", t.score * 10.0),
            (t.kind == "ces", (t.score - 1.0) * 100.0 / 6.0),
            else_=(t.score - 1.0) * 25.0,
        )
    )


@dataclass(frozen=True)
class KpiResult(Result):
    """``kpis``: one row with the columns of :data:`KPI_COLUMNS` (definitions in
    :mod:`wegweiser.analysis.kpis`); NaN where the data is absent."""

    kpis: pd.DataFrame

    def get(self, name: str) -> Any:
        """One KPI as a plain Python value (None where absent)."""
        return jsonable(self.kpis[name].iloc[0]) if len(self.kpis) else None

    def as_dict(self) -> dict[str, Any]:
        return {name: self.get(name) for name in KPI_COLUMNS}

    def figure(self) -> go.Figure:
        """Indicators: repeat-purchase rate, NPS and CSAT (those present)."""
        import plotly.graph_objects as go

        shown = [(name, title, suffix, rng) for name, title, suffix, rng in (
            ("repeat_purchase_rate", "Repeat-purchase rate", "%", (0, 100)),
            ("nps", "NPS", "", (-100, 100)),
            ("csat", "CSAT", "%", (0, 100)),
        ) if self.get(name) is not None]
        fig = go.Figure()
        for i, (name, title, suffix, rng) in enumerate(shown):
            value = float(self.get(name)) * (100 if name == "repeat_purchase_rate" else 1)
            fig.add_trace(go.Indicator(
                mode="gauge+number", value=value, title={"text": title},
                number={"suffix": suffix, "valueformat": ".1f"},
                gauge={"axis": {"range": list(rng)}},
                domain={"row": 0, "column": i},
            ))
        fig.update_layout(grid={"rows": 1, "columns": max(len(shown), 1)}, height=260)
        return fig


def kpis(journey: ir.Table, *, feedback: FeedbackConfig | None = None,
         persons: ir.Table | None = None) -> KpiResult:
    """Repeat-purchase rate, NPS and CSAT with their counts (module docstring).
    ``persons``: the journey's ``persons`` roll-up (:mod:`wegweiser.analysis.rollups`),
    read for the purchasers instead of the conversion events (the same figures)."""
    if persons is None:
        conv = journey.filter(journey.is_conversion)
        per = conv.group_by("person_id").agg(n=conv.count())
    else:
        per = persons.select(n=persons.conversions).filter(lambda t: t.n > 0)
    buying = per.aggregate(purchasers=per.count(), repeat=(per.n >= 2).sum())
    row = to_frame(buying).iloc[0]
    purchasers, repeat = _int(row["purchasers"]), _int(row["repeat"])
    # the answers per scale and score: a few rows, whatever the number of answers (kind and
    # score are JSON look-ups: grouped by, they are read once per answer)
    a = _answer_values(journey, feedback)
    grid = to_frame(a.group_by("kind", "score").agg(n=a.count()))
    valid = [_in_scale(k, v) for k, v in zip(grid["kind"], grid["score"], strict=True)]
    grid = grid.loc[pd.Series(valid, index=grid.index, dtype=bool)]
    nps, csat = grid[grid["kind"] == "nps"], grid[grid["kind"] == "csat"]
    n_nps, n_csat = int(nps["n"].sum()), int(csat["n"].sum())
    promoters = int(nps.loc[nps["score"] >= 9, "n"].sum())
    detractors = int(nps.loc[nps["score"] <= 6, "n"].sum())
    satisfied = int(csat.loc[csat["score"] >= 4, "n"].sum())
    mean_csat = float((csat["score"] * csat["n"]).sum() / n_csat) if n_csat else None
    values: dict[str, Any] = {
        "purchasers": purchasers,
        "repeat_purchasers": repeat,
        "repeat_purchase_rate": repeat / purchasers if purchasers else None,
        "nps": 100.0 * (promoters - detractors) / n_nps if n_nps else None,
        "nps_answers": n_nps,
        "promoters": promoters,
        "passives": n_nps - promoters - detractors,
        "detractors": detractors,
        "csat": 100.0 * satisfied / n_csat if n_csat else None,
        "csat_answers": n_csat,
        "satisfied": satisfied,
        "mean_csat": mean_csat,
    }
    frame = pd.DataFrame([{k: (float("nan") if v is None else v) for k, v in values.items()}])
    fb = feedback or FeedbackConfig()
    params = {"feedback_events": list(fb.events), "score_property": fb.score_property,
              "kind_property": fb.kind_property}
    return KpiResult(frame[list(KPI_COLUMNS)], params=params)


def _int(value: Any) -> int:
    return int(value) if _finite(value) else 0


def _finite(value: Any) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


# -- registry ---------------------------------------------------------------------------------
class KpisParams(Params):
    """Repeat-purchase rate, NPS and CSAT with their counts (one row); definitions in
    :mod:`wegweiser.analysis.kpis`."""


def _compute(inputs: Inputs, p: KpisParams) -> KpiResult:
    rollup = getattr(inputs, "rollup", None)
    return kpis(inputs.journey(), feedback=inputs.config.feedback,
                persons=rollup("persons") if callable(rollup) else None)


ANALYSIS = Analysis(
    name="kpis",
    renumber=False,  # reads seq only as an order, no next_event
    params=KpisParams,
    compute=_compute,
    title=Words("KPIs", "Kennzahlen"),
    summary=Words("Repeat purchases, NPS and CSAT", "Wiederkäufe, NPS und CSAT"),
    views={"kpis": "kpis"},
    compare=("kpis", ()),
)
