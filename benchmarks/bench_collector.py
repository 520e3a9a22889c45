"""Collector benchmark: a load generator posts batches of 100 events to `wegweiser serve`.

The real server (``wegweiser serve``: uvicorn with uvloop/httptools as installed) runs as a
subprocess on a fresh demo-like project (2,000 persons); a load generator in another process
keeps ``--collector-connections`` keep-alive HTTP connections busy, each sending batches of
100 realistic Segment messages (demo journeys with analytics.js-style context, ~640 bytes per
event) for ``--collector-seconds`` (after 3 s of warm-up). Each rate of ``--collector-rates``
is one run: paced at that many events/s (latency counted from when a request was due, so a
stalling server cannot hide behind a slower sender), or ``0`` as fast as the server answers.
Reported: events/s accepted, request latency percentiles, the server's CPU (cores) and peak
RSS, both with its import process; then the flusher is given time to import the spool and
the store is counted: every accepted event must be there (stored == accepted).

The floor is a bare FastAPI endpoint on the same uvicorn that reads the body and answers
``{"success": true}``: what the HTTP stack alone costs at the same load.

``--collector-heavy`` runs heavy analyses meanwhile (issue 13): a client posts
``POST /api/v1/attribution`` with ``HEAVY`` (compare, bootstrap 200, order 4, by campaign)
again and again, one at a time, and a probe asks ``GET /api/v1/stats`` every second; their
answers (status, seconds) are reported beside the collector's figures.

Targets (issue 4): >= 20k events/s, p99 <= 100 ms on 2 cores, zero lost events; with the
heavy analysis (issue 13) the same, and the probe answered (200 or 503 + Retry-After).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import datetime
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from _common import run_standalone

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
WRITE_KEY = "wk_bench_collector"
BATCH = 100
TARGET_EVENTS_PER_S = 20_000
TARGET_P99_MS = 100.0
WARMUP_SECONDS = 3.0
HEAVY = {"compare": True, "bootstrap": 200, "order": 4, "by": "campaign"}

FLOOR_APP = """
from fastapi import FastAPI, Request
from fastapi.responses import Response

app = FastAPI()


@app.post("/v1/batch")
async def batch(request: Request) -> Response:
    await request.body()
    return Response(b'{"success":true,"accepted":100,"rejected":[]}',
                    media_type="application/json")


@app.get("/healthz")
async def healthz() -> dict:
    return {"status": "ok"}
