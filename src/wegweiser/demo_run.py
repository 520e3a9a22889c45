"""``wegweiser demo``: generate the demo shop, import it and summarise it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wegweiser.analysis.fixes import Fix
from wegweiser.events.demo import generate, write_demo
from wegweiser.orchestrate.playbook import PHASES, write_playbook
from wegweiser.orchestrate.samples import write_samples
from wegweiser.project import Project

if TYPE_CHECKING:
    import os
    from pathlib import Path

    from wegweiser.analysis.overview import Overview
    from wegweiser.events.ingest import ImportSummary
    from wegweiser.orchestrate.simulate import Simulation

Step = Callable[[str], None]
FIX_KEYS = ("name", "date", "touchpoint", "where", "friction", "note")  # of truth["fix"]
SIMULATION_PERSONS = 1_000
"""The demo's dry run replays a fixed sample of at most this many persons (its run time)."""


@dataclass(frozen=True)
class DemoResult:
    project: Path
    files: dict[str, Path]
    summary: ImportSummary
    overview: Overview
    report: Path | None = None
    simulation: Simulation | None = None
    """The journeys' dry run on the last days (``simulate_days``)."""


def write_geo_definition(folder: Path, planted: Mapping[str, Any]) -> Path:
    """The demo's planted geo holdout as a definition file for ``wegweiser experiment-geo
    --definition`` (``folder/<name>.toml``)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{planted['name']}.toml"
    holdout = ", ".join(f'"{r}"' for r in planted["holdout"])
    path.write_text(
        "# The demo's planted geo holdout (truth.json: geo_holdout); read it out with\n"
        f"# wegweiser experiment-geo --definition experiments/{path.name}\n"
        f'channel = "{planted["channel"]}"\ngeo = "{planted["geo"]}"\n'
        f"holdout = [{holdout}]\nstart = {planted['start']}\nend = {planted['end']}\n",
        encoding="utf-8",
    )
    return path


def run_demo(
    folder: str | os.PathLike[str],
    *,
    persons: int = 20_000,
    seed: int = 0,
    days: int = 120,
    step: Step | None = None,
    report_lang: str | None = "en",
    engine: Mapping[str, Any] | None = None,
    simulate_days: int | None = 30,
) -> DemoResult:
    """Create (or reuse) the project at ``folder``, generate, import and summarise the demo.

    The data and its planted truth are written to ``folder/demo/``, the planted fix to
    ``folder/fixes/`` (``wegweiser fixes check``), the planted geo holdout's definition to
    ``folder/experiments/`` (``wegweiser experiment-geo --definition``), the HTML report (in
    ``report_lang``; None: no report) to ``folder/report-<lang>.html``. Running it again with
    the same seed adds nothing (the events deduplicate, the costs replace themselves).
    ``engine`` sets keys of the project's ``[engine]`` (``{"kind": "spark"}``: docs/spark.md).
    The project gets the journey playbook (``journeys/``; docs/journeys.md) and, unless
    ``simulate_days`` is None, a dry run of it on the last ``simulate_days`` days (at most
    :data:`SIMULATION_PERSONS` persons; every person taken as reachable: the demo's persons
    carry no consent traits).
    """
    say = step or (lambda _msg: None)
    say(f"Generating {persons:,} persons over {days} days (seed {seed})")
    data = generate(persons, seed=seed, days=days, fix=True, geo_holdout=True)
    with Project.init(folder, name="Wegweiser demo shop", engine=engine) as project:
        write_samples(project.path)  # journeys/: a sample journey (docs/journeys.md)
        if not any((project.path / "journeys" / f"{n}.toml").exists() for n in PHASES):
            write_playbook(project.path)  # and the playbook: one journey per phase
        files = write_demo(data, project.path / "demo")
        fix = data.truth["fix"]
        planted = Fix.model_validate({k: fix[k] for k in FIX_KEYS})
        project.save_fix(planted, replace=True)  # fixes/: the planted fix, to check
        say(f"Importing {data.events.num_rows:,} events")
        summary = project.import_events(files["events"])
        project.replace_costs(data.costs)
        write_geo_definition(project.path / "experiments", data.truth["geo_holdout"])
        truth = data.truth
        say(f"{truth['stitched_persons']:,} persons after stitching {truth['persons']:,} "
            "people: a device its owner never logged in on stays a person of its own "
            "(truth.json: persons_note)")
        say("Summarising")
        overview = project.overview()
        simulation = None
        if simulate_days:
            from wegweiser.orchestrate.simulate import dry_run

            say(f"Dry run of the journeys on the last {simulate_days} days")
            simulation = dry_run(project, days=simulate_days, max_persons=SIMULATION_PERSONS,
                                 assume_reachable=True)
        report = None
        if report_lang is not None:
            from wegweiser.report import write_report

            say("Writing the report")
            report = write_report(project, lang=report_lang)
        return DemoResult(project.path, files, summary, overview, report, simulation)
