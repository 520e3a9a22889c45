"""Parameter models of the store read-outs and write actions of the query API.

The analyses' parameter models live with the analyses (:mod:`wegweiser.analysis.registry`);
these are the store's: quarantine, identity links, replay and drop.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from wegweiser.analysis.params import Name, Params
from wegweiser.analysis.scope import Scope


class NoParams(Params):
    """No options."""


class OverviewParams(Scope):
    """The overview within a date range, filters and a segment (``by_segment`` is not
    taken: the overview is one set of figures)."""


class QuarantineParams(Params):
    """``wegweiser quarantine list``."""

    limit: Annotated[int, Field(ge=1, le=100_000)] = Field(
        50, description="At most this many rows."
    )
    reason: Name | None = Field(None, description="Only rows whose reason contains this.")
    source: Name | None = Field(None, description="Only rows whose source contains this.")


class MergesParams(Params):
    """``wegweiser identities merges``."""

    status: Literal["merged", "refused"] | None = None
    limit: Annotated[int, Field(ge=1, le=100_000)] = Field(
        50, description="At most this many rows."
    )


class IdentityParams(Params):
    """``wegweiser identities lookup``."""

    id: Annotated[str, Field(min_length=1, max_length=500)]


class ReplayParams(Params):
    """``wegweiser quarantine replay``."""

    model_config = ConfigDict(populate_by_name=True)

    mapping: Annotated[str, Field(max_length=2000)] | None = Field(
        None, alias="map", description="Rename columns: user_id=client_id,event=action."
    )
    reason: Name | None = Field(None, description="Only rows whose reason contains this.")


class DropParams(Params):
    """``wegweiser quarantine drop``: give ``reason``, ``ids`` or ``all``."""

    reason: Name | None = Field(None, description="Only rows whose reason contains this.")
    ids: (
        Annotated[
            # at most 2**53 - 1: exact as a JSON number (a double), so clients check as we do
            list[Annotated[int, Field(ge=0, le=2**53 - 1)]], Field(min_length=1, max_length=100_000)
        ]
        | None
    ) = Field(None, description="Quarantine ids to drop.")
    all: bool = Field(False, description="Drop every quarantined row (with no reason/ids).")


class LedgerParams(Params):
    """``wegweiser journeys ledger``: the send ledger, newest first."""

    state: Literal["pending", "sending", "sent", "unknown", "failed", "suppressed",
                   "dropped", "holdout"] | None = Field(
        None, description="Only rows in this state (unknown: never resent, for the operator).")
    journey: Name | None = Field(None, description="Only this journey.")
    limit: Annotated[int, Field(ge=1, le=100_000)] = Field(
        100, description="At most this many rows."
    )


class SimulateParams(Params):
    """``wegweiser journeys simulate``: a dry run of the journeys on the store's last days."""

    days: Annotated[int, Field(ge=1, le=90)] = Field(
        30, description="Replay the last N days of the store (up to its last event).")
    max_persons: Annotated[int, Field(ge=1, le=5_000)] = Field(
        500, description="Replay a fixed sample of at most this many persons.")
    assume_reachable: bool = Field(
        False, description="Treat every person as consenting and reachable.")
    limit: Annotated[int, Field(ge=0, le=10_000)] = Field(
        1_000, description="At most this many rows of messages (the first).")


class FlowParams(Params):
    """A journey's flow: runs per step and per edge, from the journey state."""

    journey: Name = Field(description="The journey (its file name in journeys/).")


class StepsParams(Params):
    """Messages per step of the journeys: sent, opened, clicked."""

    journey: Name | None = Field(None, description="Only this journey.")


class ReadoutParams(Params):
    """``wegweiser journeys readout``: a journey's effect against its holdout."""

    journey: Name | None = Field(None, description="The journey (not with control_group).")
    by: Literal["journey", "variant"] = Field(
        "journey", description="One readout, or one per variant of the journey's random splits.")
    control_group: bool = Field(
        False, description="The global control group across all journeys instead.")
    window_days: Annotated[int, Field(ge=1, le=365)] = Field(
        14, description="Conversions and revenue count this many days after entry.")


class PersonParams(Params):
    """One person's journey: ``wegweiser person ID``."""

    id: Annotated[str, Field(min_length=1, max_length=500)] = Field(
        description="A person_id, any stitched anonymous or user id, or an email trait.")
    limit: Annotated[int, Field(ge=1, le=100_000)] = Field(
        5_000, description="At most this many touchpoints on the timeline (the latest).")


class PersonSearchParams(Params):
    """Persons by id or email: ``wegweiser person --search TEXT``."""

    q: Annotated[str, Field(min_length=1, max_length=500)] = Field(
        description="A person_id, stitched id or email (else: ids that start with it).")
    limit: Annotated[int, Field(ge=1, le=100)] = Field(20, description="At most this many.")