"""


# -- messages ------------------------------------------------------------------------------
_AGENTS = {
    "mobile": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
    "desktop": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Chrome/120.0.0.0 Safari/537.36",
    "tablet": "Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
}


def messages(persons: int, seed: int = 7) -> list[bytes]:
    """Demo journeys as analytics.js-style messages, serialised without ``messageId`` (the
    sender prepends a unique one), in time order."""
    import orjson

    from wegweiser.events.demo import generate

    rows = generate(persons, seed=seed, days=30).events.to_pylist()
    out = []
    for r in rows:
        # as JavaScript's toISOString() writes it
        ts = r["timestamp"].astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        ctx: dict[str, Any] = {
            "library": {"name": "analytics.js", "version": "5.2.0"},
            "userAgent": _AGENTS.get(r["device"] or "desktop", _AGENTS["desktop"]),
            "locale": f"de-{r['country'] or 'DE'}",
            "page": {
                "url": f"https://shop.example/{r['event']}",
                "path": f"/{r['event']}",
                "referrer": r["referrer"] or "",
                "title": "Shop",
            },
        }
        if r["source"] or r["medium"] or r["campaign"]:
            ctx["campaign"] = {"source": r["source"], "medium": r["medium"], "name": r["campaign"]}
        msg: dict[str, Any] = {
            "type": r["type"],
            "anonymousId": r["anonymous_id"],
            "timestamp": ts,
            "sentAt": ts,
            "context": ctx,
            "properties": json.loads(r["properties"]) if r["properties"] else {},
        }
        if r["user_id"]:
            msg["userId"] = r["user_id"]
        if r["type"] == "track":
            msg["event"] = r["event"]
        elif r["type"] in ("page", "screen"):
            msg["name"] = r["event"]
        if r["revenue"] is not None:
            msg["properties"]["revenue"] = r["revenue"]
            msg["properties"]["currency"] = r["currency"]
        if r["type"] == "identify":
            msg["traits"] = {"email": f"{r['user_id']}@example.com"}
        out.append(orjson.dumps(msg)[1:])  # without the opening brace
    return out


# -- load generator (a separate process) ---------------------------------------------------
async def _connection(
    host: str,
    port: int,
    payloads: list[bytes],
    prefix: str,
    measure_from: float,
    stop_at: float,
    interval: float,
    out: dict[str, Any],
) -> None:
    """Send batches one after the other on one keep-alive connection.

    ``interval`` > 0 paces the sends (request k is due at start + k * interval) and measures
    latency from when a request was due, so a stalled server is not hidden by sending less
    (coordinated omission); 0 sends as fast as the answers come.
    """
    import orjson

    reader, writer = await asyncio.open_connection(host, port)
    auth = base64.b64encode(f"{WRITE_KEY}:".encode()).decode()
    head = (
        f"POST /v1/batch HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Basic {auth}\r\n"
        "Content-Type: text/plain\r\nContent-Length: {}\r\n\r\n"
    )
    seq = 0
    n = len(payloads)
    start = (hash(prefix) % n + n) % n
    due = time.perf_counter() + (interval * (hash(prefix) % 1000) / 1000 if interval else 0)
    while time.monotonic() < stop_at:
        if interval:
            wait = due - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
        parts = []
        for k in range(BATCH):
            payload = payloads[(start + seq * BATCH + k) % n]
            parts.append(b'{"messageId":"' + f"{prefix}-{seq}-{k}".encode() + b'",' + payload)
        body = b'{"batch":[' + b",".join(parts) + b"]}"
        sent = min(due, time.perf_counter()) if interval else time.perf_counter()
        due += interval
        writer.write(head.format(len(body)).encode() + body)
        status_line = await reader.readline()
        length = 0
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        answer = await reader.readexactly(length)
        status = int(status_line.split()[1])
        accepted = orjson.loads(answer)["accepted"] if status == 200 else 0
        if sent < measure_from:  # warming up: only counted for stored == accepted
            out["warmup_accepted"] += accepted
        else:
            out["latencies"].append(time.perf_counter() - sent)
            out["requests"] += 1
            out["sent"] += BATCH
            out["accepted"] += accepted
            if status != 200:
                out["errors"][str(status)] = out["errors"].get(str(status), 0) + 1
        seq += 1
    writer.close()


async def _load(
    host: str, port: int, connections: int, seconds: float, rate: float, run_id: str
) -> dict:
    payloads = messages(3000)
    out: dict[str, Any] = {
        "latencies": [],
        "requests": 0,
        "sent": 0,
        "accepted": 0,
        "warmup_accepted": 0,
        "errors": {},
    }
    print("ready", flush=True)
    sys.stdin.readline()  # the parent says go (after measuring the server's CPU so far)
    measure_from = time.perf_counter() + WARMUP_SECONDS
    started = time.monotonic() + WARMUP_SECONDS
    stop_at = started + seconds
    interval = connections * BATCH / rate if rate else 0.0
    await asyncio.gather(
        *(
            _connection(
                host, port, payloads, f"{run_id}-c{i}", measure_from, stop_at, interval, out
            )
            for i in range(connections)
        )
    )
    out["seconds"] = time.monotonic() - started
    return out


def load_main(argv: list[str]) -> None:
    host, port, connections, seconds, rate, run_id = argv
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    out = asyncio.run(_load(host, int(port), int(connections), float(seconds), float(rate), run_id))
    lat = sorted(out.pop("latencies"))

    def pct(p: float) -> float:
        return 1000 * lat[min(len(lat) - 1, int(p / 100 * len(lat)))] if lat else float("nan")

    out.update(
        p50_ms=pct(50),
        p95_ms=pct(95),
        p99_ms=pct(99),
        max_ms=1000 * lat[-1] if lat else float("nan"),
    )
    print(json.dumps(out), flush=True)


# -- the server ----------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_project(work: Path, flush_seconds: float | None = None) -> Path:
    """A fresh demo-like project (2,000 persons, 60 days) with a rate limit high enough."""
    from wegweiser import Project
    from wegweiser.events.demo import generate

    folder = work / "collector-project"
    shutil.rmtree(folder, ignore_errors=True)
    with Project.init(folder, name="Collector benchmark") as project:
        data = generate(2000, seed=11, days=60)
        project.import_events(data.events)
        project.replace_costs(data.costs)
    config = folder / "wegweiser.toml"
    text = re.sub(
        r"rate_limit_events = \d+",
        "rate_limit_events = 10000000\nrate_limit_burst = 10000000"
        + (f"\nflush_seconds = {flush_seconds}" if flush_seconds else ""),
        config.read_text(encoding="utf-8"),
    )
    config.write_text(text, encoding="utf-8")
    return folder


def _wait_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not come up")


def _health(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url + "/healthz", timeout=30) as response:
        result: dict[str, Any] = json.loads(response.read())
        return result


def start_server(
    cmd: list[str], work: Path, name: str, env: dict[str, str]
) -> tuple[subprocess.Popen[bytes], str, Path]:
    port = free_port()
    log = work / f"{name}.log"
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [*cmd, "--port", str(port)], stdout=handle, stderr=subprocess.STDOUT, env=env, cwd=work
        )
    url = f"http://127.0.0.1:{port}"
    _wait_up(url, process, log)
    return process, url, log


def stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def drive(
    url: str, pid: int, connections: int, seconds: float, rate: float, run_id: str
) -> dict[str, Any]:
    """Run the load generator against ``url`` and measure the server process meanwhile."""
    import psutil

    port = url.rsplit(":", 1)[1]
    server = psutil.Process(pid)
    loader = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "_load",
            "127.0.0.1",
            port,
            str(connections),
            str(seconds),
            str(rate),
            run_id,
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert loader.stdin is not None
    assert loader.stdout is not None
    if loader.stdout.readline().strip() != "ready":
        raise RuntimeError("load generator failed to start")

    def family() -> list[psutil.Process]:
        """The server and its children (the collector's import process)."""
        try:
            return [server, *server.children(recursive=True)]
        except psutil.Error:
            return [server]

    def rss() -> int:
        total = 0
        for p in family():
            with contextlib.suppress(psutil.Error):
                total += p.memory_info().rss
        return total

    def cpu_seconds() -> float:
        total = 0.0
        for p in family():
            with contextlib.suppress(psutil.Error):
                times = p.cpu_times()
                total += times.user + times.system
        return total

    peak = [rss()]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.25):
            try:
                peak[0] = max(peak[0], rss())
            except psutil.Error:
                return

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    loader.stdin.write("go\n")
    loader.stdin.flush()
    time.sleep(WARMUP_SECONDS)
    cpu0 = cpu_seconds()
    wall0 = time.monotonic()
    output = loader.stdout.read()
    loader.wait()
    wall = time.monotonic() - wall0
    cpu = cpu_seconds() - cpu0
    done.set()
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    result["rate"] = rate
    result["events_per_s"] = result["accepted"] / result["seconds"]
    result["requests_per_s"] = result["requests"] / result["seconds"]
    result["server_cores"] = cpu / wall
    result["server_peak_rss_mib"] = round(peak[0] / 2**20)
    return result


