"""schemathesis against the live server's whole OpenAPI spec: query API and collector.

Every operation gets its own credentials from the spec's security schemes (the API token for
``api_token``, the write key for ``writeKey``); the quarantine write actions, which no token
may use, get a logged-in dashboard session. Checks: no server error, and every response
matches its documented status code, content type and schema. Each operation is fuzzed by one
test (:data:`FUZZED_ELSEWHERE`); the runs are bounded (examples plus a few fuzzed cases per
operation); the JUnit reports go to ``test-artifacts/schemathesis*/``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.serve.conftest import API_TOKEN, ARTIFACTS, WRITE_KEY, auth_env, logged_in
from wegweiser.serve.app import SESSION_COOKIE

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.serve.conftest import LiveServer

CHECKS = (
    "not_a_server_error",
    "response_schema_conformance",
    "status_code_conformance",
    "content_type_conformance",
)
EXAMPLES_PER_OPERATION = 8
COLLECTOR_EXAMPLES = 25


def _schemathesis() -> str:
    beside = Path(sys.executable).with_name("schemathesis")
    found = str(beside) if beside.is_file() else shutil.which("schemathesis")
    if found is None:
        pytest.skip("schemathesis is not installed (pip install -e '.[test]')")
    return found


# The operations the two tests below fuzz with every check (a superset of CHECKS) and more
# examples: the query API but its heavy operations, and the Segment collector. The whole-spec
# run leaves them to those tests, so that each operation is fuzzed once in the suite (this
# run took ~175 s on 2 cores when it fuzzed all ~75 operations again).
FUZZED_ELSEWHERE = (
    "^(/api/(?!v1/(attribution|touchpoints|journeys/simulate)$)"
    "|/v1/(track|identify|page|screen|group|alias|batch)$)"
)


@pytest.mark.slow
def test_spec_holds_under_fuzzing(
    demo_project: Path, live_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    """The operations no other test here fuzzes (the heavy analyses, the survey webhook, the
    health check, and any new one outside ``/api/`` and the collector)."""
    program = _schemathesis()
    server = live_server(demo_project, **auth_env())
    with logged_in(server.url) as session:
        cookie = f"{SESSION_COOKIE}={session.cookies[SESSION_COOKIE]}"
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        f'[auth.openapi.api_token]\nbearer = "{API_TOKEN}"\n\n'
        f'[auth.openapi.writeKey]\nusername = "{WRITE_KEY}"\npassword = ""\n\n'
        '[[operations]]\ninclude-path-regex = "^/api/v1/quarantine/(replay|drop)$"\n'
        f'headers = {{ Cookie = "{cookie}" }}\n',
        encoding="utf-8",
    )
    reports = ARTIFACTS / "schemathesis"
    reports.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [
            program,
            "--no-color",
            "--config-file",
            str(config),
            "run",
            f"{server.url}/api/openapi.json",
            "--checks",
            ",".join(CHECKS),
            "--phases",
            "examples,fuzzing",
            "--max-examples",
            str(EXAMPLES_PER_OPERATION),
            "--exclude-path-regex",
            FUZZED_ELSEWHERE,
            "--seed",
            "0",
            "--workers",
            "2",
            "--request-timeout",
            "60",
            "--report",
            "junit",
            "--report-junit-path",
            str(reports.resolve() / "junit.xml"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,  # .hypothesis goes there
    )
    output = result.stdout + result.stderr
    log = server.output()[-4000:]
    assert result.returncode == 0, f"{output[-8000:]}\n--- server log ---\n{log}"
    selected = re.search(r"Selected: (\d+)/(\d+)", output)
    tested = re.search(r"Tested: (\d+)", output)
    assert selected is not None, output
    assert tested is not None, output
    assert selected.group(1) == tested.group(1)  # every selected operation
    # what is left: at least the heavy analyses, the survey webhook and the health check
    assert int(selected.group(1)) >= 5, output


API_EXAMPLES_PER_OPERATION = 10
# A schema-valid request the analysis cannot use (an unknown event name, a step window on the
# first step, an as_of that is no date) is answered 400 as the spec documents ("Options the
# analysis cannot use"), so positive data may also get 400.
# "--checks all" includes a response time limit (schemathesis' default: 10 s). On a 2-core CI
# machine running the rest of the suite beside this test, a plain 400 once took 10.4 s, so the
# limit is 30 s: a hang still fails, a slow answer on a busy machine does not.
API_CONFIG = """
[checks]
max_response_time = 30.0

