"""Project configuration: ``wegweiser.toml`` as Pydantic models.

The file written by ``wegweiser init`` is :data:`DEFAULT_TOML`; every setting has a default,
so a project file only needs what it changes. Regexes are matched case-insensitively.
"""

from __future__ import annotations

import re
import tomllib
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from wegweiser._default_config import DEFAULT_TOML as DEFAULT_TOML
from wegweiser.errors import InvalidConfig

if TYPE_CHECKING:
    from pathlib import Path

CONFIG_FILE = "wegweiser.toml"

RULE_FIELDS = ("medium", "source", "referrer", "event", "platform")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Phase(_Model):
    """One phase of the journey and the events (glob patterns) that put a person in it."""

    name: str
    events: list[str] = Field(default_factory=list)
    description: str = ""


class ChannelRule(_Model):
    """A rule deriving ``channel`` when an event does not carry one.

    Every given condition is a regex (case-insensitive, searched, not anchored unless the
    pattern says so) over the event's UTM ``medium``/``source``, the ``referrer`` host, the
    ``event`` name or the sending ``platform``; all given conditions must match. A rule
    without conditions matches everything. The first matching rule wins.
    """

    channel: str
    medium: str | None = None
    source: str | None = None
    referrer: str | None = None
    event: str | None = None
    platform: str | None = None

    @field_validator(*RULE_FIELDS)
    @classmethod
    def _valid_regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {value!r}: {exc}") from exc
        return value

    def conditions(self) -> dict[str, str]:
        return {f: v for f in RULE_FIELDS if (v := getattr(self, f)) is not None}


def _memory_size(value: str | None) -> str | None:
    """A DuckDB memory size ("4GB", "512MB"), checked (it is put into a SET statement)."""
    if value is not None and not re.fullmatch(r"\s*\d+(\.\d+)?\s*[KMGT]i?B\s*", value, re.I):
        raise ValueError(f"memory_limit must look like '4GB' or '512MB', not {value!r}")
    return value


class IngestConfig(_Model):
    max_payload_bytes: Annotated[int, Field(gt=0)] = 32_768
    """Largest accepted event (properties, context and traits as JSON), as Segment's 32 KB."""
    batch_rows: Annotated[int, Field(gt=0)] = 2_000_000
    """Rows per atomic batch when one file is larger than this."""
    memory_limit: str | None = "512MB"
    """DuckDB's buffer memory limit while a file is read and imported (instead of
    ``engine.memory_limit``): the rows an import writes stay in DuckDB's buffer until
    it commits, up to this limit, and go to disk beyond it. None keeps ``engine.memory_limit``."""

    @field_validator("memory_limit")
    @classmethod
    def _valid_size(cls, value: str | None) -> str | None:
        return _memory_size(value)


class IdentityConfig(_Model):
    blocked_ids: list[str] = Field(
        default_factory=lambda: [
            "",
            "0",
            "-1",
            "null",
            "none",
            "nil",
            "undefined",
            "nan",
            "anonymous",
            "unknown",
            "guest",
            "test",
            "00000000-0000-0000-0000-000000000000",
        ]
    )
    """Id values never used to link people (compared lower-case, trimmed)."""
    max_ids_per_person: Annotated[int, Field(ge=2)] = 100
    """A person never holds more ids than this; links of ids that would exceed it are refused."""


class WindowConfig(_Model):
    session_gap_minutes: Annotated[int, Field(gt=0)] = 30
    conversion_days: Annotated[int, Field(gt=0)] = 30
    attribution_lookback_days: Annotated[int, Field(gt=0)] = 30
    stuck_days: Annotated[int, Field(gt=0)] = 30


class RetentionConfig(_Model):
    """How long events are kept (docs/privacy.md): ``wegweiser privacy retention apply`` deletes
    older ones, with the physical-erasure guarantee; ``wegweiser serve`` applies it daily."""

    events_days: Annotated[int, Field(ge=1)] | None = None
    """Keep events of the last N days; None (the default) keeps every event."""


class ScoresConfig(_Model):
    """Stored scores (docs/analyses.md, "Scores as data"): ``wegweiser serve`` refits them
    every ``refit_days`` days in its import process; without it, schedule
    ``wegweiser scores refit`` with cron."""

    refit_days: Annotated[int, Field(ge=1)] | None = None
    """Refit when the last refit is this many days old; None (the default): never by itself."""
    models: list[Literal["propensity", "churn", "recommend"]] | None = None
    """The models to refit; None: all of them."""
    horizon_days: Annotated[int, Field(gt=0)] = 14
    """The horizon of propensity and churn, as ``scores refit --horizon-days``."""


