"""Normalise and validate one batch of input rows in SQL.

:func:`staging_sql` turns a source relation (the input's own column names plus ``_line``)
into the ``events`` columns plus ``_line`` and ``_error``
(every reason a row is rejected, ``; ``-separated, NULL for a good row). All user-supplied
values (regexes, limits, blocked ids) are bound parameters; input column names are quoted.

Rules, in the words of the docs:

* ``type`` defaults to ``track``; it must be one of the Segment types.
* A row needs ``anonymous_id`` or ``user_id``; blocked values (``identity.blocked_ids``)
  count as missing. ``alias`` needs ``previous_id`` and ``user_id``; ``track`` an ``event``.
* ``timestamp``: ISO-8601 (a zone offset or ``Z``; without one it is UTC), or epoch seconds,
  milliseconds or microseconds (told apart by size); stored as UTC; 1970..2100.
* ``properties``, ``context`` and ``traits`` must be JSON objects; together at most
  ``ingest.max_payload_bytes`` bytes. Input columns that are not event fields are added to
  ``properties``.
* Missing touchpoint fields are taken from ``context``/``properties`` as Segment sends them
  (``context.campaign.*``, ``utm_*`` in ``properties`` or in the page URL's query, decoded,
  ``context.page.referrer``, user agent, locale).
* A row without ``message_id`` gets ``d`` + the MD5 of its content, so re-imports dedup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wegweiser.events.channels import REFERRER_HOST_SQL
from wegweiser.events.options import ImportOptions
from wegweiser.events.timestamps import (
    is_numeric,
    is_typed_timestamp,
    timestamp_sql,
    unparseable_reason,
)
from wegweiser.store.engine import quote_identifier
from wegweiser.store.schema import EVENT_TYPES, JSON_COLUMNS, canonical_key

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from wegweiser.config import Config

_STRING_COLUMNS = (
    "message_id",
    "type",
    "event",
    "name",
    "anonymous_id",
    "user_id",
    "previous_id",
    "group_id",
    "channel",
    "source",
    "medium",
    "campaign",
    "content",
    "term",
    "referrer",
    "device",
    "platform",
    "country",
    "currency",
)
_ID_COLUMNS = ("anonymous_id", "user_id", "previous_id")
#: Prefix of the columns that carry ``--map field='constant'`` values.
CONST_PREFIX = "__wegweiser_const_"
#: Event fields hashed into a content-derived ``message_id`` (every field that carries
#: meaning; not ``received_at``, which is the time of the import when the input has none).
_ID_FIELDS = (
    "m_type", "m_event", "w_name", "b_anonymous_id", "b_user_id", "b_previous_id",
    "w_group_id", "CAST(epoch_us(w_ts) AS VARCHAR)", "m_channel", "m_source", "m_medium",
    "m_campaign", "m_content", "m_term", "m_referrer", "m_device", "lower(w_platform)",
    "m_country", "CAST(m_revenue AS VARCHAR)", "m_currency", "m_properties", "w_context",
    "w_traits",
)


@dataclass(frozen=True)
class ColumnPlan:
    """Which input column feeds each event column, and which extra columns there are."""

    sources: dict[str, tuple[str, str]]  # event column -> (input column, its type)
    extras: list[str]
    has_raw: bool
    constants: dict[str, str]  # event column -> the value every row gets
    has_row: bool = False  # the input numbers its rows in ``_row`` (several per ``_line``)


def plan_columns(
    columns: Mapping[str, str],
    mapping: Mapping[str, str],
    constants: Mapping[str, str] | None = None,
) -> ColumnPlan:
    """Match input columns to event columns: constants, the mapping, then canonical names.

    An input column whose field is set by a constant is left out.
    """
    constants = dict(constants or {})
    by_source = {src: target for target, src in mapping.items()}
    sources: dict[str, tuple[str, str]] = {
        target: (CONST_PREFIX + target, "VARCHAR") for target in constants
    }
    extras: list[str] = []
    known = {
        *_STRING_COLUMNS,
        *JSON_COLUMNS,
        "timestamp",
        "received_at",
        "revenue",
        "original_timestamp",
    }
    for name, typ in columns.items():
        if name in ("_line", "_raw", "_row"):
            continue
        target = by_source.get(name) or canonical_key(name)
        if target in constants:
            continue
        if target in known and target not in sources:
            sources[target] = (name, typ.upper())
        else:
            extras.append(name)
    return ColumnPlan(sources, extras, "_raw" in columns, constants, "_row" in columns)


def _with_constants(relation: str, plan: ColumnPlan, params: dict[str, Any]) -> str:
    if not plan.constants:
        return relation
    cols = []
    for i, (target, value) in enumerate(sorted(plan.constants.items())):
        params[f"const_{i}"] = value
        cols.append(f"CAST($const_{i} AS VARCHAR) AS {quote_identifier(CONST_PREFIX + target)}")
    return f"(SELECT *, {', '.join(cols)} FROM {relation})"


def _revenue_text(col: str, options: ImportOptions) -> str:
    """Trimmed revenue text with a decimal comma turned into a point (``1.234,56``)."""
    text = f"trim(CAST({col} AS VARCHAR))"
    if options.decimal == ",":
        text = f"replace(replace(replace({text}, ' ', ''), '.', ''), ',', '.')"
    return text


def _comma_hint(options: ImportOptions) -> str:
    """SQL appended to the reason of a revenue like ``197,03`` read with a decimal point."""
    if options.decimal == ",":
        return ""
    return (
        " || CASE WHEN regexp_full_match(w_revenue_text, '-?[0-9.]*[0-9],[0-9]+') "
        "THEN ' (a decimal comma? pass --decimal ,)' ELSE '' END"
    )


def _json_text(col: str, typ: str) -> str:
    if typ.startswith(("STRUCT", "MAP")) or typ.endswith("[]"):
        return f"CAST(to_json({col}) AS VARCHAR)"
    return f"nullif(trim(CAST({col} AS VARCHAR)), '')"


def _quote_msg(expr: str) -> str:
    return f"'''' || left({expr}, 80) || ''''"


def staging_sql(
    relation: str, plan: ColumnPlan, config: Config, options: ImportOptions | None = None,
    *, flag_hints: bool = True, channel_keys: bool = False,
) -> tuple[str, dict[str, Any]]:
    """A ``SELECT`` over ``relation`` giving event columns, ``_line``, ``_row`` (the row's
    key for its raw payload, see :func:`raw_sql`) and ``_error``. ``flag_hints``: reasons
    may name the import option that would read the value (``--decimal ,``); False for
    collected events, which have no such option (their reasons match the collector's
    validator). ``channel_keys``: only what the channel rules read (``medium, source,
    referrer_host, event, platform, channel``) of every row, good or bad — no checks, no
    blocked-id lookups (DuckDB keeps those joins even when nothing reads them)."""
    options = options or ImportOptions()
    src = plan.sources
    params: dict[str, Any] = {
        "blocked": [b.strip().lower() for b in config.identity.blocked_ids],
        "max_bytes": config.ingest.max_payload_bytes,
        "types": list(EVENT_TYPES),
    }
    if options.timestamp_format is not None:
        params["ts_format"] = options.timestamp_format
    relation = _with_constants(relation, plan, params)
    if channel_keys:
        relation = _distinct_keys(relation, plan)

    def col(name: str) -> str | None:
        return quote_identifier(src[name][0]) if name in src else None

    # -- layer 1: input columns to trimmed text / typed values --------------------------
    l1: list[str] = []
    for name in _STRING_COLUMNS:
        c = col(name)
        l1.append(
            f"nullif(trim(CAST({c} AS VARCHAR)), '') AS w_{name}"
            if c
            else f"CAST(NULL AS VARCHAR) AS w_{name}"
        )
    for name in JSON_COLUMNS:
        c = col(name)
        l1.append(
            f"{_json_text(c, src[name][1])} AS w_{name}"
            if c
            else f"CAST(NULL AS VARCHAR) AS w_{name}"
        )
    ts_col = col("timestamp") or col("original_timestamp")
    ts_key = "timestamp" if col("timestamp") else "original_timestamp"
    # typed timestamps (Parquet, Arrow) are missing exactly when NULL: no text per row
    ts_typed = bool(ts_col) and all(
        is_typed_timestamp(src[k][1]) for k in ("timestamp", "original_timestamp") if k in src
    )
    if ts_col:
        l1.append(f"CAST({ts_col} AS VARCHAR) AS w_ts_text")
        l1.append(f"{timestamp_sql(ts_col, src[ts_key][1], options)} AS w_ts")
        if col("timestamp") and col("original_timestamp"):
            fallback = col("original_timestamp")
            l1[-2] = f"CAST(coalesce({ts_col}, {fallback}) AS VARCHAR) AS w_ts_text"
            l1[-1] = (
                f"coalesce({timestamp_sql(ts_col, src['timestamp'][1], options)}, "
                f"{timestamp_sql(str(fallback), src['original_timestamp'][1], options)}) AS w_ts"
            )
        if ts_typed:
            l1[-2] = "CAST(NULL AS VARCHAR) AS w_ts_text"
    else:
        l1 += ["CAST(NULL AS VARCHAR) AS w_ts_text", "CAST(NULL AS TIMESTAMPTZ) AS w_ts"]
    rc = col("received_at")
    l1.append(
        f"{timestamp_sql(rc, src['received_at'][1], ImportOptions())} AS w_received_at"
        if rc
        else "CAST(NULL AS TIMESTAMPTZ) AS w_received_at"
    )
    rev = col("revenue")
    if rev and is_numeric(src["revenue"][1]):
        # a NaN in a float column is how pandas and Arrow writers often say "missing"
        l1 += [
            f"CASE WHEN NOT isnan(CAST({rev} AS DOUBLE)) THEN CAST({rev} AS DOUBLE) END "
            "AS w_revenue",
            f"CASE WHEN isinf(CAST({rev} AS DOUBLE)) THEN CAST({rev} AS VARCHAR) END "
            "AS w_revenue_text",
        ]
    elif rev:
        text = _revenue_text(rev, options)
        l1 += [
            f"TRY_CAST({text} AS DOUBLE) AS w_revenue",
            f"nullif(trim(CAST({rev} AS VARCHAR)), '') AS w_revenue_text",
        ]
    else:
        l1 += ["CAST(NULL AS DOUBLE) AS w_revenue", "CAST(NULL AS VARCHAR) AS w_revenue_text"]
    if plan.extras:
        pack = ", ".join(f"{quote_identifier(e)} := {quote_identifier(e)}" for e in plan.extras)
        l1.append(f"CAST(to_json(struct_pack({pack})) AS VARCHAR) AS w_extras")
    else:
        l1.append("CAST(NULL AS VARCHAR) AS w_extras")
    l1.append("_line")
    l1.append("_row" if plan.has_row else "_line AS _row")

    # -- layer 2: JSON validity, blocked ids, derived fields ------------------------------
    # CASE, not AND: DuckDB evaluates both sides of AND, and json_type fails on bad JSON;
    # valid JSON that starts with "{" is an object (one parse instead of two)
    ok = {
        j: f"(CASE WHEN w_{j} IS NULL THEN FALSE WHEN starts_with(w_{j}, '{{') "
        f"THEN json_valid(w_{j}) WHEN json_valid(w_{j}) "
        f"THEN json_type(w_{j}) = 'OBJECT' ELSE FALSE END)"
        for j in JSON_COLUMNS
    }
    props = (
        "CASE WHEN w_extras IS NULL THEN w_properties "
        "WHEN w_properties IS NULL THEN w_extras "
        "WHEN ok_properties THEN CAST(json_merge_patch(w_extras, w_properties) AS VARCHAR) "
        "ELSE w_properties END"
    )
    l2m = ["*", f"{props} AS m_properties"]
    l2: list[str] = ["*"]
    for name in _ID_COLUMNS:
        l2.append(
            f"w_{name} AS b_{name}"
            if channel_keys
            else f"CASE WHEN list_contains($blocked, lower(w_{name})) THEN NULL "
            f"ELSE w_{name} END AS b_{name}"
        )
    l2.append("coalesce(lower(w_type), 'track') AS m_type")
    l2 += [f"{ok[j]} AS ok_{j}" for j in JSON_COLUMNS]

    # -- layer 3: touchpoint fields from context / properties ----------------------------
    # each JSON column is parsed once per row for all the paths read from it (layer 2b)
    ctx_paths: list[str] = []
    prop_paths: list[str] = []

    def ctx(path: str) -> str:
        if path not in ctx_paths:
            ctx_paths.append(path)
        return f"x_context[{ctx_paths.index(path) + 1}]"

    def prop(path: str) -> str:
        if path not in prop_paths:
            prop_paths.append(path)
        return f"x_properties[{prop_paths.index(path) + 1}]"

    def given(name: str, fallback: Callable[[], str]) -> str:
        """The input column when the input has it (fast path), else the Segment fallback.

        Records (JSON) carry every column, mostly empty, so they always fall back per row.
        ``fallback`` is called only when it is used: the JSON paths it reads are extracted
        only then (each path costs per row).
        """
        if name in src and not plan.has_raw:
            return f"w_{name}"
        return f"coalesce(w_{name}, {fallback()})"

    def utm(field: str, ctx_field: str) -> str:
        # Segment's context.campaign.name is utm_campaign in a URL and in properties
        param = "utm_" + field

        def fallback() -> str:
            url = f"coalesce({ctx('$.page.url')}, {prop('$.url')})"
            from_url = f"regexp_extract({url}, '[?&]{param}=([^&#]*)', 1)"
            return (
                f"coalesce({ctx('$.campaign.' + ctx_field)}, {prop('$.' + param)}, "
                f"nullif(url_decode(replace({from_url}, '+', ' ')), ''))"
            )

        return f"nullif({given(field, fallback)}, '')"

    def device_fallback() -> str:
        ua = ctx("$.userAgent")
        return (
            f"coalesce(CASE WHEN {ua} IS NULL THEN NULL "
            f"WHEN regexp_matches({ua}, 'iPad|Tablet') THEN 'tablet' "
            f"WHEN regexp_matches({ua}, 'Mobi|Android|iPhone') THEN 'mobile' ELSE 'desktop' END, "
            f"CASE WHEN lower({ctx('$.device.type')}) IN ('ios', 'android') THEN 'mobile' END)"
        )

    def country_fallback() -> str:
        return (
            f"coalesce({ctx('$.location.country')}, "
            f"nullif(regexp_extract({ctx('$.locale')}, '[-_]([A-Za-z]{{2}})$', 1), ''))"
        )

    def referrer_fallback() -> str:
        return f"coalesce({ctx('$.page.referrer')}, {prop('$.referrer')})"

    def revenue_fallback() -> str:
        return (
            f"coalesce(TRY_CAST({prop('$.revenue')} AS DOUBLE), "
            f"TRY_CAST({prop('$.total')} AS DOUBLE))"
        )
    default_event = (
        "CASE m_type WHEN 'page' THEN 'page_view' WHEN 'screen' THEN 'screen_view' "
        "WHEN 'track' THEN NULL ELSE m_type END"
    )
    l3 = [
        "*",
        f"coalesce(w_event, {default_event}) AS m_event",
        "lower(replace(trim(w_channel), ' ', '_')) AS m_channel",
        f"lower({utm('source', 'source')}) AS m_source",
        f"lower({utm('medium', 'medium')}) AS m_medium",
        f"{utm('campaign', 'name')} AS m_campaign",
        f"{utm('content', 'content')} AS m_content",
        f"{utm('term', 'term')} AS m_term",
        f"{given('referrer', referrer_fallback)} AS m_referrer",
        f"lower({given('device', device_fallback)}) AS m_device",
        f"upper({given('country', country_fallback)}) AS m_country",
        f"{given('revenue', revenue_fallback)} AS m_revenue",
        f"upper({given('currency', lambda: prop('$.currency'))}) AS m_currency",
    ]

    merged_ok = "CASE WHEN w_properties IS NULL THEN w_extras IS NOT NULL ELSE ok_properties END"
    l2b = [
        "*",
        _extract("ok_context", "w_context", ctx_paths, "x_context"),
        _extract(merged_ok, "m_properties", prop_paths, "x_properties"),
    ]

    # -- layer 4: reasons -----------------------------------------------------------------
    size = " + ".join(
        f"coalesce(strlen({x}), 0)" for x in ("m_properties", "w_context", "w_traits")
    )
    # (condition, reason): a row is bad when a condition is TRUE; the reasons (text) are
    # built for bad rows only
    ts_missing = "w_ts IS NULL" if ts_typed else "w_ts_text IS NULL OR trim(w_ts_text) = ''"
    ts_range = "w_ts < TIMESTAMPTZ '1970-01-02' OR w_ts >= TIMESTAMPTZ '2100-01-01'"
    ts_unparsed = (
        "'missing timestamp'"
        if ts_typed
        else unparseable_reason("w_ts_text", _quote_msg("trim(w_ts_text)"), options)
    )
    checks = [
        (
            "NOT list_contains($types, m_type)",
            f"'unknown type ' || {_quote_msg('m_type')} "
            "|| ' (expected track, identify, page, screen, group or alias)'",
        ),
        (
            "b_anonymous_id IS NULL AND b_user_id IS NULL",
            "'missing ids: neither anonymous_id nor user_id is set' || CASE "
            "WHEN coalesce(w_anonymous_id, w_user_id) IS NOT NULL THEN ' (' || "
            + _quote_msg("coalesce(w_user_id, w_anonymous_id)")
            + " || ' is a blocked id value, see identity.blocked_ids)' ELSE '' END",
        ),
        (
            "m_type = 'alias' AND (b_previous_id IS NULL OR b_user_id IS NULL)",
            "'alias needs both previous_id and user_id'",
        ),
        ("m_type = 'track' AND m_event IS NULL", "'track event without an event name'"),
        (
            f"{ts_missing} OR w_ts IS NULL OR {ts_range}",
            f"CASE WHEN {ts_missing} THEN 'missing timestamp' WHEN w_ts IS NULL THEN "
            f"{ts_unparsed} WHEN {ts_range} THEN 'timestamp out of range: ' || "
            "CAST(w_ts AS VARCHAR) END",
        ),
        (
            "(w_revenue_text IS NOT NULL AND w_revenue IS NULL) "
            "OR isnan(m_revenue) OR isinf(m_revenue)",
            "CASE WHEN w_revenue_text IS NOT NULL AND w_revenue IS NULL "
            "THEN 'revenue is not a number: ' || "
            + _quote_msg("w_revenue_text")
            + (_comma_hint(options) if flag_hints else "")
            + " "
            "ELSE 'revenue is not a finite number: ' || "
            + _quote_msg("coalesce(w_revenue_text, CAST(m_revenue AS VARCHAR))")
            + " END",
        ),
        *(
            (
                f"w_{j} IS NOT NULL AND NOT ok_{j}",
                f"'{j} is not a JSON object: ' || {_quote_msg('w_' + j)}",
            )
            for j in JSON_COLUMNS
        ),
        (
            f"{size} > $max_bytes",
            f"'oversized payload: ' || CAST({size} AS VARCHAR) "
            "|| ' bytes, more than ingest.max_payload_bytes = ' || CAST($max_bytes AS VARCHAR)",
        ),
    ]
    bad = " OR ".join(f"coalesce({cond}, FALSE)" for cond, _ in checks)
    reasons = ", ".join(f"CASE WHEN {cond} THEN {why} END" for cond, why in checks)
    error = f"CASE WHEN {bad} THEN nullif(concat_ws('; ', {reasons}), '') END"
    referrer_host = f"{REFERRER_HOST_SQL.format(col='m_referrer')} AS referrer_host"
    # to_json of a list: NULL and '' and a separator inside a value stay distinct
    digest = f"'d' || md5(CAST(to_json(list_value({', '.join(_ID_FIELDS)})) AS VARCHAR))"
    final = [
        f"coalesce(w_message_id, {digest}) AS message_id",
        "m_type AS type",
        "m_event AS event",
        "w_name AS name",
        "b_anonymous_id AS anonymous_id",
        "b_user_id AS user_id",
        "b_previous_id AS previous_id",
        "w_group_id AS group_id",
        "w_ts AS timestamp",
        "coalesce(w_received_at, current_timestamp) AS received_at",
        "m_channel AS channel",
        "m_source AS source",
        "m_medium AS medium",
        "m_campaign AS campaign",
        "m_content AS content",
        "m_term AS term",
        "m_referrer AS referrer",
        "m_device AS device",
        "lower(w_platform) AS platform",
        "m_country AS country",
        "m_revenue AS revenue",
        "m_currency AS currency",
        "m_properties AS properties",
        "w_context AS context",
        "w_traits AS traits",
        referrer_host,
        "_line",
        "_row",
        "_error",
    ]
    layers = (
        f"WITH l1 AS (SELECT {', '.join(l1)} FROM {relation}),\n"
        f"l2 AS (SELECT {', '.join(l2)} FROM l1),\n"
        f"l2m AS (SELECT {', '.join(l2m)} FROM l2),\n"
        f"l2b AS (SELECT {', '.join(l2b)} FROM l2m),\n"
        f"l3 AS (SELECT {', '.join(l3)} FROM l2b)"
    )
    if channel_keys:
        keys = (
            "m_medium AS medium, m_source AS source, ", referrer_host,
            ", m_event AS event, lower(w_platform) AS platform, m_channel AS channel",
        )
        unread = ("blocked", "max_bytes", "types")  # only the checks read them
        return (
            f"{layers}\nSELECT {''.join(keys)} FROM l3",
            {k: v for k, v in params.items() if k not in unread},
        )
    sql = (
        f"{layers},\nl4 AS (SELECT *, {error} AS _error FROM l3)\n"
        f"SELECT {', '.join(final)} FROM l4"
    )
    return sql, params


#: The event fields the channel keys are normalised from, when the input has them all (no
#: fallback to ``context``/``properties``, whose values are unique per row).
_KEY_FIELDS = ("medium", "source", "referrer", "event", "type", "platform", "channel")


def _distinct_keys(relation: str, plan: ColumnPlan) -> str:
    """``relation`` reduced to its distinct channel-key inputs, for the ``channel_keys`` query:
    every key is a function of the input columns named in :data:`_KEY_FIELDS` alone when the
    input has medium, source and referrer columns (and is no record input, which falls back
    per row), so normalising the distinct inputs gives the same distinct keys as normalising
    every row, at a fraction of the cost (each row's trims, lower-casing, host regexes). The
    other columns are NULL (the query does not read them). Otherwise ``relation``."""
    src = plan.sources
    if plan.has_raw or not all(k in src for k in ("medium", "source", "referrer")):
        return relation
    keys = sorted({src[k][0] for k in _KEY_FIELDS if k in src})
    unread = [name for name, _ in src.values() if name not in keys] + plan.extras
    unread += ["_line", "_row"] if plan.has_row else ["_line"]
    cols = ", ".join(
        [*map(quote_identifier, keys), *(f"NULL AS {quote_identifier(c)}" for c in unread)]
    )
    return f"(SELECT DISTINCT {cols} FROM {relation})"


def _extract(ok: str, column: str, paths: list[str], alias: str) -> str:
    """``paths`` of JSON ``column`` as a list of strings (NULL unless ``ok``), parsed once."""
    if not paths:
        return f"CAST(NULL AS VARCHAR[]) AS {alias}"
    listed = ", ".join(f"'{p}'" for p in paths)
    return f"CASE WHEN {ok} THEN json_extract_string({column}, [{listed}]) END AS {alias}"


def raw_sql(relation: str, plan: ColumnPlan) -> str:
    """``SELECT _row, raw`` over the input: each row as the JSON object it came as.

    Run only for batches with rejected rows, joined to them on ``_row``.
    """
    row = "_row" if plan.has_row else "_line AS _row"
    if plan.has_raw:
        return f"SELECT {row}, _raw AS raw FROM {relation}"
    originals = [s[0] for t, s in plan.sources.items() if t not in plan.constants]
    originals += plan.extras
    pack = ", ".join(f"{quote_identifier(c)} := {quote_identifier(c)}" for c in originals)
    return (
        f"SELECT {row}, CAST(to_json(struct_pack({pack or 'empty := NULL'})) AS VARCHAR) AS raw "
        f"FROM {relation}"
    )


def timestamp_expr(col: str, typ: str) -> str:
    """The default timestamp reading (no options), as the collector's validator uses it."""
    return timestamp_sql(col, typ, ImportOptions())
