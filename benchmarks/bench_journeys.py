"""Journeys benchmark: entry evaluation, emails/s, webhooks/s, p99 due -> sent.

* **entries** — a fresh project gets one import batch touching ``--persons`` persons
  (identify with traits, a product view: the phase Consideration, a signup); measured is
  ``process_imports`` alone: reading the batch for the touched persons (phase moves, traits,
  event counts) and entering them into two journeys (SQLite state store); beside it, the
  CPU of a full garbage collection right after (``gc_after_cpu_s``: work left for later).
* **emails/s** and **webhooks/s** — one worker sends ``--messages`` due messages through the
  real channels to receivers on loopback (aiosmtpd; a threaded ``http.server``), each
  recorded in the ledger (SQLite).
* **due -> sent** — runs enter at ``--rate`` per second for ``--seconds`` while one worker
  runs; for each email the delay from entering (due at once) to the ledger's ``sent``.

Goals (issue 14): 100k-person batch <= 5 s, >= 500 emails/s, >= 2,000 webhooks/s,
p99 due -> sent <= 2 s.

    python benchmarks/bench_journeys.py [--persons 100000] [--messages 3000] [--record]
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests.orchestrate.sinks: the loopback receivers

from _common import peak_rss_mib  # noqa: E402

from wegweiser.orchestrate.assembly import open_runtime  # noqa: E402
from wegweiser.orchestrate.person import Person  # noqa: E402
from wegweiser.orchestrate.runtime import Entrant  # noqa: E402

MAIL = """\
[entry]
kind = "event"
event = "signup"
reentry = "always"
[[steps]]
id = "mail"
type = "send"
channel = "email"
template = "t"
[templates.t.de]
subject = "Hallo {{ traits.name }}"
text = "Hallo {{ traits.name }}, {{ links.unsubscribe }}"
html = "<p>Hallo {{ traits.name }}</p>"
[templates.t.en]
subject = "Hello {{ traits.name }}"
text = "Hello {{ traits.name }}"
"""
HOOK = """\
[entry]
kind = "event"
event = "signup"
reentry = "always"
[[steps]]
id = "hook"
type = "webhook"
endpoint = "crm"
payload = { person = "{{ person.person_id }}", name = "{{ traits.name }}" }
"""
REMIND = """\
[entry]
kind = "phase_entered"
phase = "Consideration"
[[steps]]
id = "w"
type = "wait"
duration = "1d"
"""


def _project(root: Path, journeys: dict[str, str], delivery: str) -> Path:
    folder = root / "journeys"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "_delivery.toml").write_text(delivery, encoding="utf-8")
    for name, text in journeys.items():
        (folder / f"{name}.toml").write_text(text, encoding="utf-8")
    return root


def _persons(n: int, prefix: str = "p") -> list[Person]:
    return [Person(f"{prefix}{i}", traits={"name": f"N{i}", "email": f"{prefix}{i}@example.org",
                                           "email_opt_in": True}) for i in range(n)]


def bench_entries(persons: int) -> dict[str, float]:
    import pyarrow as pa

    import wegweiser
    from wegweiser.orchestrate.triggers import process_imports

    root = Path(tempfile.mkdtemp(prefix="wj-bench-"))
    with wegweiser.Project.init(root / "shop") as project:
        _project(project.path, {"welcome": MAIL.replace("reentry = \"always\"", ""),
                                "remind": REMIND}, "")
        runtime = open_runtime(project.path)
        process_imports(project, runtime)  # the baseline
        # a running worker has evaluated batches before: the first one pays for loading the
        # engine's modules (ibis' DuckDB backend, sqlglot's dialect), measured apart
        project.import_events(pa.table({
            "message_id": ["w0"], "type": ["track"], "event": ["signup"], "user_id": ["w"],
            "timestamp": ["2026-06-01T09:00:00+00:00"], "traits": [None],
            "properties": ["{}"]}))
        t0 = time.perf_counter()
        assert process_imports(project, runtime).entered == 1
        first = time.perf_counter() - t0
        users = [f"u{i}" for i in range(persons)]
        t = "2026-06-01T10:00:00+00:00"
        rows = {
            "message_id": [f"i{i}" for i in range(persons)] + [f"v{i}" for i in range(persons)]
            + [f"s{i}" for i in range(persons)],
            "type": ["identify"] * persons + ["track"] * (2 * persons),
            "event": [None] * persons + ["product_view"] * persons + ["signup"] * persons,
            "user_id": users * 3,
            "timestamp": [t] * (3 * persons),
            "traits": [json.dumps({"name": u, "email": f"{u}@example.org",
                                   "email_opt_in": True}) for u in users]
            + [None] * (2 * persons),
            "properties": ["{}"] * (3 * persons),
        }
        t0 = time.perf_counter()
        project.import_events(pa.table(rows))
        imported = time.perf_counter() - t0
        t0, c0 = time.perf_counter(), time.process_time()
        summary = process_imports(project, runtime)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        # what a full collection costs right after (the garbage collector pauses during a
        # batch: nothing of its work may be left over for later)
        c0 = time.process_time()
        gc.collect()
        collect = time.process_time() - c0
        runtime.close()
    assert summary.entered == 2 * persons, summary
    return {"persons": persons, "import_s": round(imported, 2),
            "evaluate_s": round(seconds, 2), "evaluate_cpu_s": round(cpu, 2),
            "gc_after_cpu_s": round(collect, 2), "entered": summary.entered,
            "first_batch_s": round(first, 2)}


class Sinks:
    """The receivers in their own process (``_journey_sinks.py``)."""

    def __enter__(self) -> Sinks:
        self.proc = subprocess.Popen([sys.executable, str(HERE / "_journey_sinks.py")],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        info = json.loads(self.proc.stdout.readline())
        self.smtp_port, self.hook_url = info["smtp_port"], info["hook_url"]
        return self

    def cpu_seconds(self) -> float:
        """Processor time the receivers' process used so far (Linux ``/proc``)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def count(self) -> dict[str, int]:
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write("count\n")
        self.proc.stdin.flush()
        return dict(json.loads(self.proc.stdout.readline()))

    def __exit__(self, *exc: object) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("quit\n")
        self.proc.stdin.flush()
        self.proc.wait(timeout=30)


