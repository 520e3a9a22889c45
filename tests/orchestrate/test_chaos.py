"""Chaos: journey workers killed with SIGKILL at random moments, on SQLite and PostgreSQL,
and two workers on one PostgreSQL at once. What arrived at the real receivers is counted:
no message twice; every intended message arrived once or is ``unknown`` in the ledger.

The SQLite worker advances its runs in three threads, the two PostgreSQL workers in two
each. Each scenario is bounded: a fixed number of kills (together more than 100), each worker
living a random 10-250 ms, then one worker finishes the rest within a time limit. Right
after each kill the test counts the sends the killed worker had ``sending``: the
crash-affected sends. On SQLite the receivers then act as providers and post delivery
receipts for what they accepted to the server's receipts route, which settles the
``unknown`` messages that did arrive.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import re
import threading
import time
from collections import Counter
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.orchestrate._journey_fixtures import ledger_by_key, sms_step, text_template
from tests.orchestrate.sinks import HookSink, SmtpSink, free_port
from tests.serve.conftest import WRITE_KEY
from wegweiser.orchestrate.assembly import open_runtime
from wegweiser.orchestrate.person import Person
from wegweiser.orchestrate.runtime import Entrant
from wegweiser.orchestrate.state import open_state

if TYPE_CHECKING:
    from collections.abc import Callable

JOURNEY = """\
[entry]
kind = "event"
event = "signup"

[[steps]]
id = "mail"
type = "send"
channel = "email"
template = "hello"

[[steps]]
id = "pause"
type = "wait"
duration = "1s"

[[steps]]
id = "crm"
type = "webhook"
endpoint = "crm"
payload = { person = "{{ person.person_id }}" }