class HeavyLoad:
    """Heavy analyses one after the other, and a light probe every second, in threads."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.stop = threading.Event()
        self.started = time.monotonic()
        self.heavy: list[tuple[int, float]] = []
        self.probes: list[tuple[int, float]] = []
        self.threads = [
            threading.Thread(target=self._loop, args=("POST", "/api/v1/attribution", HEAVY,
                                                       self.heavy, 0.0), daemon=True),
            threading.Thread(target=self._loop, args=("GET", "/api/v1/stats", None,
                                                       self.probes, 1.0), daemon=True),
        ]

    def _loop(self, method: str, path: str, body: Any, out: list[tuple[int, float]],
              pause: float) -> None:
        data = json.dumps(body).encode() if body is not None else None
        while not self.stop.is_set():
            request = urllib.request.Request(self.url + path, data=data, method=method,
                                             headers={"Content-Type": "application/json"})
            t0 = time.monotonic()
            try:
                with urllib.request.urlopen(request, timeout=300) as response:
                    response.read()
                    status = response.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            except OSError:
                status = 0
            if status == 0 and self.stop.is_set():
                break
            out.append((status, time.monotonic() - t0))
            self.stop.wait(pause)

    def __enter__(self) -> HeavyLoad:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()

    def summary(self) -> dict[str, Any]:
        def part(rows: list[tuple[int, float]]) -> dict[str, Any]:
            statuses: dict[str, int] = {}
            for status, _ in rows:
                statuses[str(status)] = statuses.get(str(status), 0) + 1
            slowest = max((s for _, s in rows), default=float("nan"))
            return {"n": len(rows), "statuses": statuses, "max_s": slowest}

        found = {"heavy": part(self.heavy), "probe": part(self.probes)}
        # a request still waiting at the end counts with its time so far
        found["unanswered_after_s"] = round(
            time.monotonic() - self.started - sum(s for _, s in self.heavy), 1
        )
        return found


def measure_wegweiser(args: argparse.Namespace, env: dict[str, str], rate: float) -> dict:
    """One run on a fresh project: load, wait for the flush, count what the store holds."""
    project = make_project(args.work, args.collector_flush_seconds)
    process, url, log = start_server(
        [sys.executable, "-m", "wegweiser.cli", "serve", "--project", str(project)],
        args.work,
        "collector-server",
        env,
    )
    run_id = f"b{int(time.time())}"
    try:
        heavy = HeavyLoad(url) if args.collector_heavy else None
        if heavy is not None:
            heavy.__enter__()
            time.sleep(2)  # the heavy analysis is running when the load starts
        try:
            r = drive(
                url, process.pid, args.collector_connections, args.collector_seconds, rate, run_id
            )
        finally:
            if heavy is not None:
                heavy.__exit__()
        if heavy is not None:
            r["analyses"] = heavy.summary()
        started = progress = time.monotonic()
        backlog = left = _health(url)["collector"]["pending_events"]
        while time.monotonic() - progress < 30:  # the server's stop imports the rest
            state = _health(url)["collector"]
            if state["pending_events"] == 0:
                break
            if state["pending_events"] < left:
                left, progress = state["pending_events"], time.monotonic()
            time.sleep(0.5)
        r["backlog"] = backlog
        r["flush_wait_s"] = time.monotonic() - started
        r["last_error"] = state.get("last_error")
    finally:
        stop_server(process)
    from wegweiser import open_project

    with open_project(project) as p:
        r["stored"] = int(
            p._engine.scalar(
                "SELECT count(*) FROM events WHERE starts_with(message_id, $p)", {"p": run_id + "-"}
            )
        )
    r["lost"] = r["accepted"] + r["warmup_accepted"] - r["stored"]
    _show(_label("wegweiser serve" + (" + heavy analysis" if "analyses" in r else ""), rate), r)
    if "analyses" in r:
        a = r["analyses"]
        print(f"    heavy analyses {a['heavy']}; probe GET /api/v1/stats {a['probe']}", flush=True)
    print(
        f"    stored {r['stored']:,} of {r['accepted'] + r['warmup_accepted']:,} accepted "
        f"(with {WARMUP_SECONDS:g} s warm-up; lost {r['lost']:,}); "
        f"{r['backlog']:,} events still in the spool when the load stopped, imported "
        f"{r['flush_wait_s']:.1f} s later; server log {log}",
        flush=True,
    )
    return r


def _label(server: str, rate: float) -> str:
    return f"{server}, " + (f"paced at {rate:,.0f} events/s" if rate else "as fast as it answers")


def _env() -> dict[str, str]:
    return {**os.environ, "WEGWEISER_WRITE_KEYS": WRITE_KEY, "WEGWEISER_SECRET_KEY": "bench"}


def run(args: argparse.Namespace) -> dict[str, Any]:
    args.work.mkdir(parents=True, exist_ok=True)
    env = _env()
    results: dict[str, Any] = {"floor": run_floor(args) if args.collector_floor else [],
                               "wegweiser": []}
    for rate in args.collector_rates:
        results["wegweiser"].append(measure_wegweiser(args, env, rate))
    return results


def tree_measures(args: argparse.Namespace) -> list[dict[str, Any]]:
    """For ``run.py --before``: Wegweiser's runs (no floor: the parent runs it once) as
    measures: events/s accepted with the server's CPU seconds per 100k events, and p99."""
    args.work.mkdir(parents=True, exist_ok=True)
    out = []
    for rate in args.collector_rates:
        r = measure_wegweiser(args, _env(), rate)
        if r.get("lost"):
            raise SystemExit(f"{r['lost']:,} accepted events lost at {_label('', rate)}")
        out += run_measures(r)
    return out


