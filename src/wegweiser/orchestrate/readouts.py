"""A journey's readout, as ``wegweiser journeys readout`` computes it: its treated persons
against its holdout and the global control group, with the experiments engine. One function
for the faces that show it (the journey page, the report's section "Journeys")."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from wegweiser.orchestrate.definitions import Journey
    from wegweiser.orchestrate.settings import Delivery
    from wegweiser.orchestrate.state import StateStore
    from wegweiser.project import Project

__all__ = ["journey_readout"]


def journey_readout(project: Project, store: StateStore, journey: Journey,
                    delivery: Delivery, *, window: pd.Timedelta | None = None) -> Any:
    """The experiment result of ``journey`` (entry time is the exposure; ``window``: the
    conversion window after entry, 14 days unless given)."""
    import pandas as pd

    from wegweiser.analysis.experiments.analysis import experiment
    from wegweiser.orchestrate.operations import assignments, planned_shares

    frame = assignments(store, journey.name)
    shares = planned_shares(journey.holdout, delivery.control_group.share)
    return experiment(project.journey(), name=f"journey:{journey.name}", assignments=frame,
                      shares=shares, window=window or pd.Timedelta(days=14))
