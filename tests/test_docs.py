from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _bash_blocks(text: str) -> list[str]:
    return re.findall(r"```bash\n(.*?)```", text, flags=re.S)


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    blocks = _bash_blocks(readme)
    test_command = blocks[1].strip()
    assert "pytest" in test_command
    assert test_command.replace("python3", "$PY") in ci


def test_readme_main_command_runs_the_demo():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "wegweiser demo" in _bash_blocks(readme)[0]
