"""Finding, exporting and physically removing one person's rows in the store (internal).

A person is named by a set of ids (anonymous, user, previous ids) and e-mail addresses. Their
rows are, per table of the project's DuckDB file:

* ``events`` (DuckDB engine) or the event Parquet files (Spark engine, a local
  ``events_path``): rows whose ``anonymous_id``, ``user_id`` or ``previous_id`` is one of the
  ids, or whose ``traits.email`` / ``context.traits.email`` is one of the addresses — feedback
  answers are such events too;
* ``identities`` and ``identity_links`` (rebuilt from the remaining events afterwards);
* ``quarantine``: rows whose raw payload holds one of the ids as a JSON string (``"u1"``) or,
  for an unparsed text line, anywhere;
* the derived ``journey`` table (dropped: it is rebuilt on next use).

Deleting is not enough: DuckDB keeps deleted rows' bytes in freed blocks, so
:meth:`~wegweiser.store.engine.Engine.rewrite` writes the file anew afterwards, and a Parquet
file holding a matching row is rewritten without it (only those files; each through a
temporary file and an atomic rename).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wegweiser.store import event_keys
from wegweiser.store.engine import quote_identifier
from wegweiser.store.schema import EVENT_COLUMNS

if TYPE_CHECKING:
    import pandas as pd

    from wegweiser.store.engine import Engine

ID_COLUMNS = ("anonymous_id", "user_id", "previous_id")

#: an event row of the person: $ids (list of ids), $emails (lower-cased addresses)
EVENT_MATCH = (
    "(list_contains($ids, anonymous_id) OR list_contains($ids, user_id) "
    "OR list_contains($ids, previous_id) "
    "OR list_contains($emails, lower(trim(json_extract_string(traits, '$.email')))) "
    "OR list_contains($emails, lower(trim(json_extract_string(context, '$.traits.email')))))"
)
#: a quarantine row that mentions the person: $needles (ids and addresses)
QUARANTINE_MATCH = (
    "EXISTS (SELECT 1 FROM (SELECT unnest($needles) AS n) "
    "WHERE contains(q.raw, '\"' || n || '\"') OR (q.raw_format = 'text' AND contains(q.raw, n)))"
)


#: the person's predicted scores and recommendations (store/scores.py), kept under their
#: person_id
SCORE_MATCH = ("list_contains($ids, person_id) OR person_id IN "
               "(SELECT person_id FROM identities WHERE list_contains($ids, id))")


def _params(ids: list[str], emails: list[str]) -> dict[str, Any]:
    return {"ids": list(ids), "emails": [e.strip().lower() for e in emails]}


def event_files(engine: Engine) -> list[Path] | None:
    """The Parquet files of the events (Spark, local folder), None when they live in the
    store's ``events`` table."""
    sink = engine.event_sink
    if sink is None:
        return None
    folder = getattr(sink, "_events_dir", None)
    if folder is None:
        from wegweiser.errors import ProjectError

        raise ProjectError(
            "events on a URI (engine.events_path = hdfs://, s3a://...) cannot be erased by "
            "Wegweiser yet: rewrite the files with your lake's tools (docs/privacy.md)"
        )
    return sorted(Path(folder).glob("*/*.parquet"))


def _events_source(engine: Engine) -> str:
    files = event_files(engine)
    if files is None:
        return "events"
    if not files:
        return "(SELECT * FROM events LIMIT 0)"
    listed = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
    return f"read_parquet([{listed}], hive_partitioning = false, union_by_name = true)"


def linked_ids(engine: Engine, ids: list[str]) -> list[str]:
    """Every id stitched to one of ``ids`` (by ``identities``), ``ids`` included."""
    rows = engine.execute(
        "SELECT DISTINCT id FROM identities WHERE person_id IN "
        "(SELECT person_id FROM identities WHERE list_contains($ids, id) "
        " OR list_contains($ids, person_id))",
        {"ids": list(ids)},
    ).rows
    return sorted({*ids, *(str(r[0]) for r in rows)})


def ids_of_emails(engine: Engine, emails: list[str]) -> list[str]:
    """Ids of events whose traits carry one of ``emails``."""
    if not emails:
        return []
    rows = engine.execute(
        "SELECT DISTINCT unnest([anonymous_id, user_id]) AS id FROM "
        f"{_events_source(engine)} WHERE "
        "list_contains($emails, lower(trim(json_extract_string(traits, '$.email')))) OR "
        "list_contains($emails, lower(trim(json_extract_string(context, '$.traits.email'))))",
        {"emails": [e.strip().lower() for e in emails]},
    ).rows
    return sorted(str(r[0]) for r in rows if r[0] is not None)


