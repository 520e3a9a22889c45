"""``present`` sits above the analyses and below the faces: it imports no face."""

from __future__ import annotations

import ast
from pathlib import Path

import wegweiser.present

FACES = ("wegweiser.report", "wegweiser.serve", "wegweiser.commands", "wegweiser.cli",
         "wegweiser.project", "wegweiser.store")


def test_present_imports_no_face_and_no_store():
    folder = Path(wegweiser.present.__file__).parent
    found = []
    for path in sorted(folder.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [
                node.module or ""] if isinstance(node, ast.ImportFrom) else []
            found += [(path.name, n) for n in names if n.startswith(FACES)]
    assert not found
