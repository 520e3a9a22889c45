"""The per-customer purchase summary of the lifetime-value models, built on the engine.

Definitions (the ones of Fader, Hardie & Lee 2005 for the CDNOW data):

* A **purchase** is a conversion event (``is_conversion``); a **purchase day** is a UTC
  calendar day with at least one purchase of the person: several purchases on one day are
  one, their revenues added (a purchase without revenue adds 0).
* A **customer** is a person whose first purchase day is on or before the calibration end
  (a day, inclusive). ``frequency`` = their repeat purchase days in the calibration period
  (purchase days after the first), ``recency`` = first to last purchase day of the period,
  ``T`` = first purchase day to the calibration end, both in the time unit (day, or week of
  7 days). ``monetary_value`` = the mean revenue of their repeat purchase days in the
  period (0 without repeat purchases); ``purchase_value`` the mean revenue of all their
  purchase days in the period, the first included. ``holdout_frequency`` = their purchase days after
  the calibration end, up to the holdout end.
* ``first_day`` is the first purchase day (days since 1970-01-01).

Everything up to one row per customer is one Ibis group-by (it runs on DuckDB and Spark);
the division into units is done on that small table.

>>> import ibis
>>> from datetime import datetime, UTC
>>> j = ibis.memtable({"person_id": ["a", "a", "a", "b"], "is_conversion": [True] * 4,
...     "revenue": [5.0, 7.0, 3.0, 1.0], "timestamp": [datetime(2026, 1, d, 9, tzinfo=UTC)
...     for d in (1, 1, 8, 2)]})
>>> s = purchase_summary(j, calibration_end=20468, holdout_end=20468, unit="day")
>>> s[["person_id", "frequency", "recency", "T", "monetary_value"]].values.tolist()
[['a', 1, 7.0, 14.0, 3.0], ['b', 0, 0.0, 13.0, 0.0]]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis
import pandas as pd

from wegweiser.analysis.result import to_frame
from wegweiser.analysis.retention import day_index

if TYPE_CHECKING:
    import ibis.expr.types as ir

UNIT_DAYS = {"day": 1.0, "week": 7.0}
_AGGREGATES = ("person_id", "first_day", "last_day", "n", "repeat_spend", "spend",
               "holdout_frequency")
SUMMARY_COLUMNS = ("person_id", "first_day", "frequency", "recency", "T", "monetary_value",
                   "purchase_value", "holdout_frequency")


def purchase_days(journey: ir.Table) -> ir.Table:
    """``person_id``, ``day`` (days since 1970), ``spend``: one row per purchase day."""
    buys = journey.filter(journey.is_conversion)
    buys = buys.mutate(day=day_index(buys.timestamp), spend=buys.revenue.cast("float64"))
    return buys.group_by("person_id", "day").agg(spend=buys.spend.coalesce(0.0).sum())


def purchase_summary(
    journey: ir.Table, *, calibration_end: int, holdout_end: int, unit: str = "week",
    attributes: ir.Table | None = None,
) -> pd.DataFrame:
    """One row per customer (see the module docstring), sorted by ``person_id``;
    ``calibration_end`` and ``holdout_end`` are day numbers (inclusive). ``attributes``
    (``person_id`` and more columns, one row per person) are joined in the same query."""
    per = summary_table(journey, calibration_end=calibration_end, holdout_end=holdout_end)
    if attributes is not None:
        extra = attributes.rename(_person="person_id")
        joined = per.left_join(extra, per.person_id == extra._person)
        per = joined.drop("_person")
    frame = to_frame(per.order_by("person_id"))
    out = summarise(frame, calibration_end=calibration_end, unit=unit)
    for column in [c for c in frame.columns if c not in _AGGREGATES]:
        out[column] = frame[column].to_numpy()
    return out


def summary_table(journey: ir.Table, *, calibration_end: int, holdout_end: int) -> ir.Table:
    """The per-person aggregates :func:`summarise` reads, as an Ibis expression."""
    days = purchase_days(journey)
    days = days.mutate(first_day=days.day.min().over(group_by="person_id"))
    days = days.filter(days.first_day <= calibration_end)
    cal = days.day <= calibration_end
    held = (days.day > calibration_end) & (days.day <= holdout_end)
    per = days.group_by("person_id").agg(
        first_day=days.first_day.min(),
        last_day=ibis.ifelse(cal, days.day, ibis.null().cast("int64")).max(),
        n=cal.cast("int64").sum(),
        repeat_spend=ibis.ifelse(cal & (days.day > days.first_day), days.spend, 0.0).sum(),
        spend=ibis.ifelse(cal, days.spend, 0.0).sum(),
        holdout_frequency=held.cast("int64").sum(),
    )
    return per


def summarise(frame: pd.DataFrame, *, calibration_end: int, unit: str) -> pd.DataFrame:
    """The model columns from ``first_day``, ``last_day``, ``n`` (calibration purchase
    days), ``repeat_spend``, ``spend`` and ``holdout_frequency`` per person."""
    scale = UNIT_DAYS[unit]
    frequency = frame["n"].astype("int64") - 1
    first = frame["first_day"].astype("int64")
    out = pd.DataFrame({
        "person_id": frame["person_id"].astype(str).to_numpy(),
        "first_day": first.to_numpy(),
        "frequency": frequency.to_numpy(),
        "recency": ((frame["last_day"].astype("int64") - first) / scale).to_numpy(),
        "T": ((calibration_end - first) / scale).to_numpy(dtype="float64"),
        "monetary_value": (frame["repeat_spend"].astype("float64")
                           / frequency.where(frequency > 0)).fillna(0.0).to_numpy(),
        "purchase_value": (frame["spend"].astype("float64") / (frequency + 1)).to_numpy(),
        "holdout_frequency": frame["holdout_frequency"].fillna(0).astype("int64").to_numpy(),
    })
    return out.reset_index(drop=True)