def emails_of(engine: Engine, ids: list[str]) -> list[str]:
    """The e-mail traits the events of ``ids`` carry."""
    rows = engine.execute(
        "SELECT DISTINCT lower(trim(e)) FROM (SELECT unnest([json_extract_string(traits, "
        "'$.email'), json_extract_string(context, '$.traits.email')]) AS e FROM "
        f"{_events_source(engine)} WHERE list_contains($ids, anonymous_id) OR "
        "list_contains($ids, user_id) OR list_contains($ids, previous_id)) WHERE e IS NOT NULL",
        {"ids": list(ids)},
    ).rows
    return sorted(str(r[0]) for r in rows if r[0])


def person_frames(engine: Engine, ids: list[str], emails: list[str]) -> dict[str, pd.DataFrame]:
    """The person's rows, per kind: ``events``, ``identities``, ``identity_links``,
    ``quarantine``, ``scores``, ``recommendations`` (ordered, so that two exports compare equal)."""
    p = _params(ids, emails)
    needles = {"needles": sorted({*p["ids"], *p["emails"]})}
    only = {"ids": p["ids"]}
    return {
        "events": engine.df(
            f"SELECT * FROM {_events_source(engine)} WHERE {EVENT_MATCH} "
            'ORDER BY "timestamp", message_id', p
        ),
        "identities": engine.df(
            "SELECT * FROM identities WHERE list_contains($ids, id) ORDER BY id", only
        ),
        "identity_links": engine.df(
            "SELECT * FROM identity_links WHERE list_contains($ids, a_id) "
            "OR list_contains($ids, b_id) ORDER BY a_id, b_id", only
        ),
        "quarantine": engine.df(
            f"SELECT * FROM quarantine q WHERE {QUARANTINE_MATCH} ORDER BY quarantine_id",
            needles,
        ),
        "scores": engine.df(f"SELECT * FROM scores WHERE {SCORE_MATCH} ORDER BY model", only),
        "recommendations": engine.df(
            f"SELECT * FROM recommendations WHERE {SCORE_MATCH} ORDER BY rank", only),
    }


def delete_person(engine: Engine, ids: list[str], emails: list[str]) -> dict[str, int]:
    """Delete the person's rows from the store's tables (one transaction; Parquet files are
    rewritten by :func:`rewrite_event_files`); returns the rows per kind."""
    p = _params(ids, emails)
    needles = {"needles": sorted({*p["ids"], *p["emails"]})}
    counts: dict[str, int] = {}
    with engine.transaction():
        if engine.event_sink is None:
            counts["events"] = _delete(engine, "events", EVENT_MATCH, p)
        counts["quarantine"] = _delete(engine, "quarantine q", QUARANTINE_MATCH, needles)
        only = {"ids": p["ids"]}
        # before the identities: they name the person_id the scores are kept under
        counts["scores"] = _delete(engine, "scores", SCORE_MATCH, only)
        counts["recommendations"] = _delete(engine, "recommendations", SCORE_MATCH, only)
        counts["identities"] = _delete(engine, "identities", "list_contains($ids, id)", only)
        counts["identity_links"] = _delete(
            engine, "identity_links",
            "list_contains($ids, a_id) OR list_contains($ids, b_id)", only,
        )
        counts["import_details"] = _delete(
            engine, "imports", "list_has_any($needles, [n for n in $needles "
            "if contains(coalesce(details, ''), '\"' || n || '\"')])", needles,
            update="details = json_merge_patch(details, "
            "'{\"duplicate_sample\": [], \"errors\": []}')",
        )
        drop_derived(engine)
    return counts


def _delete(
    engine: Engine, table: str, where: str, params: dict[str, Any], *, update: str | None = None
) -> int:
    """Delete the rows of ``table`` matching ``where`` (or ``SET update`` on them)."""
    n = int(engine.scalar(f"SELECT count(*) FROM {table} WHERE {where}", params))
    if n and update is None:
        engine.run(f"DELETE FROM {table} WHERE {where}", params)
    elif n:
        engine.run(f"UPDATE {table} SET {update} WHERE {where}", params)
    return n


def drop_derived(engine: Engine) -> None:
    """Drop the derived tables (they hold copies of events); rebuilt on next use."""
    # the import's id keys hash the erased (or rewritten) message ids: rebuilt on next import
    event_keys.invalidate(engine)
    names = [str(r[0]) for r in engine.execute("SELECT name FROM derived").rows]
    for name in {*names, "journey"}:
        exists = engine.scalar(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = $n AND NOT temporary",
            {"n": name},
        )
        if exists:
            engine.run(f"DROP TABLE {quote_identifier(name)}")
    engine.run("DELETE FROM derived")
    sink = engine.event_sink
    derived_uri = getattr(sink, "derived_uri", None)
    if derived_uri is not None and "://" not in str(derived_uri):
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(derived_uri)


