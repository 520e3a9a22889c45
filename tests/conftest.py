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


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
