"""The tables of the lifetime-value result, from the fitted models and the customer summary.

``frequency`` labels group customers by calibration repeat purchases ``0 .. TOP-1`` and
``TOP+`` (the tail), the way Fader, Hardie & Lee show their diagnostics.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from wegweiser.analysis.predict._btyd import BgNbd, ParetoNbd
    from wegweiser.analysis.predict._gamma_gamma import GammaGamma

TOP = 7
DAYS_PER_MONTH = 365.25 / 12
DIMENSIONS = ("persona", "channel", "cohort")


def frequency_label(x: np.ndarray) -> list[str]:
    return [f"{TOP}+" if v >= TOP else str(int(v)) for v in x]


def _labels() -> list[str]:
    return [*map(str, range(TOP)), f"{TOP}+"]


def holdout_table(persons: pd.DataFrame) -> pd.DataFrame:
    """Per calibration frequency: customers, mean actual and predicted holdout purchases."""
    grouped = persons.assign(frequency=frequency_label(persons["frequency"].to_numpy()))
    stats = grouped.groupby("frequency").agg(
        customers=("person_id", "size"), actual=("holdout_frequency", "mean"),
        predicted=("holdout_predicted", "mean"))
    frame = stats.reindex(_labels()).reset_index()
    frame["customers"] = frame["customers"].fillna(0).astype("int64")
    return frame[["frequency", "customers", "actual", "predicted"]]


def calibration_table(model: BgNbd | ParetoNbd, persons: pd.DataFrame) -> pd.DataFrame:
    """Customers per calibration frequency: actual and expected by the model (the sum of
    each customer's P(X(T) = x), both models have the formula); NaN without customers."""
    counts = pd.Series(frequency_label(persons["frequency"].to_numpy())).value_counts()
    frame = pd.DataFrame({"frequency": _labels()})
    frame["actual"] = [int(counts.get(label, 0)) for label in frame["frequency"]]
    if persons.empty:
        frame["expected"] = float("nan")
        return frame
    # one row per distinct T (customers who started on the same day share it)
    ts, n = np.unique(persons["T"].to_numpy(dtype=np.float64), return_counts=True)
    p = n @ model.count_probabilities(ts, TOP)
    frame["expected"] = [*p, len(persons) - float(p.sum())]
    return frame


def lifetime_value(model: BgNbd | ParetoNbd, spend: np.ndarray, persons: pd.DataFrame, *,
                   months: int, discount_rate: float, unit_days: float) -> np.ndarray:
    """Discounted value of each customer's expected purchases in the next ``months``:
    sum over months k of spend x expected purchases in month k / (1 + rate)^(k / 12)."""
    x, t_x, T = (persons[c].to_numpy(dtype=np.float64) for c in ("frequency", "recency", "T"))
    value = np.zeros(len(persons))
    before = np.zeros(len(persons))
    for k in range(1, months + 1):
        upto = model.expected(k * DAYS_PER_MONTH / unit_days, x, t_x, T)
        value += spend * (upto - before) / (1 + discount_rate) ** (k / 12)
        before = upto
    return value


def breakdown_table(persons: pd.DataFrame) -> pd.DataFrame:
    """Per persona, acquisition channel and cohort: customers and their predicted value."""
    parts = []
    for dim in DIMENSIONS:
        if dim not in persons or persons[dim].isna().all():
            continue
        g = persons.assign(value=persons[dim].fillna("(none)").astype(str)).groupby("value")
        part = g.agg(customers=("person_id", "size"),
                     repeat_buyers=("frequency", lambda f: int((f > 0).sum())),
                     p_alive=("p_alive", "mean"), expected_purchases=("expected_purchases", "sum"),
                     mean_clv=("clv", "mean"), total_clv=("clv", "sum")).reset_index()
        part.insert(0, "dimension", dim)
        parts.append(part)
    columns = ["dimension", "value", "customers", "repeat_buyers", "p_alive",
               "expected_purchases", "mean_clv", "total_clv"]
    if not parts:
        return pd.DataFrame({c: [] for c in columns})
    frame = pd.concat(parts, ignore_index=True)[columns]
    return frame.sort_values(["dimension", "value"], kind="stable").reset_index(drop=True)


def distribution_table(clv: np.ndarray, *, bins: int = 10) -> pd.DataFrame:
    """Customers by CLV range: ``bins`` ranges of one round width from 0 to the 99th
    percentile, the last open (``clv_range`` label, ``clv_from``, ``customers``)."""
    if len(clv) == 0:
        return pd.DataFrame({"clv_range": [], "clv_from": [], "customers": []})
    top = float(np.quantile(clv, 0.99)) if len(clv) > 1 else float(clv[0])
    width = _round_width(max(top, 1e-9) / bins)
    edges = [i * width for i in range(bins)]
    idx = np.minimum((np.maximum(clv, 0) // width).astype(int), bins - 1)
    counts = np.bincount(idx, minlength=bins)
    return pd.DataFrame({
        "clv_range": [f"{_num(lo)}-{_num(lo + width)}" if i < bins - 1 else f"{_num(lo)}+"
                      for i, lo in enumerate(edges)],
        "clv_from": edges,
        "customers": counts.astype("int64"),
    })


def _round_width(raw: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k at least ``raw``."""
    power = 10.0 ** math.floor(math.log10(raw))
    return float(next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw))


def _num(v: float) -> str:
    return f"{v:,.0f}" if v >= 10 or v == int(v) else f"{v:g}"


def params_table(model: BgNbd | ParetoNbd, spend: GammaGamma | None,
                 customers: int, buyers: int) -> pd.DataFrame:
    """Long table: ``model``, ``parameter``, ``value`` (with the log-likelihood and the
    number of customers each model was fitted on)."""
    rows = [(model.title, k, v) for k, v in model.params().items()]
    rows += [(model.title, "log_likelihood", model.log_likelihood),
             (model.title, "customers", float(customers))]
    if spend is not None:
        rows += [(spend.title, k, v) for k, v in spend.params().items()]
        rows += [(spend.title, "log_likelihood", spend.log_likelihood),
                 (spend.title, "customers", float(buyers))]
    return pd.DataFrame(rows, columns=["model", "parameter", "value"])
