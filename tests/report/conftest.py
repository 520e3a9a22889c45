"""The small demo shop every report test reads (fixed seed: its golden files stay put)."""

from __future__ import annotations

import dataclasses

import pytest

import wegweiser
from wegweiser.analysis.attribution import compare
from wegweiser.events.demo import generate
from wegweiser.report import render
from wegweiser.report.gather import MODELS, gather


@pytest.fixture(scope="package")
def shop(tmp_path_factory):
    """A demo shop; the report without costs first, then with them, in both languages.

    Its feedback is read with the lexicon sentiment model: the embedding model's 4-bit
    kernels take other SIMD paths on other CPUs (with or without AVX2), and a score moved by
    0.01 turned a golden file's 0,12 into 0,11. The lexicon gives the same bits everywhere;
    the embedding model is checked in tests/feedback.
    """
    data = generate(800, seed=3, days=60)
    folder = tmp_path_factory.mktemp("shop")
    wegweiser.Project.init(folder, name="Demo <Shop> & Co").close()
    toml = folder / "wegweiser.toml"
    text = toml.read_text(encoding="utf-8")
    assert 'sentiment_model = "auto"' in text
    toml.write_text(text.replace('sentiment_model = "auto"', 'sentiment_model = "lexicon"'),
                    encoding="utf-8")
    with wegweiser.open_project(folder) as project:
        project.import_events(data.events)
        project.replace_costs(data.costs)
        steps: list[tuple[int, int, str]] = []
        report = gather(project, progress=lambda *step: steps.append(step))
        pages = {lang: render(report, lang=lang) for lang in ("de", "en")}
        free = compare(project.journey(), models=list(MODELS))  # as without imported costs
        no_costs = render(dataclasses.replace(report, attribution=free, has_costs=False),
                          lang="en")
    return {"data": data, "folder": folder, "pages": pages, "report": report,
            "no_costs": no_costs, "steps": steps}


@pytest.fixture
def registered_sections() -> list[str]:
    """The sections of the registry's analyses that ask for one (``report=True``)."""
    from wegweiser.analysis.registry import analyses

    return [f"analysis-{a.name}" for a in analyses().values() if a.report]
