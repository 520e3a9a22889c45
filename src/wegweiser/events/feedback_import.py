"""Import feedback files: survey-tool and review exports (CSV, JSON Lines) as feedback events.

Each row becomes one ``track`` event of the first of ``[feedback] events`` (a review: of the
first of ``review_events``) whose properties hold what the row says, so feedback goes
through the same pipeline as every event: deduplication, identity stitching (the row's
id may be any id of the person), quarantine. The fields of a row (rename your columns with
``--map field=column``; a quoted value is a constant, ``kind='nps'``):

* ``user_id`` or ``anonymous_id`` (``person`` is a synonym of ``user_id``): who answered;
* ``timestamp``: when; ``id``: the answer's id (the message id; default: from its fields);
* ``kind``: ``nps`` (0-10), ``csat`` (1-5), ``ces`` (1-7), ``review`` (1-5) or a custom
  question's name; ``score`` (for reviews also ``rating``); ``text`` (the comment);
* ``question``, ``source`` (the survey tool, review site or app store), ``touchpoint`` (the
  event the answer is about) and ``channel`` (that touchpoint's channel).

A row is quarantined with its line and a reason when it has no id, no kind, neither a score
nor a text, a score that is not a number, or a score outside its scale; the timestamp is
checked by the event pipeline (:mod:`wegweiser.events.normalize`).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wegweiser.errors import InvalidInput
from wegweiser.events import readers
from wegweiser.events.ingest import ingest_source
from wegweiser.events.options import split_mapping
from wegweiser.events.records import iter_json_lines, load_records
from wegweiser.events.sources import Rejected, temp_name
from wegweiser.events.summary import ImportSummary
from wegweiser.events.textfiles import encoding_of, iter_lines

if TYPE_CHECKING:
    import os
    from collections.abc import Iterable, Iterator, Mapping

    from wegweiser.config import Config
    from wegweiser.store.engine import Engine

FIELDS = (
    "id",
    "user_id",
    "anonymous_id",
    "person",
    "timestamp",
    "kind",
    "score",
    "rating",
    "text",
    "question",
    "source",
    "touchpoint",
    "channel",
)
SCALES = {"nps": (0.0, 10.0), "csat": (1.0, 5.0), "ces": (1.0, 7.0), "review": (1.0, 5.0)}


def import_feedback(
    engine: Engine,
    config: Config,
    inputs: Iterable[str | os.PathLike[str]],
    *,
    mapping: Mapping[str, str] | None = None,
    fmt: str | None = None,
) -> ImportSummary:
    """Import feedback files (module docstring); each file is one import."""
    columns, constants = split_mapping(dict(mapping or {}))
    unknown = sorted((set(columns) | set(constants)) - set(FIELDS))
    if unknown:
        raise InvalidInput(
            f"unknown feedback field(s) {', '.join(unknown)} in --map; use "
            f"{', '.join(FIELDS)} (e.g. --map user_id=respondent,text=comment,kind='nps')"
        )
    if not config.feedback.events:
        raise InvalidInput("[feedback] events is empty: name the event survey answers get")
    summary = ImportSummary()
    for path in readers.expand_paths(inputs):
        kind = readers.detect_format(path, fmt)
        if kind not in ("csv", "jsonl"):
            raise InvalidInput(f"{path}: feedback files are CSV or JSON Lines, not {kind}")
        rows = _csv_rows(path) if kind == "csv" else _json_rows(path)
        items = (_item(line, raw, row, columns, constants, config) for line, raw, row in rows)
        source = load_records(engine, temp_name("fb"), items, {}, source_name=str(path))
        try:
            summary.add(
                ingest_source(
                    engine,
                    config,
                    source,
                    {},
                    kind="feedback",
                    raw_format="record",
                    source_key=str(Path(path).resolve()),
                    given_mapping=dict(mapping or {}),
                )
            )
        finally:
            source.close()
    return summary


def _csv_rows(path: Path) -> Iterator[tuple[int, str, Any]]:
    lines = list(iter_lines(path, encoding_of(path, None)))
    if not lines:
        return
    header = next(csv.reader([lines[0][1]]))
    for number, text in lines[1:]:
        if not text.strip():
            continue
        values = next(csv.reader(io.StringIO(text)), [])
        if len(values) != len(header):
            yield (
                number,
                text,
                Rejected(number, f"{len(values)} fields where the header has {len(header)}", text),
            )
            continue
        yield number, text, dict(zip(header, values, strict=True))


def _json_rows(path: Path) -> Iterator[tuple[int, str, Any]]:
    for number, raw, value in iter_json_lines(path):
        if not isinstance(value, Rejected) and not isinstance(value, dict):
            value = Rejected(number, f"not a JSON object but {type(value).__name__}", raw)
        yield number, raw, value


def _item(
    line: int,
    raw: str,
    row: Any,
    columns: Mapping[str, str],
    constants: Mapping[str, str],
    config: Config,
) -> tuple[int, str, Any]:
    if isinstance(row, Rejected):
        return line, raw, row
    message = feedback_message(row, columns, constants, config)
    if isinstance(message, str):
        return line, raw, Rejected(line, message, raw)
    # kept as the quarantine payload when the event pipeline rejects it: replayable
    return line, json.dumps(message, ensure_ascii=False), message


def feedback_message(
    row: Mapping[str, Any],
    columns: Mapping[str, str],
    constants: Mapping[str, str],
    config: Config,
) -> dict[str, Any] | str:
    """The event for one feedback row, or the reason it is rejected."""

    def get(name: str) -> Any:
        if name in constants:
            return constants[name]
        value = row.get(columns.get(name, name))
        if isinstance(value, str):
            value = value.strip()
        return None if value in ("", None) else value

    user = get("user_id") or get("person")
    anon = get("anonymous_id")
    if user is None and anon is None:
        return "no person: give user_id (or person) or anonymous_id, e.g. --map user_id=email"
    kind = str(get("kind") or "").strip().lower()
    if not kind:
        return "no kind: give nps, csat, ces, review or a question name, e.g. --map kind='nps'"
    score_raw = get("score")
    if score_raw is None:
        score_raw = get("rating")
    text = get("text")
    score: float | None = None
    if score_raw is not None:
        try:
            score = float(str(score_raw).replace(",", "."))
        except ValueError:
            return f"score {score_raw!r} is not a number"
        if score != score:
            return f"score {score_raw!r} is not a number"
        low, high = SCALES.get(kind, (float("-inf"), float("inf")))
        if not low <= score <= high:
            return f"{kind} score {score_raw} is outside {low:g}-{high:g}"
    if score is None and text is None:
        return "neither a score nor a text"
    fb = config.feedback
    review = kind == "review"
    if review and not fb.review_events:
        return "a review, but [feedback] review_events is empty"
    props: dict[str, Any] = {}
    if review:
        props[fb.rating_property] = score
        props[fb.review_text_property] = text
    else:
        props[fb.kind_property] = kind
        props[fb.score_property] = score
        props[fb.text_property] = text
    for name, key in (
        ("question", fb.question_property),
        ("source", fb.source_property),
        ("touchpoint", fb.touchpoint_property),
        ("channel", fb.touchpoint_channel_property),
    ):
        if get(name) is not None:
            props[key] = str(get(name))
    message: dict[str, Any] = {
        "type": "track",
        "event": fb.review_events[0] if review else fb.events[0],
        "timestamp": get("timestamp"),
        "properties": {k: v for k, v in props.items() if v is not None},
    }
    if user is not None:
        message["userId"] = str(user)
    if anon is not None:
        message["anonymousId"] = str(anon)
    if get("id") is not None:
        message["messageId"] = str(get("id"))
    return message
