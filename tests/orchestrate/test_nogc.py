from __future__ import annotations

import contextlib
import gc
import json
import threading

import pytest

import wegweiser
from tests.orchestrate.helpers import Clock, build, runs
from wegweiser.orchestrate import triggers
from wegweiser.orchestrate._nogc import paused_gc

SIGNUP = """\
[entry]
kind = "event"
event = "signup"
[[steps]]
id = "w"
type = "wait"
duration = "1d"
"""


@pytest.fixture
def enabled():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_the_collector_pauses_in_the_block_and_comes_back(enabled):
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():  # nested
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer block still runs
    assert gc.isenabled()
    with pytest.raises(RuntimeError, match="boom"), paused_gc():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_collector_disabled_before_stays_disabled(enabled):
    gc.disable()
    with paused_gc():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_threads_overlapping_enable_it_when_the_last_one_leaves(enabled):
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def first() -> None:
        with paused_gc():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second() -> None:
        first_in.wait(5)
        with paused_gc():
            second_in.set()
            first_out.wait(5)
            seen["after the first left"] = gc.isenabled()
        seen["after both left"] = gc.isenabled()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen == {"after the first left": False, "after both left": True}


def test_an_import_batch_is_evaluated_without_collections(tmp_path, enabled, monkeypatch):
    """The batch's work runs without a single collection (and, the same work with the
    pause left out, collections do happen: the count can fail)."""
    starts: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            starts.append(info["generation"])

    work = triggers._process_imports

    def counted_work(*args, **kwargs):  # the batch's work, counted apart from the rest
        gc.callbacks.append(count)
        try:
            return work(*args, **kwargs)
        finally:
            gc.callbacks.remove(count)

    def batch(n: int) -> list[str]:
        rows = [
            {
                "type": "track",
                "messageId": f"m{n}-{i}",
                "userId": f"u{n}-{i}",
                "event": "signup",
                "timestamp": "2026-06-01T09:00:00Z",
            }
            for i in range(200)
        ]
        path = tmp_path / f"b{n}.jsonl"
        path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
        assert project.import_events(path).imported == 200
        return [f"signup:u{n}-{i}:1" for i in range(200)]

    with wegweiser.Project.init(tmp_path / "shop") as project:
        rt = build(tmp_path / "j", str(tmp_path / "j.sqlite"), {"signup": SIGNUP}, clock=Clock())
        triggers.process_imports(project, rt)  # the baseline
        monkeypatch.setattr(triggers, "_process_imports", counted_work)
        counted: dict[str, int] = {}
        for name, pause in (("paused", paused_gc), ("not paused", contextlib.nullcontext)):
            monkeypatch.setattr(triggers, "paused_gc", pause)
            wanted = batch(len(counted))
            gc.collect()
            starts.clear()
            assert triggers.process_imports(project, rt).entered == 200
            counted[name] = len(starts)
            assert set(wanted) <= set(runs(rt))
        rt.close()
    assert counted["paused"] == 0
    assert counted["not paused"] > 0
