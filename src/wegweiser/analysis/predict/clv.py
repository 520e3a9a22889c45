"""Customer lifetime value: BG/NBD or Pareto/NBD for repeat purchases, Gamma-Gamma for spend.

The classic "buy till you die" models, fitted by maximum likelihood on one row per customer
(:mod:`._purchases` builds it on the engine; the models are :mod:`._btyd` and
:mod:`._gamma_gamma`):

* Purchases are conversion events; several on one UTC day are one purchase (their revenue
  added). ``frequency`` counts repeat purchase days of the calibration period, ``recency``
  and ``T`` are in the time unit (``day`` or ``week``); customers are persons whose first
  purchase is on or before ``calibration_end`` (default: the last day of the data, then
  there is no holdout).
* ``p_alive``: the probability that a customer is still active at the calibration end;
  ``expected_purchases``: expected purchase days in the next ``horizon`` units (default a
  year: 52 weeks or 365 days) after the calibration end.
* ``expected_spend``: Gamma-Gamma's expected revenue per purchase (fitted on repeat buyers
  with revenue; with too few of them, each customer's mean purchase revenue, and ``note``
  says so). ``clv``: the expected revenue of the next ``months`` months, each month's
  (k = 1..months, a month = 365.25/12 days) discounted by ``(1 + discount_rate)^(k/12)``;
  ``discount_rate`` is an **annual** rate (a monthly rate m is the annual ``(1+m)^12 - 1``).
* ``holdout``: per calibration frequency 0..6 and 7+, the mean actual and predicted
  purchases in the holdout (the days after ``calibration_end`` up to the end of the data);
  ``calibration``: customers per frequency against the model's expectation.
* ``breakdown``: per persona (when personas are fitted), acquisition channel (the channel
  of a person's first event with one) and cohort (month of the first purchase).

>>> import ibis
>>> from datetime import datetime, UTC
>>> days = [1, 8, 15, 2, 3, 20, 4, 25, 5]
>>> j = ibis.memtable({"person_id": list("aaabbbccd"), "is_conversion": [True] * 9,
...     "revenue": [10.0, 12, 11, 5, 6, 4, 30, 28, 9], "channel": ["web"] * 9,
...     "timestamp": [datetime(2026, 3, d, tzinfo=UTC) for d in days]})
>>> r = clv(j, unit="day")
>>> int(r.summary.loc[0, "customers"]), int(r.summary.loc[0, "repeat_buyers"])
(4, 3)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from wegweiser.analysis.params import Params
from wegweiser.analysis.predict import _clv_tables as tables
from wegweiser.analysis.predict._btyd import BgNbd, ParetoNbd, at_boundary
from wegweiser.analysis.predict._gamma_gamma import GammaGamma
from wegweiser.analysis.predict._purchases import UNIT_DAYS, purchase_summary
from wegweiser.analysis.registry import Analysis, Chart, Words
from wegweiser.analysis.result import Result, to_frame
from wegweiser.analysis.retention import day_index
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from wegweiser.analysis.registry import Inputs

MODELS: dict[str, type[BgNbd] | type[ParetoNbd]] = {"bgnbd": BgNbd, "pareto_nbd": ParetoNbd}
_EPOCH = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class ClvResult(Result):
    """``persons`` (one row per customer), ``params`` of the fits, the ``holdout`` and
    ``calibration`` diagnostics, the CLV ``distribution``, the ``breakdown`` and a
    one-row ``summary``."""

    persons: pd.DataFrame
    fit: pd.DataFrame
    holdout: pd.DataFrame
    calibration: pd.DataFrame
    distribution: pd.DataFrame
    breakdown: pd.DataFrame
    summary: pd.DataFrame
    note: str = field(default="", kw_only=True)


def clv(
    journey: ir.Table,
    *,
    calibration_end: dt.date | None = None,
    unit: str = "week",
    model: str = "bgnbd",
    horizon: int | None = None,
    months: int = 12,
    discount_rate: float = 0.1,
    personas: ir.Table | None = None,
    persona_names: dict[int, str] | None = None,
) -> ClvResult:
    """Fit the models on ``journey``'s purchases and predict per customer (see the module
    docstring); ``personas`` is ``(person_id, persona)`` for the breakdown."""
    if unit not in UNIT_DAYS:
        raise InvalidInput(f"unit must be day or week, got {unit!r}")
    if model not in MODELS:
        raise InvalidInput(f"model must be one of {', '.join(MODELS)}, got {model!r}")
    bounds = to_frame(journey.aggregate(last=day_index(journey.timestamp).max())).iloc[0]
    if pd.isna(bounds["last"]):
        raise InvalidInput("lifetime value needs purchases: the journey has no events")
    last = int(bounds["last"])
    end = last if calibration_end is None else (calibration_end - _EPOCH).days
    if end > last:
        raise InvalidInput(
            f"the calibration end {calibration_end} is after the last day of the data "
            f"({_EPOCH + dt.timedelta(days=last)}): customers would look older than observed; "
            "give an earlier --calibration-end or leave it out")
    summary = purchase_summary(journey, calibration_end=end, holdout_end=last, unit=unit,
                               attributes=_attributes(journey, personas))
    if summary.empty:
        raise InvalidInput(
            "lifetime value needs purchases (conversion events) on or before the calibration "
            f"end {_EPOCH + dt.timedelta(days=end)}; check conversion_events in wegweiser.toml"
            " or give a later --calibration-end")
    persons = attach(summary, persona_names)
    return predict(persons, model=model, unit=unit, calibration_end=end, holdout_end=last,
                   horizon=horizon, months=months, discount_rate=discount_rate)


def predict(
    persons: pd.DataFrame, *, model: str = "bgnbd", unit: str = "week", calibration_end: int,
    holdout_end: int, horizon: int | None = None, months: int = 12, discount_rate: float = 0.1,
) -> ClvResult:
    """Fit and predict on a customer summary (columns of :mod:`._purchases`, plus the
    optional ``persona``, ``channel``, ``cohort``). Fits at a boundary of the parameter
    space can give infinite or undefined predictions: ``note`` says so, no warning."""
    with np.errstate(all="ignore"):
        return _predict(persons, model=model, unit=unit, calibration_end=calibration_end,
                        holdout_end=holdout_end, horizon=horizon, months=months,
                        discount_rate=discount_rate)


def _predict(
    persons: pd.DataFrame, *, model: str, unit: str, calibration_end: int, holdout_end: int,
    horizon: int | None, months: int, discount_rate: float,
) -> ClvResult:
    unit_days = UNIT_DAYS[unit]
    horizon = horizon if horizon is not None else (52 if unit == "week" else 365)
    x, t_x, T = (persons[c].to_numpy(dtype=np.float64) for c in ("frequency", "recency", "T"))
    fitted = MODELS[model].fit(x, t_x, T)
    buyers = (x > 0) & (persons["monetary_value"].to_numpy() > 0)
    notes = []
    for m in (fitted,):
        if odd := at_boundary(m.params()):
            notes.append(f"the {m.title} fit drove {', '.join(odd)} to 0 or infinity: the "
                         "data cannot tell them (few repeat buyers, or no sign of dropout or "
                         "of differences between customers); read its predictions with care")
    spend_model: GammaGamma | None = None
    try:
        spend_model = GammaGamma.fit(x[buyers], persons["monetary_value"].to_numpy()[buyers])
    except InvalidInput as exc:
        notes.append(f"no Gamma-Gamma fit: {exc}")
    if spend_model is not None and (odd := at_boundary(spend_model.params())):
        notes.append(f"the Gamma-Gamma fit drove {', '.join(odd)} to 0 or infinity (spend "
                     "per purchase hardly differs between customers)")
    if spend_model is not None and spend_model.q <= 1:
        notes.append("no Gamma-Gamma spend: its fit has q <= 1 (no finite mean spend)")
        spend_model = None
    out = persons.copy()
    out["p_alive"] = fitted.p_alive(x, t_x, T)
    out["expected_purchases"] = fitted.expected(float(horizon), x, t_x, T)
    holdout_units = (holdout_end - calibration_end) / unit_days
    out["holdout_predicted"] = fitted.expected(holdout_units, x, t_x, T)
    if spend_model is not None:
        spend = spend_model.expected_spend(x, persons["monetary_value"].to_numpy())
        out["expected_spend"] = spend
        out["clv"] = tables.lifetime_value(fitted, spend, persons, months=months,
                                           discount_rate=discount_rate, unit_days=unit_days)
    elif "purchase_value" in persons and (persons["purchase_value"] > 0).any():
        notes.append("the CLV takes each customer's mean purchase revenue (first purchase "
                     "included) instead")
        out["expected_spend"] = persons["purchase_value"].to_numpy(dtype=np.float64)
        out["clv"] = tables.lifetime_value(fitted, out["expected_spend"].to_numpy(), persons,
                                           months=months, discount_rate=discount_rate,
                                           unit_days=unit_days)
    else:
        notes.append("no CLV: the purchases have no revenue")
        out["expected_spend"] = float("nan")
        out["clv"] = float("nan")
    if lost := int((~np.isfinite(out["expected_purchases"].to_numpy())).sum()):
        notes.append(f"the model gives no finite prediction for {lost} customers")
    if holdout_units <= 0:
        notes.append("no holdout: the calibration period reaches the end of the data "
                     "(give --calibration-end for the holdout diagnostic)")
    out = out.sort_values(["clv", "person_id"], ascending=[False, True], na_position="last",
                          kind="stable").reset_index(drop=True)
    held = tables.holdout_table(out) if holdout_units > 0 else tables.holdout_table(out.iloc[:0])
    values = out["clv"].to_numpy(dtype=np.float64)
    row = {
        "model": fitted.title, "unit": unit,
        "calibration_end": _EPOCH + dt.timedelta(days=calibration_end),
        "holdout_end": _EPOCH + dt.timedelta(days=holdout_end),
        "customers": len(out), "repeat_buyers": int((x > 0).sum()),
        "log_likelihood": fitted.log_likelihood, "mean_p_alive": float(out["p_alive"].mean()),
        "expected_purchases": float(out["expected_purchases"].sum()),
        "holdout_actual": float(out["holdout_frequency"].sum()) if holdout_units > 0 else None,
        "holdout_predicted": float(out["holdout_predicted"].sum()) if holdout_units > 0
        else None,
        "total_clv": float(np.nansum(values)) if np.isfinite(values).any() else None,
        "mean_clv": float(np.nanmean(values)) if np.isfinite(values).any() else None,
    }
    shown = [c for c in ("person_id", "persona", "channel", "cohort", "frequency", "recency",
                         "T", "monetary_value", "holdout_frequency", "p_alive",
                         "expected_purchases", "expected_spend", "clv") if c in out]
    return ClvResult(
        persons=out[shown],
        fit=tables.params_table(fitted, spend_model, len(out), int(buyers.sum())),
        holdout=held,
        calibration=tables.calibration_table(fitted, out),
        distribution=tables.distribution_table(values[np.isfinite(values)]),
        breakdown=tables.breakdown_table(out),
        summary=pd.DataFrame([row]),
        params={"horizon": horizon}, note="; ".join(notes),
    )


def attach(summary: pd.DataFrame, persona_names: dict[int, str] | None) -> pd.DataFrame:
    """The summary with each customer's ``cohort`` (first purchase month) and the name of
    their ``persona`` (from its id)."""
    out = summary.copy()
    first = pd.to_datetime(out["first_day"], unit="D")
    out["cohort"] = first.dt.strftime("%Y-%m").to_numpy()
    if "persona" in out:
        names = persona_names or {}
        out["persona"] = [None if p is None or pd.isna(p) else names.get(int(p), str(int(p)))
                          for p in out["persona"]]
    return out


def _attributes(journey: ir.Table, personas: ir.Table | None) -> ir.Table | None:
    """``person_id`` with ``channel`` (of the person's first event with a channel) and
    ``persona`` (when ``personas`` is given): joined to the summary in its query. The first
    event is the one with the lowest ``seq`` (a group-by and a join, no window)."""
    out: ir.Table | None = None
    if "channel" in journey.columns:
        touched = journey.filter(journey.channel.notnull())
        key = "seq" if "seq" in journey.columns else "timestamp"
        firsts = touched.group_by("person_id").agg(_first=touched[key].min())
        hit = touched.join(firsts, [touched.person_id == firsts.person_id,
                                    touched[key] == firsts._first])
        out = hit.group_by(hit.person_id).agg(channel=hit.channel.min())  # ties: first name
    if personas is not None:
        side = personas.select("person_id", "persona").distinct()
        if out is None:
            return side
        side = side.rename(_pid="person_id")
        joined = out.left_join(side, out.person_id == side._pid)
        out = joined.select("person_id", "channel", "persona")
    return out


# -- registry ---------------------------------------------------------------------------------
class ClvParams(Params):
    """Customer lifetime value: BG/NBD (or Pareto/NBD) and Gamma-Gamma, by maximum likelihood.

    Purchases are conversion events; several on one day count once (their revenue added).
    Per customer (first purchase on or before the calibration end): repeat purchases,
    recency and age in the time unit, P(alive), expected purchases in the next horizon
    units and the CLV: the expected revenue of the next months, discounted at an annual
    rate. With a calibration end before the end of the data, the holdout view compares
    predicted and actual purchases after it. Views: persons, params (fitted parameters and
    log-likelihood), holdout, calibration, distribution, breakdown (persona, acquisition
    channel, first-purchase month), summary.
    """

    calibration_end: dt.date | None = Field(
        None, description="Last day of the calibration period, YYYY-MM-DD (default: the last "
        "day of the data, no holdout).")
    unit: Literal["week", "day"] = Field("week", description="Time unit of recency, T and the "
                                         "horizon.")
    model: Literal["bgnbd", "pareto_nbd"] = Field("bgnbd", description="Purchase model.")
    horizon: int | None = Field(None, ge=1, le=10_000, description="Expected purchases in this "
                                "many units after the calibration end (default: 52 weeks or "
                                "365 days).")
    months: int = Field(12, ge=1, le=240, description="CLV horizon in months.")
    discount_rate: float = Field(0.1, ge=0, le=10, description="Annual discount rate of the "
                                 "CLV (0.1 = 10% a year).")


def _compute(inputs: Inputs, p: ClvParams) -> ClvResult:
    from wegweiser.analysis._persona_assign import after_purchase_phases, assign, roster

    journey = inputs.journey()
    memory = inputs.persona_memory()
    personas, names = None, None
    if memory:
        personas = assign(journey, memory, after_phases=after_purchase_phases(inputs.config))
        names = {int(r["id"]): str(r["name"]) for r in roster(memory)}
    return clv(journey, calibration_end=p.calibration_end, unit=p.unit, model=p.model,
               horizon=p.horizon, months=p.months, discount_rate=p.discount_rate,
               personas=personas, persona_names=names)


ANALYSIS = Analysis(
    name="clv",
    group="predict",
    params=ClvParams,
    compute=_compute,
    renumber=False,  # reads seq only as an order
    title=Words("Customer lifetime value", "Customer Lifetime Value"),
    summary=Words("What each customer is worth: repeat purchases, P(alive) and CLV",
                  "Was jeder Kunde wert ist: Wiederkäufe, P(aktiv) und CLV"),
    views={"persons": "persons", "params": "fit", "holdout": "holdout",
           "calibration": "calibration", "distribution": "distribution",
           "breakdown": "breakdown", "summary": "summary"},
    charts=(
        Chart("bar", "holdout", x="frequency", y=("actual", "predicted"),
              title=Words("Holdout: purchases per customer by calibration purchases",
                          "Holdout: Käufe je Kunde nach Käufen im Kalibrierungszeitraum")),
        Chart("bar", "distribution", x="clv_range", y="customers",
              title=Words("Customers by lifetime value", "Kunden nach Customer Lifetime Value")),
    ),
    report=True,
)
