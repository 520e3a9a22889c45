from __future__ import annotations

import threading

from wegweiser.orchestrate import ledger
from wegweiser.orchestrate.state import open_state


def _intent(key: str = "j:p1:1|mail|email", channel: str = "email") -> ledger.Intent:
    return ledger.Intent(key=key, run_id="j:p1:1", journey="j", step="mail", channel=channel,
                         person_id="p1")


def test_a_message_is_started_once(state_url):
    with open_state(state_url) as store:
        with store.transaction() as tx:
            assert ledger.start(tx, _intent(), worker="w1", lease_until=10.0, now=1.0) == 1
        with store.transaction() as tx:
            assert ledger.start(tx, _intent(), worker="w2", lease_until=10.0, now=2.0) is None
            row = ledger.get(tx, _intent().key)
        assert row is not None
        assert (row.state, row.worker, row.attempts) == ("sending", "w1", 1)


def test_only_one_of_many_concurrent_workers_starts_a_message(state_url):
    winners: list[str] = []
    barrier = threading.Barrier(6)

    def worker(name: str) -> None:
        with open_state(state_url) as store:
            barrier.wait()
            with store.transaction() as tx:
                if ledger.start(tx, _intent(), worker=name, lease_until=10.0, now=1.0):
                    winners.append(name)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1


def test_a_crash_while_sending_is_unknown_on_smtp_and_resent_on_webhook(state_url):
    with open_state(state_url) as store:
        mail, hook = _intent(), _intent("j:p1:1|hook|webhook", "webhook")
        with store.transaction() as tx:
            ledger.start(tx, mail, worker="dead", lease_until=5.0, now=1.0)
            ledger.start(tx, hook, worker="dead", lease_until=5.0, now=1.0)
        with store.transaction() as tx:  # lease not over yet: nothing changes
            assert ledger.recover(tx, mail.key, idempotent=False, now=4.0) is None
        with store.transaction() as tx:
            assert ledger.recover(tx, mail.key, idempotent=False, now=6.0) == "unknown"
            assert ledger.recover(tx, hook.key, idempotent=True, now=6.0) == "pending"
            # unknown is never started again; the webhook goes again, same key, attempt 2
            assert ledger.start(tx, mail, worker="w2", lease_until=20.0, now=7.0) is None
            assert ledger.start(tx, hook, worker="w2", lease_until=20.0, now=7.0) == 2
            assert ledger.get(tx, mail.key).state == "unknown"  # type: ignore[union-attr]


def test_a_late_delivery_report_corrects_unknown_to_sent(state_url):
    with open_state(state_url) as store, store.transaction() as tx:
        ledger.start(tx, _intent(), worker="slow", lease_until=5.0, now=1.0)
        ledger.recover(tx, _intent().key, idempotent=False, now=6.0)
        assert ledger.finish(tx, _intent().key, worker="slow", attempt=1, state="sent",
                             reason=None, now=7.0)
        assert ledger.get(tx, _intent().key).state == "sent"  # type: ignore[union-attr]


def test_a_stale_worker_cannot_overwrite_a_newer_attempt(state_url):
    with open_state(state_url) as store, store.transaction() as tx:
        hook = _intent("k|hook|webhook", "webhook")
        ledger.start(tx, hook, worker="old", lease_until=5.0, now=1.0)
        ledger.recover(tx, hook.key, idempotent=True, now=6.0)
        assert ledger.start(tx, hook, worker="new", lease_until=50.0, now=7.0) == 2
        assert not ledger.finish(tx, hook.key, worker="old", attempt=1, state="failed",
                                 reason="x", now=8.0)
        assert not ledger.retry_later(tx, hook.key, worker="old", attempt=1, at=9.0,
                                      reason="x", now=8.0)
        row = ledger.get(tx, hook.key)
        assert row is not None
        assert (row.state, row.worker) == ("sending", "new")


def test_transient_failures_wait_for_their_next_attempt(state_url):
    with open_state(state_url) as store, store.transaction() as tx:
        ledger.start(tx, _intent(), worker="w", lease_until=5.0, now=1.0)
        assert ledger.retry_later(tx, _intent().key, worker="w", attempt=1, at=30.0,
                                  reason="connection refused", now=2.0)
        assert ledger.start(tx, _intent(), worker="w", lease_until=50.0, now=10.0) is None
        assert ledger.start(tx, _intent(), worker="w", lease_until=50.0, now=31.0) == 2


def test_history_counts_what_may_have_gone_out(state_url):
    with open_state(state_url) as store, store.transaction() as tx:
        for n, state in enumerate(["sent", "unknown", "failed"]):
            intent = _intent(f"k{n}|s|email")
            ledger.start(tx, intent, worker="w", lease_until=5.0, now=float(n + 1))
            if state == "unknown":
                ledger.recover(tx, intent.key, idempotent=False, now=100.0)
            else:
                ledger.finish(tx, intent.key, worker="w", attempt=1, state=state, reason=None,
                              now=float(n + 1))
        ledger.record(tx, _intent("k9|s|email"), "suppressed", "no consent", now=4.0)
        assert sorted(ledger.history(tx, "p1", since=0.0)) == [("email", 1.0), ("email", 2.0)]
        assert ledger.history(tx, "p1", since=1.5) == [("email", 2.0)]
