"""The same projects on every engine: DuckDB and Spark (``local[2]``, started once).

``demo_<engine>`` holds a small demo shop (~20k events, costs); ``log_<engine>`` a random log
with tied timestamps and anonymous devices linked by ``identify`` calls
(tests/analysis/reference.py). The fixtures ``demo`` and ``log`` are parametrized over the
engines; Spark tests carry the ``spark`` marker (``-m "not spark"`` leaves them out).

Spark needs PySpark and Java. Without them the Spark tests are skipped, unless
``WEGWEISER_REQUIRE_SPARK=1`` (CI) makes that a failure.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from tests.analysis.reference import random_rows, stitched_frame
from wegweiser.events.demo import generate
from wegweiser.project import Project

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.analysis.reference import Ev

SPARK = {
    "kind": "spark",
    "spark_master": "local[2]",
    "spark_conf": {
        "spark.driver.memory": "2g",
        "spark.sql.shuffle.partitions": "4",
        "spark.ui.enabled": "false",
    },
}
ENGINES = ["duckdb", pytest.param("spark", marks=pytest.mark.spark)]
#: ``spark-uri``: events_path as a file:// URI, so that Spark (not DuckDB) reads and writes it
STORES = [*ENGINES, pytest.param("spark-uri", marks=pytest.mark.spark)]
DEMO_PERSONS = 400
DEMO_SEED = 7


def settings(engine: str) -> dict[str, Any] | None:
    return SPARK if engine == "spark" else None


def require_spark() -> None:
    """Skip (or, with WEGWEISER_REQUIRE_SPARK=1, fail) when Spark cannot run here."""
    missing = [
        what for what, ok in (
            ("pyspark", importlib.util.find_spec("pyspark") is not None),
            ("java", shutil.which("java") is not None),
        ) if not ok
    ]
    if missing:
        message = f"Spark tests need {' and '.join(missing)} (pip install -e '.[test]', a JRE)"
        if os.environ.get("WEGWEISER_REQUIRE_SPARK"):
            pytest.fail(message)
        pytest.skip(message)


@dataclass
class Log:
    project: Project
    rows: list[Ev]


@pytest.fixture(scope="package")
def spark_ready() -> Iterator[None]:
    require_spark()
    yield
    from wegweiser.store.spark import stop_spark

    stop_spark()  # free the JVM's memory for the rest of the suite


def _demo(tmp_path_factory: pytest.TempPathFactory, engine: str) -> Iterator[Project]:
    data = generate(DEMO_PERSONS, seed=DEMO_SEED, days=60)
    with Project.init(tmp_path_factory.mktemp(f"demo-{engine}"), engine=settings(engine)) as p:
        summary = p.import_events(data.events)
        assert summary.quarantined == 0, summary.errors
        p.replace_costs(data.costs)
        yield p


def _log(tmp_path_factory: pytest.TempPathFactory, engine: str) -> Iterator[Log]:
    rows = random_rows(11, n=600, persons=25, ties=0.3)
    with Project.init(tmp_path_factory.mktemp(f"log-{engine}"), engine=settings(engine)) as p:
        # two imports: the identify calls arrive after the events they link
        frame = stitched_frame(rows, identify_first=False)
        half = len(frame) // 2
        for part in (frame.iloc[:half], frame.iloc[half:]):
            summary = p.import_events(part)
            assert summary.quarantined == 0, summary.errors
        yield Log(p, rows)


@pytest.fixture(scope="package")
def demo_duckdb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    yield from _demo(tmp_path_factory, "duckdb")


@pytest.fixture(scope="package")
def demo_spark(tmp_path_factory: pytest.TempPathFactory, spark_ready: None) -> Iterator[Project]:
    yield from _demo(tmp_path_factory, "spark")


@pytest.fixture(scope="package")
def log_duckdb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Log]:
    yield from _log(tmp_path_factory, "duckdb")


@pytest.fixture(scope="package")
def log_spark(tmp_path_factory: pytest.TempPathFactory, spark_ready: None) -> Iterator[Log]:
    yield from _log(tmp_path_factory, "spark")


@pytest.fixture(scope="package", params=ENGINES)
def demo(request: pytest.FixtureRequest) -> Project:
    project: Project = request.getfixturevalue(f"demo_{request.param}")
    return project


@pytest.fixture(scope="package", params=ENGINES)
def log(request: pytest.FixtureRequest) -> Log:
    built: Log = request.getfixturevalue(f"log_{request.param}")
    return built


@pytest.fixture
def fresh(request: pytest.FixtureRequest, tmp_path) -> Iterator[Project]:
    """An empty project on the engine given by indirect parametrization (see STORES)."""
    engine = request.param
    options = settings(engine.removesuffix("-uri"))
    if options is not None:
        request.getfixturevalue("spark_ready")
        if engine.endswith("-uri"):
            options = {**options, "events_path": (tmp_path / "p" / "events").as_uri()}
    with Project.init(tmp_path / "p", engine=options) as project:
        yield project
