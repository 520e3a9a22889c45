from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

import wegweiser

if TYPE_CHECKING:
    from pathlib import Path

#: the cross-engine suite, whose Spark tests share one JVM
ENGINES_SUITE = "tests/engines/"


@pytest.fixture
def project(tmp_path: Path):
    with wegweiser.Project.init(tmp_path / "proj") as proj:
        yield proj


@pytest.fixture(scope="session")
def wheel_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where published wheels are kept between runs (see :mod:`tests.wheels`)."""
    cache = getattr(request.config, "cache", None)
    if cache is not None:
        return cache.mkdir("wegweiser-wheels")
    return tmp_path_factory.mktemp("wheels")


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """How pytest-xdist (``-n auto --dist=loadscope`` in pyproject's addopts) shares the tests
    out: a test module's tests stay on one worker, so module fixtures are built once, and the
    cross-engine suite (tests/engines) stays whole on one worker, so the suite starts one
    Spark JVM. Run ``pytest -n 0`` for one process."""
    from xdist.scheduler import LoadScopeScheduling

    class ByModuleSparkTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return ENGINES_SUITE if path.startswith(ENGINES_SUITE) else path

    return ByModuleSparkTogether(config, log)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--snapshot-update", action="store_true", default=False,
                     help="write the golden files (tests/<area>/snapshots/) instead of "
                          "comparing with them; review the changes before committing")


@pytest.fixture
def snapshot(request: pytest.FixtureRequest):
    """The golden files of this test: ``snapshot.assert_match(value, "case")``."""
    from pathlib import Path

    from tests.snapshot import Snapshot

    folder = Path(request.path).parent / "snapshots" / request.node.originalname
    return Snapshot(folder, update=request.config.getoption("--snapshot-update"))
