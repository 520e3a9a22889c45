from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import wegweiser

if TYPE_CHECKING:
    from pathlib import Path


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


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's worker reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep a module's tests together on one pytest-xdist worker (``--dist=loadgroup`` in
    pyproject's addopts), so module and package fixtures are built once; every Spark test
    goes to one worker, so the suite starts one JVM. Without xdist (``-n 0``) the marks are
    inert."""
    for item in items:
        if item.get_closest_marker("xdist_group") is not None:
            continue
        group = "spark" if item.get_closest_marker("spark") else item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group(group))


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
