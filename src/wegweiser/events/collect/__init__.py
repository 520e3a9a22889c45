"""Ingestion for the HTTP collector: the validator that checks each message as the importer
would (:mod:`.validate`), the durable group-commit spool of accepted messages (:mod:`.spool`)
and the reader that imports a spool segment through the normal ingest (:mod:`.spool_reader`).
The server (``serve/collector.py``) only receives requests and answers them.
"""
