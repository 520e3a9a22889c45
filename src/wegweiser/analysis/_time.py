"""Time arithmetic that gives the same numbers on every engine (internal).

Ibis' ``epoch_seconds`` is fractional on DuckDB but whole seconds on Spark, and
``delta(unit="microsecond")`` on DuckDB's ``TIMESTAMPTZ`` goes through calendar code (~0.6 s
per million values). ``epoch_us`` — microseconds since 1970-01-01 UTC as an integer — is exact
and cheap on both: DuckDB has it built in, and the Spark engine defines it as a SQL function
over Spark's ``unix_micros`` (:mod:`wegweiser.store.spark`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.datatypes as dt

if TYPE_CHECKING:
    import ibis.expr.types as ir

_MICROS = 1e6


def _epoch_us_fn(ts: Any) -> Any:
    """Microseconds since the epoch (a builtin of the engines, see the module docstring)."""


_epoch_us = ibis.udf.scalar.builtin(
    _epoch_us_fn, name="epoch_us", signature=((dt.Timestamp(timezone="UTC"),), dt.int64)
)


def epoch_us(ts: ir.TimestampValue) -> ir.IntegerValue:
    """Microseconds since 1970-01-01 UTC, as int64."""
    out: ir.IntegerValue = _epoch_us(ts)
    return out


def seconds(ts: ir.TimestampValue) -> ir.FloatingValue:
    """Seconds since 1970-01-01 UTC, as float64 (with the microseconds)."""
    out: ir.FloatingValue = epoch_us(ts).cast("float64") / _MICROS
    return out


def seconds_between(start: ir.TimestampValue, end: ir.TimestampValue) -> ir.FloatingValue:
    """``end - start`` in seconds, as float64 (exact to the microsecond)."""
    out: ir.FloatingValue = (epoch_us(end) - epoch_us(start)).cast("float64") / _MICROS
    return out
