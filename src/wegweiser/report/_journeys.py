"""What the report's section "Journeys" shows, gathered from a project: every journey's flow
(from the journey state when it ran, else from the dry run), the dry run of the last days
(messages per journey and step) and the readouts of the journeys that ran."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from wegweiser.orchestrate.flows import Flow
    from wegweiser.project import Project

DRY_RUN_DAYS, DRY_RUN_PERSONS = 30, 1_000
"""The report's dry run: the last 30 days, a fixed sample of at most 1,000 persons."""


@dataclass
class JourneysData:
    flows: dict[str, Flow]
    simulated: set[str]
    """Journeys whose flow comes from the dry run (they never ran)."""
    steps: pd.DataFrame
    persons: int
    readouts: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)


def _state_file(project: Project) -> Path | None:
    """The project's journey state if it has one (never created here)."""
    from wegweiser.orchestrate.assembly import state_target

    target = state_target(project.path)
    if target.startswith(("postgresql://", "postgres://", "host=")):
        return Path(target)  # a server: open it
    path = Path(target.removeprefix("sqlite:///"))
    path = path if path.is_absolute() else project.path / path
    return path if path.is_file() else None


def gather_journeys(project: Project) -> JourneysData | None:
    """None when the project has no ``journeys/``."""
    from wegweiser.errors import WegweiserError
    from wegweiser.orchestrate.flows import flow
    from wegweiser.orchestrate.loading import JOURNEYS_DIR, load_journeys
    from wegweiser.orchestrate.readouts import journey_readout
    from wegweiser.orchestrate.simulate import simulate
    from wegweiser.orchestrate.state import open_state

    folder = project.path / JOURNEYS_DIR
    if not folder.is_dir():
        return None
    journeys, delivery = load_journeys(folder, phases=project.config.phase_names)
    if not journeys:
        return None
    sim = simulate(project, journeys, delivery, days=DRY_RUN_DAYS, max_persons=DRY_RUN_PERSONS)
    data = JourneysData(flows=dict(sim.flows), simulated={j.name for j in journeys},
                        steps=sim.steps, persons=sim.persons)
    state = _state_file(project)
    if state is None:
        return data
    with open_state(str(state), project_dir=project.path) as store:
        for journey in journeys:
            found = flow(store, journey)
            if found.node("<entry>").count + found.control == 0:
                continue
            data.flows[journey.name] = found
            data.simulated.discard(journey.name)
            try:
                result = journey_readout(project.journey(), store, journey)
            except WegweiserError as exc:
                data.notes[journey.name] = str(exc)
                continue
            data.readouts[journey.name] = result.summary
            if result.notes:
                data.notes[journey.name] = "; ".join(result.notes)
    return data


def section_blocks(data: JourneysData, lang: str) -> list[dict[str, Any]]:
    """The blocks of the section: the dry run's table, then per journey its flow (SVG) and
    readout."""
    from wegweiser.present.flowchart import flow_svg
    from wegweiser.present.i18n import cell, number, t

    cols = ("journey", "step", "channel", "messages", "persons", "suppressed", "holdout")
    blocks: list[dict[str, Any]] = [
        {"kind": "subtitle", "text": t("jreport.dry_run", lang)},
        {"kind": "table", "headers": [t(f"jreport.col.{c}", lang) for c in cols],
         "rows": [[str(r[c]) if c in ("journey", "step", "channel") else number(r[c], lang)
                   for c in cols] for r in data.steps.to_dict("records")],
         "align": list("lllrrrr")},
    ]
    for name, found in data.flows.items():
        blocks.append({"kind": "subtitle", "text": t("jflow.title", lang, journey=name)})
        if name in data.simulated:
            blocks.append({"kind": "note", "text": t("jflow.simulated", lang,
                                                    days=DRY_RUN_DAYS)})
        blocks.append({"kind": "svg", "svg": flow_svg(found.nodes, found.edges, lang=lang,
                                                       title=name)})
        summary = data.readouts.get(name)
        if summary is not None and len(summary):
            blocks.append({"kind": "subtitle", "text": t("jreport.readout", lang,
                                                         journey=name)})
            blocks.append({"kind": "table", "headers": [str(c) for c in summary.columns],
                           "rows": [[cell(v, str(c), lang) for c, v in zip(
                                        summary.columns, row, strict=True)]
                                    for row in summary.itertuples(index=False)],
                           "align": ["l"] * len(summary.columns)})
        if name in data.notes:
            blocks.append({"kind": "note", "text": data.notes[name]})
    return blocks
