"""Personas: who travels -- 3 to 5 groups of persons found in their behaviour.

Definitions:

* **Features** (one row per person with at least ``min_events`` events, computed on the
  engine; :mod:`wegweiser.analysis._persona_features`): channel mix of their visits (visits
  of the phases after the purchase phase -- shipping mails, reviews -- left out: they follow
  the purchase, not the person's habits), devices, platforms, hours, weekend share, pace
  through a visit (shares of the gaps to the next event of 1-10 s, 10-30 s, 30-90 s,
  90 s-10 min), visit frequency, recency, depth, phases reached, orders and revenue.
* **Clustering** (:mod:`wegweiser.analysis._persona_model`): k-means on the channel mix
  (square-root shares), the pace (weighed 1.5) and the device mix (weighed 0.3); each
  person weighs with their visits. The number of personas is chosen among
  ``min_personas``..``max_personas`` by bootstrap stability (mean adjusted Rand index, at
  least 0.9) and then the best silhouette; ``personas`` fixes it. Deterministic for a ``seed``.
* **Cards**: per persona a generated name and profile (German, English) from what over- and
  under-indexes, size and share, top channels, device, hours, conversion, revenue per
  person, repeat rate, depth, phases reached; ``profile``: every feature's mean with a 95%
  interval against everyone's.
* **Ids and names** are kept across refits: the project remembers each persona's id, names
  and centroid (``personas.json`` in the project folder; edit the names there) and a refit
  matches its personas to the remembered ones.
* **Over time**: ``periods`` equal periods, refitted and matched (Hungarian method) to the
  previous one; ``migration`` counts persons by their persona in consecutive periods;
  ``drift`` alerts when a share moves by more than ``share_change`` or a persona splits,
  merges, disappears or a new group emerges (:mod:`wegweiser.analysis._persona_time`).

>>> import ibis
>>> from datetime import datetime, UTC
>>> rows = [(f"p{i}", ("email", "social", "store")[i % 3], d) for i in range(30)
...         for d in range(1, 4)]
>>> j = ibis.memtable({"person_id": [r[0] for r in rows], "channel": [r[1] for r in rows],
...     "timestamp": [datetime(2026, 10, r[2], tzinfo=UTC) for r in rows]})
>>> result = personas(with_journey_columns(j), personas=3, periods=0, min_events=1)
>>> sorted(result.cards["persons"].tolist())
[10, 10, 10]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Literal

import ibis
import pandas as pd
from pydantic import Field, model_validator

from wegweiser.analysis._persona_assign import after_purchase_phases, roster
from wegweiser.analysis._persona_assign import assign as assign_personas
from wegweiser.analysis._persona_cards import cards as make_cards
from wegweiser.analysis._persona_cards import profile as make_profile
from wegweiser.analysis._persona_features import person_features
from wegweiser.analysis._persona_memory import recall, remember
from wegweiser.analysis._persona_model import METHODS, PersonaModel
from wegweiser.analysis._persona_time import over_time
from wegweiser.analysis.params import Params
from wegweiser.analysis.registry import Analysis, Chart, Words
from wegweiser.analysis.result import Result, to_frame

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import ibis.expr.types as ir

    from wegweiser.analysis.registry import Inputs

__all__ = [
    "ANALYSIS",
    "PersonasParams",
    "PersonasResult",
    "after_purchase_phases",
    "members",
    "personas",
    "remembered_members",
    "with_journey_columns",
]


@dataclass(frozen=True)
class PersonasResult(Result):
    """``cards`` (one row per persona), ``members`` (person_id, persona, name), ``profile``
    (feature means with intervals), ``selection`` (evidence per number of personas),
    ``over_time``/``migration``/``drift`` (per period) and ``features`` (per person)."""

    cards: pd.DataFrame
    members: pd.DataFrame
    profile: pd.DataFrame
    selection: pd.DataFrame
    over_time: pd.DataFrame
    migration: pd.DataFrame
    drift: pd.DataFrame
    features: pd.DataFrame
    memory: dict[str, Any]
    note: str = field(default="", kw_only=True)


_COLUMNS = {
    "cards": [
        "persona",
        "name",
        "name_de",
        "profile",
        "profile_de",
        "persons",
        "share",
        "top_channels",
        "device",
        "hours",
        "conversion",
        "revenue_per_person",
        "repeat_rate",
        "events_per_session",
        "phases",
    ],
    "members": ["person_id", "persona", "name"],
    "profile": ["persona", "feature", "value", "low", "high", "everyone", "z"],
    "selection": ["k", "silhouette", "stability", "chosen"],
    "over_time": ["period", "persona", "persons", "share", "k"],
    "migration": ["period", "from_persona", "to_persona", "persons"],
    "drift": ["period", "alert", "persona", "other", "detail"],
}


def _empty(features: pd.DataFrame, note: str) -> PersonasResult:
    """No personas (too few persons): empty tables and a note saying why."""
    tables = {name: pd.DataFrame(columns=cols) for name, cols in _COLUMNS.items()}
    return PersonasResult(
        **tables,
        features=features,
        memory={},
        note=note,
        params={"chosen_personas": 0, "persons": len(features)},
    )


def with_journey_columns(table: ir.Table) -> ir.Table:
    """``table`` with the journey columns personas read that it lacks, as NULLs/defaults
    (for small hand-made tables; the project's journey has them all)."""
    defaults: dict[str, Any] = {
        "session": ibis.literal(0),
        "event": ibis.literal("x"),
        "device": ibis.null("string"),
        "platform": ibis.null("string"),
        "channel": ibis.null("string"),
        "phase": ibis.null("string"),
        "is_conversion": ibis.literal(False),
        "revenue": ibis.null("float64"),
        "next_timestamp": ibis.null("timestamp('UTC')"),
    }
    return table.mutate(**{k: v for k, v in defaults.items() if k not in table.columns})


def personas(
    journey: ir.Table,
    *,
    personas: int | None = None,
    min_personas: int = 3,
    max_personas: int = 5,
    min_events: int = 5,
    method: str = "kmeans",
    periods: int = 4,
    share_change: float = 0.1,
    bootstrap: int = 8,
    seed: int = 0,
    after_phases: Sequence[str] = (),
    memory: Mapping[str, Any] | None = None,
) -> PersonasResult:
    """Find, describe and follow the personas of ``journey`` (module docstring)."""
    feats = to_frame(person_features(journey, min_events=min_events, after_phases=after_phases))
    feats = feats.sort_values("person_id", kind="stable").reset_index(drop=True)
    needed = max(3 * (personas or max_personas), 10)
    if len(feats) < needed:
        return _empty(
            feats,
            f"too few persons for personas: {len(feats)} with at least "
            f"{min_events} events, need at least {needed}; lower min_events or "
            "import more data",
        )
    model = PersonaModel(
        n_personas=personas,
        min_personas=min_personas,
        max_personas=max_personas,
        method=method,  # type: ignore[arg-type]
        n_bootstrap=bootstrap,
        random_state=seed,
    ).fit(feats)
    ids, kept = recall(model, memory)
    labels = model.labels_
    prof = make_profile(feats, labels)
    names = {k: kept[ids[k - 1]] for k in range(1, model.n_personas_ + 1) if ids[k - 1] in kept}
    cards = make_cards(feats, labels, prof, names)
    id_of = dict(enumerate(ids, start=1))
    cards["persona"] = cards["persona"].map(id_of)
    prof["persona"] = prof["persona"].map(id_of)
    name_of = dict(zip(cards["persona"], cards["name"], strict=True))
    member_ids = [id_of[int(k)] for k in labels]
    members = pd.DataFrame(
        {
            "person_id": model.person_ids_,
            "persona": member_ids,
            "name": [name_of[i] for i in member_ids],
        }
    )
    if periods:
        timeline = over_time(
            journey,
            model,
            n_periods=periods,
            ids=ids,
            min_events=min_events,
            share_change=share_change,
            after_phases=after_phases,
        )
        periods_t, migration, drift = timeline.periods, timeline.migration, timeline.drift
    else:
        periods_t = pd.DataFrame(columns=["period", "persona", "persons", "share", "k"])
        migration = pd.DataFrame(columns=["period", "from_persona", "to_persona", "persons"])
        drift = pd.DataFrame(columns=["period", "alert", "persona", "other", "detail"])
    names_now = list(zip(cards["name"], cards["name_de"], strict=True))
    return PersonasResult(
        cards=cards,
        members=members,
        profile=prof,
        selection=model.selection_.reset_index(drop=True),
        over_time=periods_t,
        migration=migration,
        drift=drift,
        features=feats,
        memory={**remember(model, list(cards["persona"]), names_now), "min_events": min_events},
        params={"chosen_personas": model.n_personas_, "persons": len(feats)},
    )


# -- registry ---------------------------------------------------------------------------------
class PersonasParams(Params):
    """Personas: 3 to 5 groups of persons found in their behaviour, named and followed.

    Per person with at least min_events events: channel mix of their visits (after-sale
    visits left out), devices, platforms, hours, pace (gaps between events), frequency,
    recency, depth, phases, orders and revenue. K-means on the channel mix, the pace (weighed
    1.5) and the device mix (0.3); the number of personas chosen by bootstrap stability
    (>= 0.9) and silhouette, or fixed with personas. Cards:
    generated names and profiles (de/en) from what over- and under-indexes; ids and names
    are kept across refits (personas.json in the project: edit the names there). Over time:
    periods equal periods refitted and matched (Hungarian method), migration between
    consecutive periods, drift alerts (share moves by more than share_change; split, merge,
    disappeared, new group).
    """

    personas: Annotated[int, Field(ge=2, le=8)] | None = Field(
        None, description="Fix the number of personas (default: chosen by evidence)."
    )
    min_personas: Annotated[int, Field(ge=2, le=8)] = Field(
        3, description="Fewest personas to consider."
    )
    max_personas: Annotated[int, Field(ge=2, le=8)] = Field(
        5, description="Most personas to consider."
    )
    min_events: Annotated[int, Field(ge=1, le=1000)] = Field(
        5, description="Persons with fewer events are not clustered."
    )
    method: Literal["kmeans", "gmm", "nmf"] = Field(
        "kmeans", description=f"Clustering method ({', '.join(METHODS)})."
    )
    periods: Annotated[int, Field(ge=0, le=52)] = Field(
        4, description="Periods to refit over time (0: none)."
    )
    share_change: Annotated[float, Field(gt=0, lt=1)] = Field(
        0.1, description="Drift alert when a persona's share moves by more than this."
    )
    bootstrap: Annotated[int, Field(ge=1, le=50)] = Field(
        8, description="Bootstrap resamples per number of personas."
    )
    seed: Annotated[int, Field(ge=0, le=2**32 - 1)] = Field(0, description="Random seed.")

    @model_validator(mode="after")
    def _range(self) -> PersonasParams:
        if self.min_personas > self.max_personas:
            raise ValueError(
                f"min_personas ({self.min_personas}) is above max_personas ({self.max_personas})"
            )
        if self.periods == 1:
            raise ValueError("periods must be 0 (none) or at least 2")
        return self


def _run(inputs: Inputs, p: PersonasParams) -> PersonasResult:
    return personas(
        inputs.journey(),
        personas=p.personas,
        min_personas=p.min_personas,
        max_personas=p.max_personas,
        min_events=p.min_events,
        method=p.method,
        periods=p.periods,
        share_change=p.share_change,
        bootstrap=p.bootstrap,
        seed=p.seed,
        after_phases=after_purchase_phases(inputs.config),
        memory=inputs.persona_memory(),
    )


def _compute(inputs: Inputs, p: PersonasParams) -> PersonasResult:
    result = _run(inputs, p)
    if result.memory:
        inputs.remember_personas(result.memory)
    return result


def members(inputs: Inputs, params: PersonasParams | None = None) -> pd.DataFrame:
    """``person_id``, ``persona`` (id) and ``name`` of every clustered person: the persona
    membership other analyses filter and break down by."""
    p = (params or PersonasParams.model_validate({})).model_copy(update={"periods": 0})
    return _run(inputs, p).members


def remembered_members(
    journey: ir.Table,
    memory: Mapping[str, Any],
    *,
    min_events: int | None = None,
    after_phases: Sequence[str] = (),
) -> pd.DataFrame:
    """``person_id``, ``persona`` (id) and ``name`` of the persons of ``journey`` by the
    remembered fit (``personas.json``), without fitting again: each person with at least
    ``min_events`` events (default: the fit's) goes to the nearest remembered centroid, as
    the fit assigned them (:func:`~wegweiser.analysis._persona_assign.assign`). Per person,
    so ``journey`` may hold only some persons (a journey entry on a persona evaluates the
    persons an import touched)."""
    if min_events is not None:
        memory = {**memory, "min_events": min_events}
    frame = to_frame(assign_personas(journey, memory, after_phases=after_phases))
    frame = frame.sort_values("person_id", kind="stable").reset_index(drop=True)
    name_of = {int(r["id"]): str(r["name"]) for r in roster(memory)}
    ids = [int(i) for i in frame["persona"]]
    return pd.DataFrame({"person_id": frame["person_id"].astype(str), "persona": ids,
                         "name": [name_of[i] for i in ids]},
                        columns=["person_id", "persona", "name"])


ANALYSIS = Analysis(
    name="personas",
    params=PersonasParams,
    compute=_compute,
    title=Words("Personas", "Personas"),
    summary=Words(
        "Who travels: 3 to 5 personas from behaviour, named and followed over time",
        "Wer reist: 3 bis 5 Personas aus dem Verhalten, benannt und über die Zeit verfolgt",
    ),
    views={
        "cards": "cards",
        "members": "members",
        "features": "features",
        "profile": "profile",
        "selection": "selection",
        "over-time": "over_time",
        "migration": "migration",
        "drift": "drift",
    },
    charts=(
        Chart(
            "bar",
            "cards",
            x="name",
            y="share",
            format="percent",
            title=Words("Share of persons by persona", "Anteil der Personen je Persona"),
        ),
        Chart(
            "line",
            "over_time",
            x="period",
            y="share",
            color="persona",
            format="percent",
            title=Words("Persona shares over time", "Persona-Anteile im Zeitverlauf"),
        ),
    ),
    report=True,
)
