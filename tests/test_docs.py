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


def test_the_architecture_page_names_only_files_that_exist():
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`([\w./]+\.py|[\w]+/)`", text))
    named |= set(re.findall(r"\]\(([\w.]+\.md)\)", text))
    assert len(named) > 20
    bases = [ROOT / "src" / "wegweiser", ROOT / "src" / "wegweiser" / "analysis",
             ROOT / "src" / "wegweiser" / "events", ROOT / "src" / "wegweiser" / "store",
             ROOT / "src" / "wegweiser" / "serve", ROOT / "src" / "wegweiser" / "serve" / "api",
             ROOT / "src" / "wegweiser" / "report",
             ROOT / "src" / "wegweiser" / "present", ROOT / "src" / "wegweiser" / "orchestrate",
             ROOT / "docs", ROOT]
    missing = sorted(n for n in named if not any((b / n).exists() for b in bases))
    assert missing == []


def test_every_analysis_is_documented():
    from wegweiser.analysis.registry import analyses

    text = (ROOT / "docs" / "analyses.md").read_text(encoding="utf-8").lower()
    undocumented = [name for name, spec in analyses().items()
                    if spec.title.en.lower() not in text and name not in text]
    assert undocumented == []