class EngineConfig(_Model):
    """Where events live and analyses run; see docs/spark.md for ``kind = "spark"``."""

    kind: Literal["duckdb", "spark"] = "duckdb"
    """``duckdb``: everything in the embedded store. ``spark``: events as date-partitioned
    Parquet at ``events_path``, analyses on Apache Spark; the embedded store keeps the
    bookkeeping (imports, quarantine, identities, costs)."""
    memory_limit: str | None = "4GB"
    """DuckDB's buffer memory limit (e.g. "4GB", "16GB"); beyond it DuckDB spills to disk.
    None leaves DuckDB's default (80% of RAM)."""
    threads: Annotated[int, Field(gt=0)] | None = None
    """Worker threads; None uses every core."""
    lock_wait_seconds: Annotated[float, Field(ge=0)] = 120.0
    """How long a command waits for the store while another process (``wegweiser serve``)
    holds it; the server holds it only for short moments."""
    spark_master: str | None = None
    """Spark master URL (``local[*]``, ``spark://host:7077``, ``yarn``, ``k8s://...``); None
    with no ``spark_remote`` means ``local[*]``."""
    spark_remote: str | None = None
    """Spark Connect URL (``sc://host:15002``), instead of ``spark_master``."""
    events_path: str = "events"
    """Folder or URI (``hdfs://``, ``s3a://``) of the events as Parquet, partitioned by
    ``date=YYYY-MM-DD``; relative paths are inside the project folder."""
    derived_path: str = "derived"
    """Folder or URI where Spark writes derived tables (the journey)."""
    spark_conf: dict[str, str] = Field(default_factory=dict)
    """Extra Spark settings, e.g. ``{"spark.executor.memory" = "8g"}``."""

    @field_validator("memory_limit")
    @classmethod
    def _valid_size(cls, value: str | None) -> str | None:
        return _memory_size(value)

    @model_validator(mode="after")
    def _one_spark_target(self) -> EngineConfig:
        if self.spark_master and self.spark_remote:
            raise ValueError("set spark_master or spark_remote (Spark Connect), not both")
        return self


class FeedbackConfig(_Model):
    """Where feedback lives: survey answers and reviews are events whose ``properties`` hold
    a score and/or a text (docs/feedback.md).

    ``kind_property`` says which scale (``nps``: 0-10, ``csat``: 1-5, ``ces``: 1-7, 7 the
    least effort; any other kind is a custom question kept with its score); ``text_property``
    holds the free-text comment (German or English). ``review_events`` are reviews: their
    ``rating_property`` (1-5) and ``review_text_property``. ``touchpoint_property`` and
    ``touchpoint_channel_property`` name the touchpoint an answer is about; without them it is
    about the person's last touchpoint before it. ``sentiment_model``: ``embedding`` (needs
    ``wegweiser[listen]``), ``lexicon``, or ``auto`` (the embedding model when installed);
    ``topics`` adds or replaces topics per language
    (``{"de": {"nachhaltigkeit": ["plastik", "recycl"]}}``).
    """

    events: list[str] = Field(default_factory=lambda: ["survey_answered"])
    score_property: str = "score"
    kind_property: str = "survey"
    text_property: str = "comment"
    question_property: str = "question"
    source_property: str = "source"
    review_events: list[str] = Field(default_factory=lambda: ["review_written"])
    rating_property: str = "rating"
    review_text_property: str = "text"
    touchpoint_property: str = "about_event"
    touchpoint_channel_property: str = "about_channel"
    sentiment_model: Literal["auto", "embedding", "lexicon"] = "auto"
    topics: dict[str, dict[str, list[str]]] = Field(default_factory=dict)
    webhooks: dict[str, dict[str, str]] = Field(default_factory=dict)
    """Survey webhooks (``POST /v1/feedback/<source>``): per source, feedback field -> key in
    the payload (``a.b`` for nested keys; a quoted value is a constant)."""


