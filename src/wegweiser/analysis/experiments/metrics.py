"""Experiment metrics, defined once and computed on the engine (Ibis: DuckDB and Spark).

Each exposed person is measured from their first exposure ``e`` (see
:mod:`~wegweiser.analysis.experiments.assignments`). With the conversion ``window`` ``W``
(times as microseconds since the epoch, so exact on both engines):

* ``converted`` -- 1 when the person has a conversion event in ``[e, e + W)``;
* ``orders`` -- their conversion events in ``[e, e + W)``; ``revenue`` -- the sum of
  ``revenue`` of their events in ``[e, e + W)``;
* ``retained`` -- 1 when they have any event in ``[e + N days, e + (N + 1) days)``
  (``retention_day`` N);
* ``touchpoints`` -- their events (exposure events not counted) in ``[e, c)`` where ``c`` is
  their first conversion in the window; 0 for non-converters.

Per-person metrics are *means* over exposed persons (``revenue`` per person, ``orders``) or
*proportions* (``conversion``, ``retention``); *ratios* divide two per-person sums:
``revenue_per_order`` = revenue / orders, ``touchpoints_to_convert`` = touchpoints /
converters (the seed's "touchpoints needed for a conversion"), both by the delta method.
Data end early for persons exposed late: their windows are cut at the data's end, alike in
every arm, so the comparison stays fair while the levels are lower.

Pre-exposure covariates for CUPED use ``[e - P, e)`` (``pre_window`` P): ``pre_converted``,
``pre_orders``, ``pre_revenue``, ``pre_active`` (any event) -- each metric's own history,
the covariate with the highest correlation in practice.

:func:`variant_sums` returns one row per variant with ``n`` and, per metric,
``<metric>__s_y``, ``__s_yy``, ``__s_x``, ``__s_xx``, ``__s_xy`` (``x`` = covariate or
denominator) -- the aggregates :mod:`~wegweiser.analysis.experiments.stats` reads; a ratio
with a pre-exposure ratio (``revenue_per_order``: ``pre_revenue / pre_orders``) adds
``__s_u``, ``__s_v`` and the products of :data:`PRE_PRODUCTS` for its CUPED.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import ibis

from wegweiser.analysis._time import epoch_us
from wegweiser.analysis.experiments.assignments import EXPOSURE_EVENTS

if TYPE_CHECKING:
    from datetime import timedelta

    import ibis.expr.types as ir
    import pandas as pd

_DAY_US = 86_400_000_000
#: the sums of products a ratio with a pre-exposure ratio adds (``y, x`` numerator and
#: denominator, ``u, v`` before exposure): ``<metric>__s_uu``, ...
PRE_PRODUCTS = (("u", "u"), ("v", "v"), ("u", "v"), ("y", "u"), ("y", "v"), ("x", "u"), ("x", "v"))


@dataclass(frozen=True)
class Metric:
    """A metric: ``kind``, its per-person column ``y`` and ``x`` (covariate of a mean or
    proportion; denominator of a ratio), which direction is good, and for a ratio the
    pre-exposure numerator and denominator ``pre`` (its CUPED covariate, :mod:`.ratio_cuped`)."""

    kind: Literal["proportion", "mean", "ratio"]
    y: str
    x: str
    higher_is_better: bool = True
    pre: tuple[str, str] | None = None


METRICS: dict[str, Metric] = {
    "conversion": Metric("proportion", "converted", "pre_converted"),
    "revenue": Metric("mean", "revenue", "pre_revenue"),
    "orders": Metric("mean", "orders", "pre_orders"),
    "retention": Metric("proportion", "retained", "pre_active"),
    "revenue_per_order": Metric("ratio", "revenue", "orders", pre=("pre_revenue", "pre_orders")),
    "touchpoints_to_convert": Metric("ratio", "touchpoints", "converted", higher_is_better=False),
}
PERSON_COLUMNS = (
    "converted",
    "orders",
    "revenue",
    "retained",
    "touchpoints",
    "pre_converted",
    "pre_orders",
    "pre_revenue",
    "pre_active",
)


def _us(span: timedelta) -> int:
    return round(span.total_seconds() * 1_000_000)


def person_metrics(
    journey: ir.Table,
    exposures: ir.Table,
    *,
    conversion: ir.BooleanValue,
    window: timedelta,
    retention_day: int = 7,
    pre_window: timedelta,
) -> ir.Table:
    """One row per exposed person: ``variant``, ``exposed_at`` and :data:`PERSON_COLUMNS`.

    ``conversion`` flags the journey's conversion events (an expression over ``journey``).
    Persons without events (from an assignments file) count with zeros.
    """
    w_us, p_us = _us(window), _us(pre_window)
    lo, hi = retention_day * _DAY_US, (retention_day + 1) * _DAY_US
    ev = journey.select(
        person_id=journey.person_id,
        t_us=epoch_us(journey.timestamp),
        conv=conversion.fill_null(False),
        rev=journey.revenue.cast("float64").fill_null(0.0),
        touch=~journey.event.isin(list(EXPOSURE_EVENTS)),
    )
    ex = exposures.select("person_id", "variant", e_us=epoch_us(exposures.exposed_at))
    j = ex.left_join(ev, ex.person_id == ev.person_id)
    d = j.t_us - j.e_us
    post = (d >= 0) & (d < w_us)
    pre = (d < 0) & (d >= -p_us)
    conv_post = post & j.conv
    zero_i, zero_f = ibis.literal(0), ibis.literal(0.0)
    per = j.group_by(j.person_id, j.variant, j.e_us).agg(
        first_conv=ibis.ifelse(conv_post, j.t_us, ibis.null().cast("int64")).min(),
        orders=ibis.ifelse(conv_post, 1, zero_i).sum().fill_null(0),
        revenue=ibis.ifelse(post, j.rev, zero_f).sum().fill_null(0.0),
        retained=ibis.ifelse((d >= lo) & (d < hi), 1, zero_i).max().fill_null(0),
        pre_converted=ibis.ifelse(pre & j.conv, 1, zero_i).max().fill_null(0),
        pre_orders=ibis.ifelse(pre & j.conv, 1, zero_i).sum().fill_null(0),
        pre_revenue=ibis.ifelse(pre, j.rev, zero_f).sum().fill_null(0.0),
        pre_active=ibis.ifelse(pre, 1, zero_i).max().fill_null(0),
    )
    # touchpoints: a second pass, now that each person's first conversion is known
    conv_at = per.select("person_id", "first_conv", e_at=per.e_us).filter(per.first_conv.notnull())
    k = conv_at.join(ev, conv_at.person_id == ev.person_id)
    k = k.filter((k.t_us >= k.e_at) & (k.t_us < k.first_conv) & k.touch)
    touches = k.group_by(k.person_id).agg(touchpoints=k.count())
    out = per.left_join(touches, per.person_id == touches.person_id)
    return out.select(
        "person_id",
        "variant",
        e_us=out.e_us,
        converted=ibis.ifelse(out.first_conv.notnull(), 1, 0),
        conv_us=out.first_conv,
        orders=out.orders,
        revenue=out.revenue,
        retained=out.retained,
        touchpoints=out.touchpoints.fill_null(0).cast("int64"),
        pre_converted=out.pre_converted,
        pre_orders=out.pre_orders,
        pre_revenue=out.pre_revenue,
        pre_active=out.pre_active,
    )


def variant_sums(
    persons: ir.Table, metrics: dict[str, Metric] | None = None, *, by_day: bool = False
) -> ir.Table:
    """One row per variant: ``n`` and the sums of each metric (see the module docstring).

    With ``by_day`` one row per variant, ``exposed_day`` and ``converted_day`` (as in
    :func:`conversion_by_day`): the sums add up to the variant's, and the same query also
    feeds the sequential chart (:func:`totals` adds them up).
    """
    keys: list[Any] = ["variant"]
    if by_day:
        persons = _with_days(persons)
        keys += ["exposed_day", "converted_day"]
    cols: dict[str, ir.Value] = {"n": persons.count()}
    for name, m in (metrics or METRICS).items():
        y, x = persons[m.y].cast("float64"), persons[m.x].cast("float64")
        cols.update(
            {
                f"{name}__s_y": y.sum(),
                f"{name}__s_yy": (y * y).sum(),
                f"{name}__s_x": x.sum(),
                f"{name}__s_xx": (x * x).sum(),
                f"{name}__s_xy": (x * y).sum(),
            }
        )
        if m.pre is not None:  # a ratio's pre-exposure ratio u / v and every product
            u, v = (persons[c].cast("float64") for c in m.pre)
            named = {"y": y, "x": x, "u": u, "v": v}
            cols[f"{name}__s_u"], cols[f"{name}__s_v"] = u.sum(), v.sum()
            for a, b in PRE_PRODUCTS:
                cols[f"{name}__s_{a}{b}"] = (named[a] * named[b]).sum()
    return persons.group_by(*keys).agg(**cols)


def totals(by_day: pd.DataFrame) -> pd.DataFrame:
    """The per-variant sums of a :func:`variant_sums` ``by_day`` result."""
    sums = by_day.drop(columns=["exposed_day", "converted_day"])
    return sums.groupby("variant", as_index=False).sum()


def _with_days(persons: ir.Table) -> ir.Table:
    return persons.mutate(
        exposed_day=(persons.e_us // _DAY_US).cast("int64"),
        converted_day=(persons.conv_us // _DAY_US).cast("int64"),
    )


def conversion_by_day(persons: ir.Table) -> ir.Table:
    """``(variant, exposed_day, converted_day, persons)``: day numbers (UTC, since 1970) of
    exposure and of the first conversion in the window (NULL: none) -- enough to replay the
    conversion metric as it looked at the end of every day (the sequential chart)."""
    t = _with_days(persons)
    return t.group_by("variant", "exposed_day", "converted_day").agg(persons=t.count())