[checks.positive_data_acceptance]
expected-statuses = ["2xx", "400", "401", "403", "404", "409", "429"]
"""
# Known elsewhere: one attribution request with bootstrap, order 3 and compare runs for
# minutes and holds the store (issue 13 item 4, heavy queries; not this test's subject), so
# attribution is left out here until requests have a time limit. Touchpoints' default run
# (200 bootstrap resamples of a doubly robust fit per touchpoint) takes seconds by design and
# passed the 10 s response limit on a loaded machine; its API is tested in tests/engines.
# The journeys' dry run replays days of history through the runtime (seconds by design);
# its API is tested in tests/orchestrate/test_simulate.py.
HEAVY = "^/api/v1/(attribution|touchpoints|journeys/simulate)$"


def _fuzz(
    program: str,
    url: str,
    config: Path,
    reports: Path,
    *args: str,
    examples: int = API_EXAMPLES_PER_OPERATION,
    timeout: float = 900,
) -> str:
    """One schemathesis run with every check against the spec at ``url``; returns its
    output (also kept in ``reports``) and fails when schemathesis finds anything."""
    result = subprocess.run(
        [
            program,
            "--no-color",
            "--config-file",
            str(config),
            "run",
            f"{url}/api/openapi.json",
            "--checks",
            "all",
            "--seed",
            "0",
            "--workers",
            "2",
            "--request-timeout",
            "60",
            "--max-examples",
            str(examples),
            "--report",
            "junit",
            "--report-junit-path",
            str(reports.resolve() / "junit.xml"),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=config.parent,
    )
    output = result.stdout + result.stderr
    (reports / "output.txt").write_text(output, encoding="utf-8")
    assert result.returncode == 0, output[-12000:]
    return output


@pytest.mark.slow
def test_query_api_holds_under_stateful_fuzzing(
    demo_project: Path, live_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    """Every ``/api/*`` operation, all of schemathesis' checks (status codes, content types,
    response schemas, schema-valid data accepted, schema-violating data refused, auth
    honoured ...), phases examples, fuzzing and stateful (following the spec's links): no
    server error and no answer that differs from the spec (issue 13: "schemathesis finds 26
    spec-conformance failures"). The coverage phase passes too but takes ~4 min on 2 cores,
    so it is left out of the suite (add ``coverage`` to ``--phases`` to run it)."""
    program = _schemathesis()
    server = live_server(demo_project, **auth_env())
    with logged_in(server.url) as session:
        cookie = f"{SESSION_COOKIE}={session.cookies[SESSION_COOKIE]}"
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        f'[auth.openapi.api_token]\nbearer = "{API_TOKEN}"\n{API_CONFIG}\n'
        '[[operations]]\ninclude-path-regex = "^/api/v1/quarantine/(replay|drop)$"\n'
        f'headers = {{ Cookie = "{cookie}" }}\n',
        encoding="utf-8",
    )
    reports = ARTIFACTS / "schemathesis-api"
    reports.mkdir(parents=True, exist_ok=True)
    try:
        output = _fuzz(
            program,
            server.url,
            config,
            reports,
            "--include-path-regex",
            "^/api/",
            "--exclude-path-regex",
            HEAVY,
            "--phases",
            "examples,fuzzing,stateful",
        )
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n--- server log ---\n{server.output()[-4000:]}") from None
    selected = re.search(r"Selected: (\d+)/(\d+)", output)
    assert selected is not None, output
    assert int(selected.group(1)) >= 20, output  # every /api operation, none of /v1
    assert "✅ Stateful" in output, output  # the links of the spec were followed


@pytest.mark.slow
def test_collector_spec_holds_with_every_check(
    demo_project: Path, live_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    """The collector's operations (``/v1/*``) with all of schemathesis' checks — including
    that data breaking the schema is refused (negative_data_rejection), that an answer
    without credentials is 401 (ignored_auth) — in every phase (examples, coverage,
    fuzzing; the spec links no collector operations, so there is no stateful phase). Issue
    13: 26 conformance failures, e.g. ``"userId": {}`` stored as the id ``{}``."""
    program = _schemathesis()
    server = live_server(demo_project, **auth_env())
    config = tmp_path / "schemathesis.toml"
    # A single event the schema allows may still be refused as the spec documents (400
    # invalid_event: a blank or blocked id, a timestamp out of range — what JSON Schema
    # cannot say); a batch answers such events in "rejected" with 200.
    config.write_text(
        f'[auth.openapi.writeKey]\nusername = "{WRITE_KEY}"\npassword = ""\n\n'
        "[[operations]]\n"
        'include-path-regex = "^/v1/(track|identify|page|screen|group|alias)$"\n'
        'checks.positive_data_acceptance.expected-statuses = ["2xx", "400"]\n',
        encoding="utf-8",
    )
    reports = ARTIFACTS / "schemathesis-collector"
    reports.mkdir(parents=True, exist_ok=True)
    try:
        output = _fuzz(
            program,
            server.url,
            config,
            reports,
            "--include-path-regex",
            # the Segment endpoints; the survey webhook /v1/feedback/{source} is fuzzed with
            # the query API (test_spec_holds_under_fuzzing): the coverage phase's mutations of
            # its path parameter crash inside hypothesis (ast.parse, CPython 3.11) here
            "^/v1/(track|identify|page|screen|group|alias|batch)$",
            "--phases",
            "examples,coverage,fuzzing",  # no links between collector operations
            examples=COLLECTOR_EXAMPLES,
            timeout=600,
        )
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n--- server log ---\n{server.output()[-4000:]}") from None
    tested = re.search(r"Tested: (\d+)", output)
    assert tested is not None, output
    assert int(tested.group(1)) == 7  # track, identify, page, screen, group, alias, batch