""" + sms_step("short") + """
[templates.hello.de]
subject = "Hallo {{ traits.name }}"
text = "Hallo {{ traits.name }}"
[templates.hello.en]
subject = "Hello {{ traits.name }}"
text = "Hello {{ traits.name }}"
""" + text_template("short", "Danke!", "Thanks!")

RESULTS: dict[str, dict[str, float]] = {}


def _context():
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["tests.orchestrate.chaos_worker"])
    return ctx


def _setup(tmp_path, state: str, smtp: SmtpSink, crm: HookSink, sms: HookSink, n_runs: int):
    folder = tmp_path / "project" / "journeys"
    folder.mkdir(parents=True)
    (folder / "chaos.toml").write_text(JOURNEY, encoding="utf-8")
    (folder / "_delivery.toml").write_text(
        f'lease = "0.4s"\nretry_backoff = "0.2s"\n'
        f'[email]\nport = {smtp.port}\ntimeout_seconds = 2\n'
        f'[sms]\nurl = "{sms.url}"\ntimeout_seconds = 2\n'
        f'[webhooks.crm]\nurl = "{crm.url}"\ntimeout_seconds = 2\n',
        encoding="utf-8",
    )
    runtime = open_runtime(folder.parent, state=state, worker_id="setup")
    persons = [
        Person(f"p{i}", traits={"name": f"P{i}", "email": f"p{i}@example.org",
                                "phone": f"+49170{i:07d}", "email_opt_in": True,
                                "sms_opt_in": True, "language": "de" if i % 2 else "en"})
        for i in range(n_runs)
    ]
    assert runtime.enter([Entrant("chaos", p) for p in persons]) == n_runs
    runtime.close()
    return folder.parent


def _unfinished(project, state: str) -> int:
    runtime = open_runtime(project, state=state, worker_id="probe")
    try:
        with runtime.store.transaction() as tx:
            return int(tx.one("SELECT count(*) FROM wj_runs WHERE status = 'active'")[0])  # type: ignore[index]
    finally:
        runtime.close()


def _sending_of(state: str, worker: str) -> Counter[str]:
    """The messages ``worker`` had ``sending`` (claimed, the channel maybe called), by
    channel: the sends a kill of it affects."""
    with open_state(state) as store, store.transaction() as tx:
        return Counter({str(c): int(n) for c, n in tx.execute(
            "SELECT channel, count(*) FROM wj_ledger WHERE state = 'sending' AND worker = :w "
            "GROUP BY channel", {"w": worker})})


def _chaos(project, state: str, *, kills: int, workers: int, seed: int, threads: int = 1,
           then: Callable[[], object] | None = None) -> tuple[int, Counter[str]]:
    """Run ``workers`` processes at once, killing one at a random moment ``kills`` times;
    then let one worker finish (and call ``then`` as the kills end). Returns the kills done
    and the crash-affected sends by channel: the rows the killed worker had ``sending`` at
    the moment of its kill (counted right after it, before its successor starts)."""
    ctx, rng = _context(), random.Random(seed)
    t0 = time.monotonic()
    from tests.orchestrate import chaos_worker

    names = [f"w{i}" for i in range(workers)]
    procs = [ctx.Process(target=chaos_worker.work, args=(str(project), state, names[i], threads))
             for i in range(workers)]
    for p in procs:
        p.start()
    done_kills = 0
    affected: Counter[str] = Counter()
    for n in range(kills):
        time.sleep(rng.uniform(0.01, 0.25))
        victim = rng.randrange(workers)
        procs[victim].kill()
        procs[victim].join()
        done_kills += 1
        affected += _sending_of(state, names[victim])
        names[victim] = f"w{victim}-{n}"
        procs[victim] = ctx.Process(target=chaos_worker.work,
                                    args=(str(project), state, names[victim], threads))
        procs[victim].start()
    print(f"kills {time.monotonic() - t0:.1f}s")
    if then is not None:
        then()
    t0 = time.monotonic()
    # a bound, not the expected time (20-50 s alone, longer beside the other tests of a busy
    # CI machine): the runs of killed workers wait for their leases to run out
    deadline = t0 + 150
    while _unfinished(project, state) and time.monotonic() < deadline:
        time.sleep(0.2)
    print(f"drain {time.monotonic() - t0:.1f}s")
    for p in procs:
        p.kill()
        p.join()
    return done_kills, affected


def _check(project, state: str, smtp: SmtpSink, crm: HookSink, sms: HookSink, n_runs: int,
           name: str, kills: int, affected: Counter[str], threads: int = 1) -> None:
    runtime = open_runtime(project, state=state, worker_id="check")
    with runtime.store.transaction() as tx:
        runs = Counter(r[0] for r in tx.execute("SELECT status FROM wj_runs"))
        outbox = [json.loads(r[0]) for r in tx.execute("SELECT event FROM wj_outbox")]
    ledger = ledger_by_key(runtime.store, "state", "channel")
    runtime.close()
    assert runs == {"done": n_runs}, runs
    arrived = {"email": smtp.keys(), "webhook": crm.keys(), "sms": sms.keys()}
    assert len(ledger) == 3 * n_runs
    unknown = unknown_arrived = 0
    unknown_by: Counter[str] = Counter()
    for key, (state_, channel) in ledger.items():
        got = arrived[channel][key]
        if state_ == "sent":
            if channel == "webhook":
                assert got >= 1, key  # repeats carry the same key: the receiver drops them
            else:
                assert got == 1, (key, got)
        else:
            assert state_ == "unknown", (key, state_)
            assert channel != "webhook"
            assert got <= 1, (key, got)
            unknown += 1
            unknown_arrived += got  # the receiver has it (the kill came after the final ".")
            unknown_by[channel] += 1
    # nothing arrived that the ledger does not know, and nothing twice on SMTP or SMS
    for channel in ("email", "sms"):
        assert set(arrived[channel]) <= set(ledger)
        assert max(arrived[channel].values()) == 1, f"{channel} duplicate"
    assert crm.accepted() == {k for k, (_, c) in ledger.items() if c == "webhook"}
    sent_events = Counter(e["event"] for e in outbox)
    assert sent_events["message_sent"] == sum(1 for s, _ in ledger.values() if s == "sent")
    webhook_repeats = sum(crm.keys().values()) - len(crm.accepted())
    crash_affected = affected["email"] + affected["sms"]
    # every SMTP/SMS send a kill caught while `sending` is unknown, and nothing else is
    assert unknown == crash_affected, (unknown, affected)
    RESULTS[name] = {
        "runs": n_runs, "kills": kills, "messages": len(ledger),
        "smtp_sms_messages": 2 * n_runs, "crash_affected_smtp_sms": crash_affected,
        "crash_affected_webhook": affected["webhook"], "unknown": unknown,
        "unknown_email": unknown_by["email"], "unknown_sms": unknown_by["sms"],
        "unknown_arrived": unknown_arrived,
        "unknown_share_of_all": unknown / (2 * n_runs),
        "unknown_share_of_crash_affected": unknown / crash_affected if crash_affected else 0.0,
        "unknown_per_kill": unknown / kills, "duplicates": 0,
        "webhook_repeats_same_key": webhook_repeats, "threads": threads,
    }
    print(f"\nchaos {name}: {json.dumps(RESULTS[name])}")
    assert unknown <= kills * threads  # at most one message in flight per lane of a kill


@pytest.fixture
def sinks():
    with SmtpSink() as smtp, HookSink(secret=None) as crm, HookSink(secret=None) as sms:
        yield smtp, crm, sms


_MESSAGE_ID = re.compile(rb"^Message-ID: ([^\r\n]*)", re.MULTILINE)


def _provider_receipts(smtp: SmtpSink, sms: HookSink, seed: int) -> list[dict[str, str]]:
    """What the SMTP sink and the SMS sink would report as providers: a ``delivered``
    receipt for every message they accepted (email by its Message-ID, SMS by the key it came
    with), in no particular order."""
    with smtp.lock:
        found = [_MESSAGE_ID.search(raw) for raw in smtp.raw]
    receipts = [{"message_id": m.group(1).decode(), "status": "delivered"}
                for m in found if m is not None]
    assert len(receipts) == len(found)
    texts = sms.keys()  # the SMS gateway's records: the keys it got
    receipts += [{"key": key, "status": "delivered"} for key in texts]
    random.Random(seed).shuffle(receipts)
    return receipts


class _ReceiptsServer:
    """The server's receipts route (:mod:`wegweiser.serve.receipts_hook`, with its write-key
    check and error shape) served by uvicorn on loopback in a thread of this process: real
    HTTP, without the query workers and the importer process a whole ``wegweiser serve``
    starts (their start would double the test's time on two cores)."""

    def __init__(self, project) -> None:
        import uvicorn
        from fastapi import FastAPI

        from wegweiser.serve import errors, receipts_hook
        from wegweiser.serve.context import ServerContext

        app = FastAPI()
        app.state.ctx = ServerContext(project)
        errors.install(app)
        app.include_router(receipts_hook.router)
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                                    log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            assert self.thread.is_alive(), "the receipts server stopped"
            assert time.monotonic() < deadline, "the receipts server did not start"
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def _post_receipts(url: str, receipts: list[dict[str, str]]) -> list[dict[str, object]]:
    """Post the receipts to the receipts route in batches of 200, as a provider does (HTTP
    Basic with the write key); the answers."""
    answers = []
    with httpx.Client(base_url=url, auth=(WRITE_KEY, ""), timeout=60) as http:
        for start in range(0, len(receipts), 200):
            got = http.post("/v1/receipts", json={"receipts": receipts[start:start + 200]})
            assert got.status_code == 200, got.text
            answers.append(got.json())
    return answers


@pytest.mark.slow
def test_chaos_sqlite(tmp_path, sinks, monkeypatch):
    """The chaos run, then the sinks post delivery receipts for what they accepted, late,
    through the real receipts route: every ``unknown`` message that arrived is settled as
    ``sent``, the ones left did not arrive, and nothing is sent because of it."""
    smtp, crm, sms = sinks
    state = str(tmp_path / "journeys.sqlite")
    project = _setup(tmp_path, state, smtp, crm, sms, n_runs=600)
    (project / "wegweiser.toml").write_text('name = "chaos"\n', encoding="utf-8")
    monkeypatch.setenv("WEGWEISER_WRITE_KEYS", WRITE_KEY)
    monkeypatch.setenv("WEGWEISER_JOURNEYS_STATE", state)
    started: list[_ReceiptsServer] = []
    starter = threading.Thread(target=lambda: started.append(_ReceiptsServer(project)))
    # the server comes up while the last worker drains (no kills then)
    kills, affected = _chaos(project, state, kills=50, workers=1, seed=1, threads=3,
                             then=starter.start)
    _check(project, state, smtp, crm, sms, 600, "sqlite", kills, affected, threads=3)
    starter.join()
    (server,) = started
    try:
        arrived = {"email": smtp.keys(), "sms": sms.keys(), "webhook": crm.keys()}
        receipts = _provider_receipts(smtp, sms, seed=1)
        answers = _post_receipts(server.url, receipts)
        again = _post_receipts(server.url, receipts[:200])  # a provider retries: no change
    finally:
        server.stop()
    assert sum(a["n_rejected"] for a in answers) == 0, [a["rejected"] for a in answers]
    assert sum(a["n_applied"] for a in answers) == len(receipts)
    assert again[0]["n_changed"] == 0
    assert all(a["repeat"] for a in again[0]["applied"])
    settled = sum(a["n_changed"] for a in answers)
    runtime = open_runtime(project, state=state, worker_id="after")
    try:
        while runtime.run_once():  # a worker after the receipts: nothing to send
            pass
        ledger = ledger_by_key(runtime.store, "state", "channel")
    finally:
        runtime.close()
    # nothing was sent because of the receipts, nothing again
    assert {"email": smtp.keys(), "sms": sms.keys(), "webhook": crm.keys()} == arrived
    left = [(k, c) for k, (s, c) in ledger.items() if s == "unknown"]
    assert all(arrived[c][k] == 0 for k, c in left), "an unknown message that arrived"
    assert {s for s, _ in ledger.values()} <= {"sent", "unknown"}
    assert sum(1 for s, _ in ledger.values() if s == "sent") == sum(
        len(v) for v in arrived.values())
    result = RESULTS["sqlite"]
    assert settled == result["unknown"] - len(left)
    crash_affected = int(result["crash_affected_smtp_sms"])
    result.update({
        "receipts_posted": len(receipts), "receipts_settled": settled,
        "unknown_after_receipts": len(left),
        "unknown_after_share_of_crash_affected":
            len(left) / crash_affected if crash_affected else 0.0,
        "unknown_after_share_of_all": len(left) / (2 * 600),
    })
    print(f"\nchaos sqlite with receipts: {json.dumps(result)}")


@pytest.mark.slow
def test_chaos_postgresql(tmp_path, sinks, pg_url):
    smtp, crm, sms = sinks
    project = _setup(tmp_path, pg_url, smtp, crm, sms, n_runs=600)
    kills, affected = _chaos(project, pg_url, kills=30, workers=1, seed=2)
    _check(project, pg_url, smtp, crm, sms, 600, "postgresql", kills, affected)


@pytest.mark.slow
def test_chaos_two_workers_on_postgresql(tmp_path, sinks, pg_url):
    smtp, crm, sms = sinks
    project = _setup(tmp_path, pg_url, smtp, crm, sms, n_runs=800)
    kills, affected = _chaos(project, pg_url, kills=30, workers=2, seed=3, threads=2)
    _check(project, pg_url, smtp, crm, sms, 800, "postgresql-2-workers", kills, affected,
           threads=2)
