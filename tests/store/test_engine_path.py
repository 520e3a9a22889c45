"""A store path DuckDB would read differently from the file system is refused, not misread."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from wegweiser.errors import ProjectError
from wegweiser.store.engine import Engine

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.skipif(os.sep != "/", reason="a backslash is a separator on Windows")
def test_a_backslash_in_the_path_is_refused_and_no_other_file_is_opened(tmp_path: Path) -> None:
    # DuckDB would read "a\\b" as "a/b": with that folder present it opens the wrong store.
    (tmp_path / "a" / "b").mkdir(parents=True)
    odd = tmp_path / "a\\b"
    odd.mkdir()
    with pytest.raises(ProjectError, match="backslash"):
        Engine(odd / "wegweiser.duckdb")
    assert not (tmp_path / "a" / "b" / "wegweiser.duckdb").exists()
    assert list(odd.iterdir()) == []


def test_a_plain_path_opens(tmp_path: Path) -> None:
    engine = Engine(tmp_path / "wegweiser.duckdb")
    assert engine.execute("SELECT 42").single_value() == 42