def bench_throughput(messages: int, threads: int,
                     kinds: tuple[str, ...] = ("mail", "hook")) -> dict[str, float]:
    out: dict[str, float] = {}
    with Sinks() as sinks:
        root = Path(tempfile.mkdtemp(prefix="wj-bench-"))
        delivery = (f"[email]\nport = {sinks.smtp_port}\n[webhooks.crm]\n"
                    f"url = \"{sinks.hook_url}\"\nsecret_env = \"BENCH_HOOK_SECRET\"\n")
        os.environ["BENCH_HOOK_SECRET"] = "hook-secret"
        _project(root / "mail", {"mail": MAIL}, delivery)
        _project(root / "hook", {"hook": HOOK}, delivery)
        for name, key in (("mail", "emails"), ("hook", "webhooks")):
            if name not in kinds:
                continue
            runtime = open_runtime(root / name)
            runtime.enter([Entrant(name, p) for p in _persons(messages)])
            t0, c0, s0 = time.perf_counter(), time.process_time(), sinks.cpu_seconds()
            while runtime.run_once(limit=50 * threads, threads=threads):
                pass
            seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
            sink_cpu = sinks.cpu_seconds() - s0
            runtime.close()
            counts = sinks.count()
            assert counts[key] == messages, counts
            out[f"{key}_per_s"] = round(messages / seconds)
            # processor time per message: what the figure would be without other load
            out[f"{key}_worker_cpu_ms"] = round(1000 * cpu / messages, 3)
            out[f"{key}_sink_cpu_ms"] = round(1000 * sink_cpu / messages, 3)
        assert counts["max_email_repeats"] == (1 if "mail" in kinds else 0)
        assert counts["bad_signatures"] == 0
    return out