class TouchpointConfig(_Model):
    """One touchpoint of the catalogue (``[[touchpoints]]``; docs/analyses.md, Touchpoints).

    ``rule``: one condition or a list of conditions (all must hold) in the filter grammar
    (``channel=video``, ``event in video_view,video_play``, ``property:plan=pro``); an event
    that satisfies it is an experience of the touchpoint. ``controlled``: the company
    controls it (ads, brand site, staff) or only indirectly (social media, reviews,
    resellers). ``importance``: the stated expectation, 1 (unimportant) to 5 (very
    important), e.g. from a survey. ``benchmark``: a competitor's fulfilment score, 0 to 1
    (the scale of the analysis's ``performance``), e.g. from a market study.
    """

    name: Annotated[str, Field(min_length=1, max_length=80)]
    rule: str | list[str]
    controlled: bool = True
    importance: Annotated[float, Field(ge=1, le=5)] | None = None
    benchmark: Annotated[float, Field(ge=0, le=1)] | None = None

    @field_validator("rule")
    @classmethod
    def _some_rule(cls, rule: str | list[str]) -> str | list[str]:
        rules = [rule] if isinstance(rule, str) else rule
        if not rules or any(not r.strip() for r in rules):
            raise ValueError("give a rule: a condition such as 'channel=video'")
        return rule

    @property
    def rules(self) -> list[str]:
        return [self.rule] if isinstance(self.rule, str) else list(self.rule)


_ORIGIN = re.compile(r"https?://[^/\s:]+(?::[0-9]{1,5})?")


class ServerConfig(_Model):
    """``wegweiser serve``: collector, query API and dashboard.

    Secrets (write keys, API tokens, users) may also come from the environment:
    ``WEGWEISER_WRITE_KEYS``, ``WEGWEISER_API_TOKENS`` (comma-separated) and
    ``WEGWEISER_USERS`` (``name:hash`` pairs, comma-separated; hash from
    ``wegweiser hash-password``); they add to the ones listed here.
    """

    host: str = "127.0.0.1"
    port: Annotated[int, Field(gt=0, lt=65536)] = 8000
    write_keys: list[str] = Field(default_factory=list)
    """Collector keys (sent by Segment/RudderStack SDKs as the HTTP Basic user name)."""
    api_tokens: list[str] = Field(default_factory=list)
    """Query API tokens (``Authorization: Bearer <token>``), each ``token`` (scope ``read``)
    or ``scope:token`` with scope ``read``, ``write`` or ``admin`` (``wegweiser keys add
    --kind api --scope ...``)."""
    users: list[str] = Field(default_factory=list)
    """Dashboard users as ``name:hash`` (role ``admin``) or ``name:role:hash`` with role
    ``admin``, ``analyst`` or ``viewer`` (``wegweiser hash-password --user name --role
    ...`` prints the entry)."""
    analyst_personal_data: bool = False
    """Whether users with the role ``analyst`` may see personal data (person pages,
    identities, quarantined rows, downloads); admins always may, viewers never."""
    max_request_bytes: Annotated[int, Field(gt=0)] = 512_000
    """Largest accepted request body (after gzip), as Segment's 500 KB batch limit."""
    rate_limit_events: Annotated[float, Field(gt=0)] = 5_000.0
    """Events per second one write key may send (token bucket; 429 beyond)."""
    rate_limit_burst: Annotated[int, Field(gt=0)] = 20_000
    """Events one write key may send at once before the rate limit applies."""
    flush_seconds: Annotated[float, Field(gt=0)] = 1.0
    """How often collected events are moved from the spool into the store."""
    store_wait_seconds: Annotated[float, Field(ge=0)] = 60.0
    """How long a write (an import of collected events, a quarantine replay) waits for the
    store while another process (the CLI) holds it."""
    cors_origins: list[str] = Field(default_factory=lambda: ["*"])
    """Web origins (``https://shop.example``) whose pages may send events to the collector
    from the browser (CORS); ``["*"]`` (the default) allows every site, as a write key is
    public in a page anyway; ``[]`` allows none (server-side SDKs need no CORS)."""
    retry_window_seconds: Annotated[float, Field(gt=0)] = 3600.0
    """How long a repeated request whose messages have neither ``messageId`` nor a timestamp
    counts as a retry of the first (stored once); see the guide, "Sending events"."""
    allowed_hosts: list[str] = Field(default_factory=list)
    """Host names the server answers to (the ``Host`` header; a defence against DNS
    rebinding). ``localhost``, ``127.0.0.1`` and ``::1`` are always allowed; ``.example.com``
    allows a domain and its subdomains, ``*`` any name. Left empty: loopback names only in
    open access, any name once users are configured."""
    trusted_proxies: list[str] = Field(default_factory=list)
    """Addresses or networks (``10.0.0.0/8``) of reverse proxies whose ``X-Forwarded-For``,
    ``X-Forwarded-Proto`` and ``X-Forwarded-Host`` headers are believed."""
    secure_cookies: Literal["auto", "always", "never"] = "auto"
    """Mark the session cookie ``Secure``: ``auto`` when the request came over TLS (directly,
    or through a trusted proxy saying ``X-Forwarded-Proto: https``)."""
    header_timeout_seconds: Annotated[float, Field(gt=0)] = 10.0
    """A client must send a request's headers within this time (slow clients are cut off)."""
    body_timeout_seconds: Annotated[float, Field(gt=0)] = 30.0
    """A client must send a request's body within this time (else 408)."""
    query_workers: Annotated[int, Field(gt=0, le=64)] = 2
    """Analyses (API requests, dashboard pages) that run at once, each in a worker process."""
    query_seconds: Annotated[float, Field(gt=0)] = 120.0
    """Time limit of one analysis; a longer one is stopped and answered with 504."""
    query_queue_seconds: Annotated[float, Field(ge=0)] = 5.0
    """How long a request waits for a free query worker before it is answered with 503."""
    snapshot_seconds: Annotated[float, Field(ge=0)] = 5.0
    """Least time between two read snapshots of the store (what the API and dashboard
    read): analyses see events collected up to about this plus ``flush_seconds`` ago."""
    backlog_alert_events: Annotated[int, Field(gt=0)] = 200_000
    """Collected events waiting for the store beyond which the health status is
    ``degraded`` and a warning is logged."""
    backlog_alert_seconds: Annotated[float, Field(gt=0)] = 300.0
    """Age of the oldest waiting spool segment beyond which the status is ``degraded``."""

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            if origin != "*" and not _ORIGIN.fullmatch(origin):
                raise ValueError(
                    f"{origin!r} is not a web origin; write scheme://host[:port] without a "
                    "path or trailing slash (e.g. 'https://shop.example'), or '*'"
                )
        return origins


