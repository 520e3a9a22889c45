"""Delivery receipts and settling by hand, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest

from tests.orchestrate._journey_fixtures import (
    SMS_THEN_WEBHOOK,
    died_while_sending,
    ledger_by_key,
    ledger_row,
)
from tests.orchestrate.helpers import Clock, build, ledger_rows, person, runs
from wegweiser.errors import InvalidInput
from wegweiser.orchestrate import ledger
from wegweiser.orchestrate.channels.email import legacy_message_id, message_id
from wegweiser.orchestrate.receipts import apply, read_file
from wegweiser.orchestrate.runtime import Entrant
from wegweiser.orchestrate.settle import settle
from wegweiser.orchestrate.state import open_state


def _outbox(store) -> list[tuple[str, str, str]]:
    with store.transaction() as tx:
        events = [json.loads(r[0]) for r in tx.execute("SELECT event FROM wj_outbox")]
    return sorted((e["event"], e["properties"]["ledger_key"], e["timestamp"]) for e in events)


MAIL, SMS, SENT, GONE = ("j:p1:1|mail|email", "j:p2:1|text|sms", "j:p3:1|mail|email",
                         "j:p4:1|mail|email")


def test_receipts_settle_unknown_messages_once_and_never_send(state_url):
    with open_state(state_url) as store:
        with store.transaction() as tx:
            ledger_row(tx, MAIL, "unknown")
            ledger_row(tx, SMS, "unknown", "sms")
            ledger_row(tx, SENT, "sent")
            ledger_row(tx, GONE, "suppressed")
        batch = [
            {"message_id": message_id(MAIL), "status": "delivered",
             "at": "2026-12-07T10:00:00Z"},
            {"key": SMS, "status": "bounced", "reason": "number unknown", "at": 1_800_000_000},
            {"key": SENT, "status": "delivered"},
            {"key": GONE, "status": "delivered"},                # never sent: contradicts
            {"key": "j:p9:1|mail|email", "status": "delivered"},  # no such message
            {"message_id": "<0102@eu-west-1.amazonses.com>", "status": "delivered"},
            {"key": MAIL, "status": "opened"},
            {"key": MAIL, "message_id": message_id(MAIL), "status": "delivered"},
            {"key": MAIL, "status": "delivered", "at": "2026-12-07 10:00"},  # no zone
            {"key": MAIL, "status": "delivered", "sttaus": "x"},
            "not an object",
        ]
        result = apply(store, batch, now=1_900_000_000.0)
        assert [(a.index, a.before, a.after, a.repeat) for a in result.applied] == [
            (0, "unknown", "sent", False), (1, "unknown", "failed", False),
            (2, "sent", "sent", False)]
        errors = {r.index: r.error for r in result.refused}
        assert sorted(errors) == [3, 4, 5, 6, 7, 8, 9, 10]  # every receipt is answered
        assert "as suppressed (no consent)" in errors[3]
        assert "ledger settle" in errors[3]
        assert "no message in the send ledger has the key 'j:p9:1|mail|email'" in errors[4]
        assert "Message-ID '<0102@eu-west-1.amazonses.com>'" in errors[5]
        assert "status must be one of delivered, bounced, failed, not 'opened'" in errors[6]
        assert "exactly one of message_id" in errors[7]
        assert "needs a time zone" in errors[8]
        assert "unknown field(s) 'sttaus'" in errors[9]
        assert "JSON object, not str" in errors[10]
        after = ledger_by_key(store, "state", "reason")
        assert after[MAIL] == ("sent", "delivery receipt: delivered")
        assert after[SMS] == ("failed", "bounced (provider receipt): number unknown")
        assert after[SENT][0] == "sent"
        assert after[GONE][0] == "suppressed"
        assert len(after) == 4  # no row made
        events = _outbox(store)
        assert [e[:2] for e in events] == [
            ("message_bounced", SMS), ("message_delivered", MAIL), ("message_delivered", SENT),
            ("message_sent", MAIL)]  # the worker never recorded it as sent
        assert events[1][2] == "2026-12-07T10:00:00+00:00"  # the receipt's time

        again = apply(store, batch[:3], now=1_900_000_100.0)
        assert [(a.before, a.after, a.repeat) for a in again.applied] == [
            ("sent", "sent", True), ("failed", "failed", True), ("sent", "sent", True)]
        assert ledger_by_key(store, "state", "reason") == after
        assert _outbox(store) == events


def test_a_receipt_settles_a_late_sending_row_and_a_contradiction_is_refused(state_url):
    with open_state(state_url) as store:
        with store.transaction() as tx:
            ledger_row(tx, MAIL, "sending")
            ledger_row(tx, SMS, "failed", "sms")
        result = apply(store, [{"key": MAIL, "status": "delivered"},
                               {"key": SMS, "status": "delivered"},
                               {"key": MAIL, "status": "bounced"}], now=3.0)
        assert [(a.key, a.before, a.after) for a in result.applied] == [
            (MAIL, "sending", "sent"), (MAIL, "sent", "failed")]  # a bounce comes later
        assert [r.index for r in result.refused] == [1]
        with store.transaction() as tx:  # the worker's own outcome cannot undo it
            assert not ledger.finish(tx, MAIL, worker="dead", attempt=1, state="unknown",
                                     reason="timeout", now=4.0)
        assert ledger_by_key(store, "state", "reason")[MAIL][0] == "failed"


def test_an_old_message_id_is_found_among_undecided_emails(state_url):
    with open_state(state_url) as store:
        with store.transaction() as tx:
            ledger_row(tx, MAIL, "unknown")
        result = apply(store, [{"message_id": legacy_message_id(MAIL).strip("<>"),
                                "status": "delivered"}], now=7.0)
        assert [(a.key, a.after) for a in result.applied] == [(MAIL, "sent")]


def test_receipt_files_json_lines_and_csv(tmp_path):
    lines = tmp_path / "r.jsonl"
    lines.write_text(f'{{"key": "{MAIL}", "status": "delivered"}}\n\nnot json\n',
                     encoding="utf-8")
    assert read_file(lines)[0] == {"key": MAIL, "status": "delivered"}
    assert read_file(lines)[1].startswith("line 3 is not JSON")
    table = tmp_path / "r.csv"
    table.write_text(f"key,status,at,reason\n{MAIL},bounced,1700000000,full\n",
                     encoding="utf-8")
    assert read_file(table) == [{"key": MAIL, "status": "bounced", "at": 1_700_000_000.0,
                                 "reason": "full"}]
    (tmp_path / "bad.csv").write_text("id,state\n1,x\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="status and message_id or key"):
        read_file(tmp_path / "bad.csv")


def test_settling_by_hand_only_unknown_and_says_who_and_why(state_url):
    with open_state(state_url) as store:
        with store.transaction() as tx:
            ledger_row(tx, MAIL, "unknown")
            ledger_row(tx, SMS, "unknown", "sms")
            ledger_row(tx, SENT, "sent")
        done = settle(store, [MAIL, SENT, "nope"], decision="sent", reason="in the MTA log",
                      actor="ana", now=1_800_000_000.0)
        assert [(d.key, d.before, d.after, d.error is None) for d in done] == [
            (MAIL, "unknown", "sent", True), (SENT, "sent", "sent", False),
            ("nope", None, None, False)]
        assert "only unknown messages" in str(done[1].error)
        settle(store, [SMS], decision="failed", reason="provider: not delivered",
               actor="ana", now=1_800_000_000.0)
        after = ledger_by_key(store, "state", "reason")
        assert after[MAIL] == ("sent", "settled by hand as sent by ana at 2027-01-15 08:00 "
                                       "UTC: in the MTA log")
        assert after[SMS][0] == "failed"
        assert [e[:2] for e in _outbox(store)] == [("message_sent", MAIL)]
        with pytest.raises(InvalidInput, match="--as is one of"):
            settle(store, [SMS], decision="maybe", reason="x", actor="ana", now=1.0)
        with pytest.raises(InvalidInput, match="say why"):
            settle(store, [SMS], decision="sent", reason=" ", actor="ana", now=1.0)


def test_resend_sends_the_unknown_message_again_once_with_its_key(tmp_path, hook):
    clock = Clock()
    rt = build(tmp_path / "j", str(tmp_path / "j.sqlite"), {"t": SMS_THEN_WEBHOOK},
               f'lease = "10s"\n[webhooks.crm]\nurl = "{hook.url}"\n', hook=hook, clock=clock)
    rt.enter([Entrant("t", person("p", phone="+4917012345", sms_opt_in=True))])
    key = "t:p:1|text|sms"
    died_while_sending(rt.store, key, now=clock(), lease_until=clock() + 10)
    clock.advance(11)
    rt.run_once()
    assert ledger_rows(rt)[key][0] == "unknown"
    assert runs(rt)["t:p:1"][0] == "done"
    assert hook.keys() == {"t:p:1|later|webhook": 1}  # the SMS was not sent again
    while rt.run_once():
        pass
    assert hook.keys() == {"t:p:1|later|webhook": 1}

    done = settle(rt.store, [key], decision="resend", reason="provider has no record",
                  actor="ana", now=clock(), journeys=rt.journeys)
    assert [(d.before, d.after, d.error) for d in done] == [("unknown", "pending", None)]
    assert runs(rt)["t:p:1"][:2] == ("active", "text")
    while rt.run_once():
        pass
    assert ledger_rows(rt)[key][:2] == ("sent", 2)
    assert runs(rt)["t:p:1"][0] == "done"
    # the SMS went once more, with its key; the webhook after it was not called again
    assert hook.keys() == {"t:p:1|later|webhook": 1, key: 1}
    again = settle(rt.store, [key], decision="resend", reason="twice?", actor="ana",
                   now=clock(), journeys=rt.journeys)
    assert again[0].error == "the message is sent; only unknown messages are settled by hand"