def run_measures(r: dict[str, Any]) -> list[dict[str, Any]]:
    """One run's figures as two measures (a rate and a latency)."""
    load = f"paced {r['rate']:,.0f}/s" if r["rate"] else "as fast as answered"
    cpu = r["server_cores"] / r["events_per_s"] * 1e5 if r["events_per_s"] else None
    return [{"measure": "events/s accepted (server CPU s per 100k events)", "size": load,
             "wall": r["events_per_s"], "cpu": cpu, "unit": "events/s",
             "peak_rss_mib": r["server_peak_rss_mib"]},
            {"measure": "p99 latency", "size": load, "wall": r["p99_ms"], "cpu": None,
             "unit": "ms", "peak_rss_mib": r["server_peak_rss_mib"]}]


def run_floor(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The bare FastAPI endpoint at each rate."""
    args.work.mkdir(parents=True, exist_ok=True)
    env = _env()
    out: list[dict[str, Any]] = []
    if args.collector_floor:
        (args.work / "floor_app.py").write_text(FLOOR_APP, encoding="utf-8")
        process, url, _ = start_server(
            [sys.executable, "-m", "uvicorn", "floor_app:app", "--log-level", "warning"],
            args.work,
            "floor-server",
            env,
        )
        try:
            for rate in args.collector_rates:
                r = drive(
                    url,
                    process.pid,
                    args.collector_connections,
                    args.collector_seconds,
                    rate,
                    "floor",
                )
                out.append(r)
                _show(_label("floor: bare FastAPI endpoint", rate), r)
        finally:
            stop_server(process)
    return out


def _show(label: str, r: dict[str, Any]) -> None:
    errors = ", ".join(f"{k}: {v}" for k, v in r["errors"].items()) or "none"
    print(
        f"  {label}: {r['events_per_s']:,.0f} events/s ({r['requests_per_s']:,.0f} req/s), "
        f"latency p50 {r['p50_ms']:.1f} / p95 {r['p95_ms']:.1f} / p99 {r['p99_ms']:.1f} / "
        f"max {r['max_ms']:.1f} ms; server {r['server_cores']:.2f} cores, peak RSS "
        f"{r['server_peak_rss_mib']} MiB; errors {errors}",
        flush=True,
    )


def _missed(r: dict[str, Any]) -> str:
    missed = []
    # a paced run cannot send more than it is paced at: within 0.5% of that is on target
    wanted = min(r["rate"], TARGET_EVENTS_PER_S) * 0.995 if r["rate"] else TARGET_EVENTS_PER_S
    if r["events_per_s"] < wanted:
        missed.append(f"< {TARGET_EVENTS_PER_S:,} events/s")
    if r["p99_ms"] > TARGET_P99_MS:
        missed.append(f"p99 > {TARGET_P99_MS:.0f} ms")
    if r.get("lost"):
        missed.append(f"{r['lost']:,} lost")
    return ", ".join(missed) or "-"


def record(results: dict[str, Any], machine: str, command: str, args: argparse.Namespace) -> None:
    lines = [
        f"\n### Collector, batches of {BATCH} events — {datetime.date.today()}",
        f"Machine: {machine}. Command: `{command}`. {args.collector_connections} keep-alive "
        f"connections for {args.collector_seconds:g} s from a load generator on the same "
        "machine; paced runs measure latency from when a request was due. Backlog: events "
        "still in the spool when the load stopped; import: seconds until the store held them "
        "all.\n",
        "| server | load | events/s | p50 ms | p95 ms | p99 ms | max ms | server cores | "
        "server peak RSS MiB | stored / accepted | backlog | import s | targets missed |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---|",
    ]
    rows = [("floor: bare FastAPI", x) for x in results["floor"]]
    rows += [
        ("wegweiser serve" + (" + heavy analysis" if "analyses" in x else ""), x)
        for x in results["wegweiser"]
    ]
    for label, x in rows:
        ours = "stored" in x
        load = f"paced {x['rate']:,.0f}/s" if x["rate"] else "as fast as answered"
        lines.append(
            f"| {label} | {load} | {x['events_per_s']:,.0f} | "
            f"{x['p50_ms']:.1f} | {x['p95_ms']:.1f} | {x['p99_ms']:.1f} | {x['max_ms']:.1f} | "
            f"{x['server_cores']:.2f} | {x['server_peak_rss_mib']:,} | "
            + (
                f"{x['stored']:,} / {x['accepted'] + x['warmup_accepted']:,} | "
                f"{x['backlog']:,} | "
                f"{x['flush_wait_s']:.0f} | {_missed(x)} |"
                if ours
                else "- | - | - | - |"
            )
        )
    for x in results["wegweiser"]:
        if "analyses" in x:
            a = x["analyses"]
            lines.append(
                f"\nMeanwhile (load {x['rate']:,.0f}/s): heavy `POST /api/v1/attribution` "
                f"{json.dumps(HEAVY)}: {a['heavy']['n']} requests, statuses "
                f"{a['heavy']['statuses']}, longest {a['heavy']['max_s']:.1f} s; probe "
                f"`GET /api/v1/stats` every second: {a['probe']['n']} requests, statuses "
                f"{a['probe']['statuses']}, slowest {a['probe']['max_s']:.2f} s."
            )
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


def parse_rates(text: str) -> list[float]:
    """``"20000,0"`` -> [20000.0, 0.0] (0: as fast as the server answers)."""
    return [float(x.strip().lower().replace("k", "e3")) for x in text.split(",") if x.strip()]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("collector benchmark (wegweiser serve /v1/batch)")
    g.add_argument(
        "--collector",
        action="store_true",
        help="run the collector benchmark (real server + load generator)",
    )
    g.add_argument(
        "--collector-seconds",
        type=float,
        default=25.0,
        help="how long the load generator sends (default 25)",
    )
    g.add_argument(
        "--collector-connections",
        type=int,
        default=8,
        help="concurrent keep-alive connections (default 8)",
    )
    g.add_argument(
        "--collector-rates",
        type=parse_rates,
        default=parse_rates("20k,0"),
        help="offered loads in events/s, one run each; 0 sends as fast as the server answers "
        "(default 20k,0)",
    )
    g.add_argument(
        "--collector-flush-seconds",
        type=float,
        default=None,
        help="server.flush_seconds of the benchmark project (default: the project default); "
        "a large value keeps the import out of the load phase",
    )
    g.add_argument(
        "--collector-heavy",
        action="store_true",
        help="run heavy analyses (attribution with bootstrap) during the load (issue 13)",
    )
    g.add_argument(
        "--collector-floor",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also measure a bare FastAPI endpoint (default on)",
    )


def main_from_args(args: argparse.Namespace, machine: str, command: str | None = None) -> None:
    if not args.collector:
        return
    rates = ", ".join(f"{r:,.0f}/s" if r else "max" for r in args.collector_rates)
    print(
        f"\ncollector: batches of {BATCH} events, {args.collector_connections} connections, "
        f"{args.collector_seconds:g} s per run; loads {rates}",
        flush=True,
    )
    results = run(args)
    if getattr(args, "record", False):
        record(results, machine, command or "python " + " ".join(sys.argv), args)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_load":
        load_main(sys.argv[2:])
    else:
        if "--collector" not in sys.argv:
            sys.argv.append("--collector")
        run_standalone(__doc__, add_arguments, main_from_args)
