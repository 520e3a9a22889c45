from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(scope="session")
def predict_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo shop with 2,000 persons over 90 days (seed 3), built once per session: the
    smallest on which the models' checks are stable."""
    from wegweiser import Project
    from wegweiser.events.demo import generate

    folder = tmp_path_factory.mktemp("predict-demo") / "project"
    data = generate(2000, seed=3, days=90)
    with Project.init(folder, name="Demo") as project:
        project.import_events(data.events)
        project.journey()
    return folder
