"""Privacy requests: export a person, erase or anonymise them, suppress their ids, keep
events only as long as the retention policy says (see docs/privacy.md).

Each request is a function over an open project, so that it reaches everything (store,
journey state, spool, snapshots, caches), and names who asked (the erasure record)::

    >>> import wegweiser
    >>> from wegweiser.privacy import erase_person, export_person
    >>> with wegweiser.open_project("shop") as project:                 # doctest: +SKIP
    ...     export_person(project, "ana@example.org", actor="notebook:ana").to_json()
    ...     erase_person(project, "ana@example.org", actor="notebook:ana")

``anonymise_person`` keeps the person's events for the totals under a random pseudonym,
``erase_batch`` takes many ids (``read_ids("ids.csv")``), ``apply_retention`` deletes
events older than ``[retention] events_days``, ``erasure_records(project.path)`` lists
what was done. The suppression list is ``project.suppression()``.

Where Wegweiser holds personal data, and what each request does there:

=================================  ==========================================  ==========
place                              what                                        request
=================================  ==========================================  ==========
store ``events`` (DuckDB) or the   events, feedback answers, traits            export,
event Parquet files (Spark)                                                    erase
store ``identities``,              ids and how they were stitched              export,
``identity_links``                                                             erase
store ``quarantine``               rejected raw payloads naming the ids        export,
                                                                               erase
store ``imports.details``          samples of duplicate rows                   erase
store ``scores``                   predicted scores per person                 export,
                                                                               erase
derived ``journey`` table (store   copies of the events                        dropped,
or ``derived/`` Parquet)                                                       rebuilt
``snapshots/store-*.duckdb``       read copies of the store                    deleted
``spool/*.jsonl``, ``*.open``      collected events not yet imported           erase
``wegweiser-texts.sqlite``         readings of feedback texts                  erase
``journeys.sqlite`` / PostgreSQL   runs, ledger, outbox, memberships,          export,
                                   unsubscribes, opens and clicks              erase
``personas.json``                  persona centroids and names: no person      —
``segments/``, ``fixes/``,         definitions: no person                      —
``annotations.toml``, costs
``privacy/suppressed.json``        salted hashes of erased ids                 —
``privacy/erasures.jsonl``         what/when/who of each request, hashes only  —
=================================  ==========================================  ==========

The DuckDB store keeps deleted rows' bytes until the file is rewritten, so every erasure
ends with a rewrite (``COPY FROM DATABASE`` into a new file, renamed over the store).
"""

from __future__ import annotations

from wegweiser.privacy.erase import (
    ErasureSummary,
    anonymise_person,
    erase_batch,
    erase_person,
    read_ids,
)
from wegweiser.privacy.export import PersonExport, export_person
from wegweiser.privacy.records import read as erasure_records
from wegweiser.privacy.retention import RetentionSummary, apply_retention

__all__ = [
    "ErasureSummary",
    "PersonExport",
    "RetentionSummary",
    "anonymise_person",
    "apply_retention",
    "erase_batch",
    "erase_person",
    "erasure_records",
    "export_person",
    "read_ids",
]