def rewrite_event_files(
    engine: Engine, where: str, params: dict[str, Any]
) -> tuple[int, int]:
    """Rewrite each event Parquet file holding a row that matches ``where`` without those
    rows (only those files; each as a temporary file renamed over the old one); returns
    (files rewritten, rows removed). Nothing to do when events live in the store."""
    files = event_files(engine)
    if not files:
        return 0, 0
    n_files = n_rows = 0
    for path in files:
        source = "read_parquet($file, hive_partitioning = false)"
        hit = int(engine.scalar(
            f"SELECT count(*) FROM {source} WHERE {where}", {**params, "file": str(path)}
        ))
        if not hit:
            continue
        tmp = path.with_name(path.name + ".rewrite")
        total = int(engine.scalar(f"SELECT count(*) FROM {source}", {"file": str(path)}))
        if hit == total:
            path.unlink()
        else:
            engine.run(
                f"COPY (SELECT * FROM {source} WHERE NOT coalesce({where}, false)) "
                "TO $tmp (FORMAT parquet)",
                {**params, "file": str(path), "tmp": str(tmp)},
            )
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path)
        n_files += 1
        n_rows += hit
    return n_files, n_rows


def erase_event_files(engine: Engine, ids: list[str], emails: list[str]) -> tuple[int, int]:
    """:func:`rewrite_event_files` for one person's rows."""
    return rewrite_event_files(engine, EVENT_MATCH, _params(ids, emails))


def pseudonymise(
    engine: Engine, ids: list[str], emails: list[str], pseudonym: str
) -> dict[str, int]:
    """Replace the person's ids in their events by ``pseudonym``, give the events random
    message ids and drop what describes them (``traits``, ``context``, feedback text); the
    rows stay for the aggregates. Other
    tables as :func:`delete_person`. Parquet files: see :func:`rewrite_event_files`."""
    p = {**_params(ids, emails), "pseudo": pseudonym}
    setters = ", ".join(
        f"{c} = CASE WHEN list_contains($ids, {c}) THEN $pseudo ELSE {c} END"
        for c in ID_COLUMNS
    )
    scrub = (
        f"{setters}, message_id = 'anon-' || CAST(uuid() AS VARCHAR), "
        "traits = NULL, context = NULL, "
        "properties = json_merge_patch(coalesce(properties, '{}'), "
        "'{\"text\": null, \"comment\": null, \"email\": null, \"name\": null}')"
    )
    files = event_files(engine)
    counts: dict[str, int] = {}
    if files is None:
        with engine.transaction():
            counts["events"] = int(engine.scalar(
                f"SELECT count(*) FROM events WHERE {EVENT_MATCH}", _params(ids, emails)))
            engine.run(f"UPDATE events SET {scrub} WHERE {EVENT_MATCH}", p)
    else:
        counts["events"] = _pseudonymise_files(engine, files, p)
    counts.update({k: v for k, v in delete_person(engine, ids, emails).items()
                   if k != "events"})
    return counts


def _pseudonymise_files(engine: Engine, files: list[Path], p: dict[str, Any]) -> int:
    cols = []
    for c in EVENT_COLUMNS:
        q = quote_identifier(c)
        if c in ID_COLUMNS:
            cols.append(f"CASE WHEN {EVENT_MATCH} AND list_contains($ids, {q}) THEN $pseudo "
                        f"ELSE {q} END AS {q}")
        elif c == "message_id":
            cols.append(f"CASE WHEN {EVENT_MATCH} THEN 'anon-' || CAST(uuid() AS VARCHAR) "
                        f"ELSE {q} END AS {q}")
        elif c in ("traits", "context"):
            cols.append(f"CASE WHEN {EVENT_MATCH} THEN NULL ELSE {q} END AS {q}")
        elif c == "properties":
            cols.append(
                f"CASE WHEN {EVENT_MATCH} THEN CAST(json_merge_patch(coalesce({q}, '{{}}'), "
                "'{\"text\": null, \"comment\": null, \"email\": null, \"name\": null}') "
                f"AS VARCHAR) ELSE {q} END AS {q}"
            )
        else:
            cols.append(q)
    n = 0
    for path in files:
        source = "read_parquet($file, hive_partitioning = false)"
        hit = int(engine.scalar(f"SELECT count(*) FROM {source} WHERE {EVENT_MATCH}",
                                {"ids": p["ids"], "emails": p["emails"], "file": str(path)}))
        if not hit:
            continue
        tmp = path.with_name(path.name + ".rewrite")
        engine.run(f"COPY (SELECT {', '.join(cols)} FROM {source}) TO $tmp (FORMAT parquet)",
                   {**p, "file": str(path), "tmp": str(tmp)})
        os.replace(tmp, path)
        n += hit
    return n


def delete_events_before(engine: Engine, cutoff: Any) -> dict[str, int]:
    """Delete events with a timestamp before ``cutoff`` (retention); Parquet files holding
    such rows are rewritten. Identities are left to the caller to rebuild."""
    where = '"timestamp" < CAST($cutoff AS TIMESTAMPTZ)'
    params = {"cutoff": cutoff}
    files = event_files(engine)
    if files is None:
        with engine.transaction():
            n = _delete(engine, "events", where, params)
            drop_derived(engine)
        return {"events": n, "files": 0}
    n_files, n_rows = rewrite_event_files(engine, where, params)
    drop_derived(engine)
    return {"events": n_rows, "files": n_files}
