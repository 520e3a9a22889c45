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