def bench_latency(rate: float, seconds: float, threads: int) -> dict[str, float]:
    with Sinks() as sinks:
        root = Path(tempfile.mkdtemp(prefix="wj-bench-"))
        _project(root, {"mail": MAIL}, f"[email]\nport = {sinks.smtp_port}\n")
        worker = open_runtime(root, worker_id="worker")
        feeder = open_runtime(root, worker_id="feeder")
        people = _persons(int(rate * seconds) + 10, prefix="q")
        done = threading.Event()

        def feed() -> None:
            t0, i = time.perf_counter(), 0
            while i < len(people) - 10 and not done.is_set():
                due = int((time.perf_counter() - t0) * rate)
                if due > i:
                    feeder.enter([Entrant("mail", p) for p in people[i:due]])
                    i = due
                time.sleep(0.01)
            done.set()

        thread = threading.Thread(target=feed)
        thread.start()
        while not done.is_set() or worker.run_once(limit=200, threads=threads):
            if not worker.run_once(limit=200, threads=threads):
                time.sleep(0.005)
        thread.join()
        while worker.run_once(limit=200, threads=threads):
            pass
        with worker.store.transaction() as tx:
            rows = tx.execute(
                "SELECT l.updated_at - r.entered_at FROM wj_ledger l "
                "JOIN wj_runs r ON r.run_id = l.run_id WHERE l.state = 'sent'")
        worker.close()
        feeder.close()
    delays = sorted(float(r[0]) for r in rows)
    return {"rate": rate, "sent": len(delays),
            "p50_ms": round(1000 * delays[len(delays) // 2]),
            "p99_ms": round(1000 * delays[int(len(delays) * 0.99)]),
            "max_ms": round(1000 * delays[-1])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=3_000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--record", action="store_true")
    parser.add_argument("--only", choices=["entries", "throughput", "latency", "webhooks"],
                        help="Run one part (while iterating; --record needs all three); "
                        "webhooks: the webhooks of throughput alone.")
    args = parser.parse_args()
    parts = {
        "entries": lambda: bench_entries(args.persons),
        "throughput": lambda: bench_throughput(args.messages, args.threads),
        "latency": lambda: bench_latency(args.rate, args.seconds, args.threads),
        "webhooks": lambda: bench_throughput(args.messages, args.threads, kinds=("hook",)),
    }
    figures: dict[str, Any] = {name: run() for name, run in parts.items()
                               if args.only == name or (args.only is None
                                                        and name != "webhooks")}
    figures["peak_rss_mib"] = peak_rss_mib()
    print(json.dumps(figures))
    if args.record and args.only is None:
        _record(figures, args)


def _record(f: dict, args: argparse.Namespace) -> None:
    e, t, lat = f["entries"], f["throughput"], f["latency"]
    load = os.getloadavg()[0]
    text = f"""
### Journeys — {datetime.date.today().isoformat()}

`python benchmarks/bench_journeys.py --persons {args.persons} --messages {args.messages} \
--rate {args.rate:g} --seconds {args.seconds:g} --threads {args.threads}`;
{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, SQLite state
store, receivers on loopback in a process of their own; load average {load:.1f} at the end.

| measure | figure | goal |
|---|---:|---:|
| import batch touching {e['persons']:,} persons (3 events each) | {e['import_s']} s | |
| entry evaluation of that batch ({e['entered']:,} entries, 2 journeys) \
| {e['evaluate_s']} s (CPU {e['evaluate_cpu_s']} s) | <= 5 s |
| the worker's first batch before it (1 event: loads the engine's modules) \
| {e['first_batch_s']} s | |
| emails/s to the local SMTP server (one worker, {args.threads} lanes) \
| {t['emails_per_s']:,} | >= 500 |
| webhooks/s to the local receiver (one worker, {args.threads} lanes) \
| {t['webhooks_per_s']:,} | >= 2,000 |
| CPU per email: worker / SMTP server | {t['emails_worker_cpu_ms']} / \
{t['emails_sink_cpu_ms']} ms | |
| CPU per webhook: worker / receiver | {t['webhooks_worker_cpu_ms']} / \
{t['webhooks_sink_cpu_ms']} ms | |
| due -> sent at {lat['rate']:g} entries/s: p50 / p99 / max \
| {lat['p50_ms']} / {lat['p99_ms']} / {lat['max_ms']} ms | p99 <= 2,000 ms |
| peak RSS | {f['peak_rss_mib']} MiB | |
"""
    with (HERE / "RESULTS.md").open("a", encoding="utf-8") as fh:
        fh.write(text)


if __name__ == "__main__":
    main()
