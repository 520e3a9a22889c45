"""Webhook sends begun in groups (orchestrate/_sending.py ``begin_group``): one transaction
for many, each message still once, a slow group lengthens its leases, a claim lost
meanwhile sends nothing, and an error mid-group loses nothing."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from tests.orchestrate.helpers import Clock, build, ledger_rows, outbox, person, runs
from wegweiser.orchestrate.runtime import Entrant

TELL = """\
[entry]
kind = "event"
event = "x"
[[steps]]
id = "tell"
type = "webhook"
endpoint = "crm"
payload = { who = "{{ person.person_id }}", name = "{{ traits.first_name }}" }
"""


def _count_transactions(rt):
    """Count the runtime's transactions (its own store; one lane)."""
    counted = []
    begin = rt.store.transaction

    @contextmanager
    def counting():
        counted.append(1)
        with begin() as tx:
            yield tx

    rt.store.transaction = counting
    return counted


def _key(pid: str) -> str:
    return f"tell:{pid}:1|tell|webhook"


def test_a_group_begins_in_one_transaction_and_each_message_arrives_once(
    tmp_path, state_url, hook
):
    rt = build(tmp_path / "j", state_url, {"tell": TELL},
               '[webhooks.crm]\nurl = "http://127.0.0.1:9/"\n', hook=hook)
    people = [person(f"p{i:02d}", first_name=f"N{i}") for i in range(40)]
    people.append(person("broken"))  # no first_name: its payload cannot render
    rt.enter([Entrant("tell", p) for p in people])
    with rt.store.transaction() as tx:  # one sent before (a crash after the ledger said so)
        tx.execute("INSERT INTO wj_ledger (key, run_id, journey, step, channel, person_id, "
                   "state, attempts, created_at, updated_at) VALUES (:k, 'tell:p07:1', "
                   "'tell', 'tell', 'webhook', 'p07', 'sent', 1, 0, 0)", {"k": _key("p07")})
    counted = _count_transactions(rt)
    assert rt.run_once(limit=50) == 41
    # claim, 3 groups of up to 16 (each with the outcomes before), the broken run parked,
    # the last outcomes: 6 -- one by one it was 1 + 40 + 1
    assert len(counted) <= 6, len(counted)
    want = {_key(f"p{i:02d}") for i in range(40)} - {_key("p07")}
    assert hook.keys() == dict.fromkeys(want, 1)
    assert {k: d for k, d, _ in hook.arrivals} == {
        _key(f"p{i:02d}"): {"who": f"p{i:02d}", "name": f"N{i}"} for i in range(40) if i != 7}
    assert all(ok for _, _, ok in hook.arrivals)
    rows = ledger_rows(rt)
    assert {rows[k][:2] for k in want} == {("sent", 1)}
    states = runs(rt)
    assert states["tell:broken:1"][0] == "parked"
    assert "first_name" in (states["tell:broken:1"][2] or "")
    assert {s for r, (s, _, _) in states.items() if r != "tell:broken:1"} == {"done"}
    assert outbox(rt).count("message_sent") == 39


def test_a_slow_group_lengthens_its_leases_and_a_lost_claim_sends_nothing(tmp_path, hook):
    clock = Clock()
    state = str(tmp_path / "j.sqlite")
    rt = build(tmp_path / "j", state, {"tell": TELL},
               'lease = "10s"\n[webhooks.crm]\nurl = "http://127.0.0.1:9/"\n', hook=hook,
               clock=clock)
    rt.enter([Entrant("tell", person(f"p{i}", first_name="X")) for i in range(4)])
    channel = rt.channels["webhook:crm"]
    send = channel.send
    sent: list[str] = []

    def slow_send(message, key):
        sent.append(message.person_id)
        clock.advance(6)  # more than half the lease per message
        if message.person_id == "p1":  # meanwhile another worker took p2's run over
            with rt.store.transaction() as tx:
                tx.execute("UPDATE wj_runs SET claimed_by = 'other' WHERE run_id = 'tell:p2:1'")
        return send(message, key)

    channel.send = slow_send
    assert rt.run_once(limit=10) == 4
    # p3's claim (10 s from the start) had run out by its turn (12 s) but was lengthened
    # with p1's (at 6 s); p2 is no longer this worker's: not sent by it
    assert sent == ["p0", "p1", "p3"]
    rows = ledger_rows(rt)
    assert [rows[_key(f"p{i}")][0] for i in range(4)] == ["sent", "sent", "sending", "sent"]
    assert set(hook.keys()) == {_key("p0"), _key("p1"), _key("p3")}


def test_an_error_mid_group_loses_nothing_and_sends_nothing_twice(tmp_path, state_url, hook):
    clock = Clock()
    journeys, delivery = {"tell": TELL}, 'lease = "10s"\n[webhooks.crm]\nurl = "http://x/"\n'
    rt = build(tmp_path / "j", state_url, journeys, delivery, hook=hook, clock=clock)
    rt.enter([Entrant("tell", person(f"p{i}", first_name="X")) for i in range(10)])
    channel = rt.channels["webhook:crm"]
    send = channel.send
    calls = []

    def failing(message, key):
        calls.append(key)
        if len(calls) == 4:
            raise RuntimeError("the lane died here")
        return send(message, key)

    channel.send = failing
    with pytest.raises(RuntimeError, match="the lane died"):
        rt.run_once(limit=10)
    rows = ledger_rows(rt)
    assert sum(1 for s, _, _ in rows.values() if s == "sent") == 3  # written on the way out
    assert sum(1 for s, _, _ in rows.values() if s == "sending") == 7
    clock.advance(11)  # the lease ran out: another worker takes the runs over
    other = build(tmp_path / "j", state_url, journeys, delivery, hook=hook, clock=clock,
                  worker_id="w2")
    while other.run_once(limit=10):
        pass
    assert {s for s, _, _ in ledger_rows(other).values()} == {"sent"}
    assert {s for s, _, _ in runs(other).values()} == {"done"}
    assert hook.keys() == {_key(f"p{i}"): 1 for i in range(10)}  # none twice
    assert outbox(other).count("message_sent") == 10