class PrivacyConfig(_Model):
    """Consent (``docs/privacy.md``)."""

    consent_trait: str = "consent"
    """The trait (of ``identify`` events) holding consent categories as Segment's
    ``context.consent.categoryPreferences`` does (``{"Marketing": true, ...}``)."""
    analytics_consent: Literal["ignore", "required"] = "ignore"
    """``required``: analyses leave out persons whose latest statement withdrew the
    ``analytics_category``; ``ignore`` (the default) counts everyone."""
    analytics_category: str = "Analytics"
    """The consent category of analytics."""


class Config(_Model):
    name: str = "wegweiser"
    currency: str = "EUR"
    conversion_events: list[str] = Field(
        default_factory=lambda: ["order_completed", "store_purchase"]
    )
    phases: list[Phase] = Field(default_factory=list)
    channels: list[ChannelRule] = Field(default_factory=list)
    ingest: IngestConfig = Field(default_factory=IngestConfig)
    identity: IdentityConfig = Field(default_factory=IdentityConfig)
    windows: WindowConfig = Field(default_factory=WindowConfig)
    engine: EngineConfig = Field(default_factory=EngineConfig)
    feedback: FeedbackConfig = Field(default_factory=FeedbackConfig)
    server: ServerConfig = Field(default_factory=ServerConfig)
    privacy: PrivacyConfig = Field(default_factory=PrivacyConfig)
    touchpoints: list[TouchpointConfig] = Field(default_factory=list)
    retention: RetentionConfig = Field(default_factory=RetentionConfig)
    scores: ScoresConfig = Field(default_factory=ScoresConfig)

    @field_validator("touchpoints")
    @classmethod
    def _unique_touchpoints(cls, touchpoints: list[TouchpointConfig]) -> list[TouchpointConfig]:
        names = [t.name for t in touchpoints]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"touchpoint names must be unique, repeated: {', '.join(dupes)}")
        return touchpoints

    @field_validator("phases")
    @classmethod
    def _unique_phases(cls, phases: list[Phase]) -> list[Phase]:
        names = [p.name for p in phases]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"phase names must be unique, repeated: {', '.join(dupes)}")
        return phases

    @property
    def phase_names(self) -> list[str]:
        return [p.name for p in self.phases]


def parse_config(text: str, *, path: str = CONFIG_FILE) -> Config:
    """Parse TOML text; phases and channel rules fall back to the defaults when absent."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidConfig(f"{path}: not valid TOML: {exc}", path=path) from exc
    defaults = tomllib.loads(DEFAULT_TOML)
    data.setdefault("phases", defaults["phases"])
    data.setdefault("channels", defaults["channels"])
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise InvalidConfig(f"{path}: {problems}", path=path) from exc


def load_config(project_dir: Path) -> Config:
    path = project_dir / CONFIG_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidConfig(
            f"{path} not found. Run `wegweiser init {project_dir}` first.", path=str(path)
        ) from None
    return parse_config(text, path=str(path))


def default_config() -> Config:
    return parse_config(DEFAULT_TOML)
