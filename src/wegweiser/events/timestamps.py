"""Timestamps in SQL: typed values, ISO-8601 text, epochs and compact dates.

Without options a numeric value is an epoch in seconds, milliseconds or microseconds, told
apart by size, except an 8-digit ``YYYYMMDD`` (``19970101``) or 14-digit ``YYYYMMDDhhmmss``
number, which is a date: read as epoch seconds it would fall in 1970-1973, which no one
means. ``epoch_unit`` turns the guessing off (every number is an epoch in that unit);
``timestamp_format`` (strptime-style) is the only format accepted for text. The format is a
bound parameter (``$ts_format``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wegweiser.events.options import EPOCH_UNITS

if TYPE_CHECKING:
    from wegweiser.events.options import ImportOptions

NUMERIC = (
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
    "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE", "REAL",
)
#: 8 digits that look like a date of 1900..2099 (the day may still not exist: 19970230).
COMPACT_DATE = "(19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])"
COMPACT_DATETIME = COMPACT_DATE + "([01][0-9]|2[0-3])[0-5][0-9][0-5][0-9]"


def is_numeric(typ: str) -> bool:
    return typ in NUMERIC or typ.startswith("DECIMAL")


def is_typed_timestamp(typ: str) -> bool:
    """A column of this type is a timestamp already (read by a cast, never unparseable)."""
    return typ.startswith("TIMESTAMP") or typ == "DATE"


def _epoch(v: str, unit: str | None) -> str:
    """Epoch ``v`` (a DOUBLE) in ``unit``, or by magnitude, to TIMESTAMPTZ."""
    if unit is not None:
        scale = EPOCH_UNITS[unit]
        return f"CASE WHEN abs({v} / {scale}) < 9e12 THEN to_timestamp({v} / {scale}) END"
    return (
        f"CASE WHEN abs({v}) >= 1e17 THEN NULL "
        f"WHEN abs({v}) >= 1e14 THEN to_timestamp({v} / 1e6) "
        f"WHEN abs({v}) >= 1e11 THEN to_timestamp({v} / 1e3) "
        f"ELSE to_timestamp({v}) END"
    )


def _compact(s: str) -> str:
    return (
        f"CASE WHEN regexp_full_match({s}, '{COMPACT_DATE}') "
        f"THEN CAST(try_strptime({s}, '%Y%m%d') AS TIMESTAMPTZ) "
        f"ELSE CAST(try_strptime({s}, '%Y%m%d%H%M%S') AS TIMESTAMPTZ) END"
    )


def is_compact_sql(s: str) -> str:
    """True when text ``s`` is read as a compact date (for the reason of a bad one)."""
    return (
        f"(regexp_full_match({s}, '{COMPACT_DATE}') "
        f"OR regexp_full_match({s}, '{COMPACT_DATETIME}'))"
    )


def timestamp_sql(col: str, typ: str, options: ImportOptions) -> str:
    """TIMESTAMPTZ of input column ``col`` of type ``typ`` (NULL when it cannot be read)."""
    if is_typed_timestamp(typ):
        return f"CAST({col} AS TIMESTAMPTZ)"
    unit = options.epoch_unit
    if is_numeric(typ):
        v = f"CAST({col} AS DOUBLE)"
        if options.timestamp_format is not None:
            return _formatted(f"CAST(TRY_CAST({col} AS BIGINT) AS VARCHAR)")
        if unit is not None:
            return _epoch(v, unit)
        digits = f"CAST(TRY_CAST({col} AS BIGINT) AS VARCHAR)"
        return (
            f"CASE WHEN {v} = floor({v}) AND ({v} BETWEEN 19000101 AND 20991231 "
            f"OR {v} BETWEEN 19000101000000 AND 20991231235959) "
            f"THEN {_compact(digits)} ELSE {_epoch(v, None)} END"
        )
    s = f"trim(CAST({col} AS VARCHAR))"
    if options.timestamp_format is not None:
        return _formatted(s)
    number = f"regexp_full_match({s}, '-?[0-9]+(\\.[0-9]+)?')"
    epoch = _epoch(f"TRY_CAST({s} AS DOUBLE)", unit)
    # text with a ':' or a '-' after its first character is no number and no compact
    # date (the regexes below match digits only): read it as ISO-8601 without them
    iso = f"strpos({s}, '-') > 1 OR contains({s}, ':')"
    if unit is not None:
        return (
            f"CASE WHEN {iso} THEN TRY_CAST({s} AS TIMESTAMPTZ) "
            f"WHEN {number} THEN {epoch} ELSE TRY_CAST({s} AS TIMESTAMPTZ) END"
        )
    return (
        f"CASE WHEN {iso} THEN TRY_CAST({s} AS TIMESTAMPTZ) "
        f"WHEN {is_compact_sql(s)} THEN {_compact(s)} "
        f"WHEN {number} THEN {epoch} "
        f"ELSE TRY_CAST({s} AS TIMESTAMPTZ) END"
    )


def _formatted(s: str) -> str:
    return f"CAST(try_strptime({s}, $ts_format) AS TIMESTAMPTZ)"


def unparseable_reason(text: str, quoted: str, options: ImportOptions) -> str:
    """SQL for the reason of a timestamp ``text`` that gave NULL (``quoted``: it, quoted)."""
    if options.timestamp_format is not None:
        return (
            f"'timestamp ' || {quoted} || ' does not match --timestamp-format ' || "
            "'''' || $ts_format || ''' or is no valid date or time'"
        )
    hint = "' (use ISO-8601 or epoch seconds/milliseconds)'"
    t = f"trim({text})"
    day_month = (
        f"WHEN regexp_full_match({t}, '{_DAY_MONTH_YEAR}') THEN 'unparseable timestamp ' || "
        f"{quoted} || ' (day and month order is not guessed: pass --timestamp-format ''' || "
        f"{_suggested_format(t, day_first=True)} || ''' (day first) or ''' || "
        f"{_suggested_format(t, day_first=False)} || ''' (month first))' "
    )
    if options.epoch_unit is None:
        return (
            f"CASE WHEN {is_compact_sql(t)} THEN 'timestamp ' || {quoted} || "
            "' looks like a compact date YYYYMMDD but is no valid date; if it is an epoch, "
            "pass --epoch-unit s' "
            f"{day_month}"
            f"ELSE 'unparseable timestamp ' || {quoted} || {hint} END"
        )
    return f"CASE {day_month}ELSE 'unparseable timestamp ' || {quoted} || {hint} END"


# 14.09.2026, 09/14/2026 17:32, 1-2-2026 17:32:05: dates whose order of day and month is
# the exporter's convention, which the import does not guess.
_DAY_MONTH_YEAR = "[0-9]{1,2}[./-][0-9]{1,2}[./-][0-9]{4}( [0-9]{1,2}:[0-9]{2}(:[0-9]{2})?)?"


def _suggested_format(t: str, *, day_first: bool) -> str:
    """SQL: the strptime format of a ``_DAY_MONTH_YEAR`` text ``t``, with its separators."""
    first, second = ("%d", "%m") if day_first else ("%m", "%d")
    date = (
        f"regexp_replace({t}, '^[0-9]{{1,2}}([./-])[0-9]{{1,2}}([./-])[0-9]{{4}}', "
        f"'{first}\\1{second}\\2%Y')"
    )
    seconds = f"regexp_replace({date}, ' [0-9]{{1,2}}:[0-9]{{2}}:[0-9]{{2}}$', ' %H:%M:%S')"
    return f"regexp_replace({seconds}, ' [0-9]{{1,2}}:[0-9]{{2}}$', ' %H:%M')"
