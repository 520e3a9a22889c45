"""Touchpoints: relevance, fulfilment and expectation of each; magic moments; pain points.

Definitions (the touchpoints are the catalogue of :mod:`wegweiser.analysis.touchpoint_catalogue`):

* **Decision**: a person's first conversion event. Only what happens **before the decision**
  counts (every event of a person who never converted is before it). A person
  **experienced** a touchpoint when an event before the decision satisfies its rule.
* **Covariates** (intent and habits, observed strictly **before the touchpoint**;
  :func:`~wegweiser.analysis._touchpoint_scores.touchpoint_covariates`): the device,
  platform and country of the person's first event, and up to the **cut** -- the person's
  first experience of the touchpoint; for persons without one the same relative point of
  their journey before the decision (the median share the experienced persons had behind
  them) -- the entry channel, the highest phase reached and the square-root shares of the
  channels, without the touchpoint's own channels (the exposure itself); not the number of
  earlier sessions (the covariates' docstring says why). Nothing after the first
  experience adjusts: it may be its effect.
  (:mod:`wegweiser.analysis._touchpoint_persons` says why the cut is not the decision.)
* **Relevance for purchase** (``relevance``): the doubly robust effect on the exposed
  (:mod:`wegweiser.analysis._touchpoint_effects`: logistic propensity and outcome models,
  scikit-learn): ``conversion_exposed`` against ``rate_without``, the rate the same persons
  would have had without the touchpoint; ``ratio`` (x) and ``difference`` (points) with a
  seeded bootstrap interval (``resamples``, over persons); beside it the unadjusted
  ``naive_ratio``/``naive_difference`` (exposed vs everyone else: the gap intent makes) and
  ``credit``, the share of conversions the data-driven (Markov) attribution credits to the
  touchpoint's channels (channel touchpoints only).
* **Fulfilment**: ``friction`` -- the share of its persons with a friction signal at it (the
  journey ends right after a touchpoint event without a conversion; a session with the
  touchpoint repeats it or holds an error event; a long dwell: at the first experience, more
  than 3x the touchpoint's median time to the next event of the session and over a minute;
  back-tracking: right after the first experience, an event of an earlier phase);
  ``satisfaction`` and ``sentiment`` (0..1) of the feedback about it (the feedback's linked
  touchpoint event -- the last touchpoint before it -- satisfies the rule, properties and
  all; feedback that names its touchpoint explicitly is matched by that event name, channel
  and device only; scores scaled to 0..1 on their scale, sentiment -1..1 to 0..1);
  ``performance`` = the mean of satisfaction (where there is feedback) and 1 - friction;
  ``benchmark_gap`` = performance - the competitor ``benchmark`` (0..1) where given.
* **Expectation** (``importance``, 0..1): the stated importance (1-5 in the catalogue,
  scaled) where given, else derived: the touchpoint's positive adjusted difference relative
  to the largest one.
* **Importance-performance map** (``map``; Martilla & James): the crosshair is the mean
  importance and the mean performance; quadrants *concentrate here* (important, under-
  performing), *keep up the good work*, *low priority*, *possible overkill*.
  ``map_personas``: the same within each persona (:mod:`wegweiser.analysis.personas`): the
  adjusted difference among the persona's persons with the models fitted on everyone.
* **Magic moments** (``magic_moments``): for the ``candidates`` touchpoints with the largest
  adjusted difference, thresholds ">= k experiences in the first 7 days / before the
  decision" (a small grid) against persons below the threshold; the intervals are
  Bonferroni-wide for all looks (``looks``). ``magic``: the interval of the difference
  excludes zero, ratio >= 1.1 and performance at or above the mean.
* **Pain points** (``pain_points``): friction signals per device kind -- an **error** event
  (a name with error, fail, exception or declined) among the persons who reached its
  **step** (the event most often right before it) on that device, and a **loop** (an event
  twice or more in the person's first session with it on the device: the same opportunity
  for everyone, :func:`._touchpoint_persons.event_frame`) among those with the event on the
  device; a loop whose
  persons are mostly (half or more) persons of an error on the device is that error's
  symptom, folded into it (``folded``). ``gap``: the adjusted conversion gap (doubly robust,
  among the persons at risk; the channel shares in three powers, the two models
  cross-fitted over five folds: :mod:`._touchpoint_pains`), ``lost_conversions`` =
  affected persons x gap with its interval (``lost_low``, ``lost_high``), ``naive_lost``
  the same with the raw gap, ``lost_revenue`` = lost conversions x the mean revenue of the
  comparable converters. Ranked by ``lost_low``. ``evidence``: the paths right after it,
  the personas most hit, and the most negative feedback quotes about it.
* Models are fitted on at most ``max_persons`` persons (a seeded sample).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated

import ibis
import numpy as np
import pandas as pd
from pydantic import Field

from wegweiser.analysis import _touchpoint_scores as scores
from wegweiser.analysis._touchpoint_pains import PAINS, pain_points
from wegweiser.analysis._touchpoint_persons import (
    channels_of,
    decided,
    error_events,
    event_frame,
    loop_events,
    person_frame,
)
from wegweiser.analysis.params import Params
from wegweiser.analysis.registry import Analysis, Chart, Words
from wegweiser.analysis.result import Result, to_frame
from wegweiser.analysis.touchpoint_catalogue import Touchpoint, catalogue, experienced

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import ibis.expr.types as ir

    from wegweiser.analysis._touchpoint_effects import Effect
    from wegweiser.analysis.registry import Inputs

__all__ = ["ANALYSIS", "TouchpointsParams", "TouchpointsResult", "touchpoints"]

EVIDENCE = ["rank", "label", "paths", "personas", "quotes"]


@dataclass(frozen=True)
class TouchpointsResult(Result):
    """``relevance`` (one row per touchpoint), ``pain_points``, ``magic_moments``, ``map``
    and ``map_personas`` (importance-performance) and ``evidence`` per pain point."""

    relevance: pd.DataFrame
    pain_points: pd.DataFrame
    magic_moments: pd.DataFrame
    map: pd.DataFrame
    map_personas: pd.DataFrame
    evidence: pd.DataFrame
    note: str = field(default="", kw_only=True)


def touchpoints(
    journey: ir.Table,
    catalogue: Sequence[Touchpoint],
    *,
    feedback: pd.DataFrame | None = None,
    members: pd.DataFrame | None = None,
    credit: Mapping[str, float] | None = None,
    resamples: int = 200,
    seed: int = 0,
    max_persons: int = 50_000,
    candidates: int = 3,
    loops: int = 15,
    phases: Sequence[str] = (),
    linked_journey: ir.Table | None = None,
) -> TouchpointsResult:
    """Every touchpoint rated; magic moments and pain points (module docstring).

    ``feedback``: feedback rows (columns ``person_id``, ``event``, ``channel``, ``device``,
    ``satisfaction`` 0..1, ``sentiment`` 0..1, ``text``, optionally ``touchpoint_seq``: the
    ``seq`` of the journey event the row is about, matched against the rules);
    ``members``: persona membership (``person_id``, ``name``); ``credit``: attributed share
    of conversions per channel;
    ``phases``: the phase names in their order (the covariate "highest phase reached");
    ``linked_journey``: the journey ``touchpoint_seq`` counts in (default ``journey``; in a
    range or filter the whole journey, where the touchpoint before an answer may lie).
    """
    steps = error_events(journey)
    pre = decided(journey).cache()  # read three times: once on the engine
    try:
        return _touchpoints(journey, pre, catalogue, steps, feedback=feedback, members=members,
                            credit=credit, resamples=resamples, seed=seed,
                            max_persons=max_persons, candidates=candidates, loops=loops,
                            phases=phases, linked_journey=linked_journey)
    finally:
        pre.release()


def _touchpoints(
    journey: ir.Table, pre: ir.Table, catalogue: Sequence[Touchpoint],
    steps: Mapping[str, str | None], *, feedback: pd.DataFrame | None,
    members: pd.DataFrame | None, credit: Mapping[str, float] | None, resamples: int,
    seed: int, max_persons: int, candidates: int, loops: int, phases: Sequence[str],
    linked_journey: ir.Table | None,
) -> TouchpointsResult:
    frame = person_frame(pre, catalogue, channels_of(journey), errors=list(steps),
                         phases=phases)
    if len(frame) > max_persons:
        frame = frame.sample(max_persons, random_state=seed).sort_values("person_id")
        frame = frame.reset_index(drop=True)
    fb = _about(feedback, catalogue, journey if linked_journey is None else linked_journey)
    rel, effects = _rated(frame, catalogue, fb, credit or {}, resamples=resamples, seed=seed)
    magic = scores.magic_moments(frame, catalogue, rel, candidates=candidates,
                                 resamples=resamples, seed=seed)
    watched = sorted(set(steps) | {s for s in steps.values() if s}
                     | set(loop_events(pre, top=loops)))
    events = event_frame(pre, watched)
    events = events[events["person_id"].isin(frame["person_id"])]
    pains = pain_points(frame, events, steps, resamples=resamples, seed=seed)
    pains.insert(1, "label", pains["event"] + " · " + pains["device"])
    overall = rel.assign(persona="(all)")[scores.MAP]
    per_persona = _persona_maps(frame, catalogue, fb, members, effects)
    evidence = _evidence(journey, pains, events, members,
                         fb if feedback is None else feedback)
    note = _note(catalogue, frame)
    return TouchpointsResult(
        relevance=rel, pain_points=pains[["rank", "label", *PAINS[1:]]], magic_moments=magic,
        map=overall, map_personas=per_persona, evidence=evidence, note=note,
        params={"touchpoints": len(catalogue), "persons": len(frame),
                "derived_catalogue": bool(catalogue) and all(t.derived for t in catalogue)},
    )


def _note(catalogue: Sequence[Touchpoint], frame: pd.DataFrame) -> str:
    if not catalogue:
        return "no touchpoints: add [[touchpoints]] to wegweiser.toml or import events"
    if all(t.derived for t in catalogue):
        return ("touchpoints derived from the data (one per channel and key event); define "
                "your own with [[touchpoints]] in wegweiser.toml")
    return ""


def _rated(frame: pd.DataFrame, catalogue: Sequence[Touchpoint], fb: pd.DataFrame,
           credit: Mapping[str, float], *, resamples: int, seed: int
           ) -> tuple[pd.DataFrame, list[Effect]]:
    rel, effects = scores.relevance(frame, catalogue, resamples=resamples, seed=seed)
    rel["credit"] = [
        sum(credit.get(c, 0.0) for c in t.channels)
        if t.channels and all(c.field == "channel" for c in t.conditions) else np.nan
        for t in catalogue
    ]
    ful = scores.fulfilment(frame, catalogue, fb)
    rel = rel.merge(ful, on="touchpoint", how="left")
    rel["benchmark"] = [t.benchmark for t in catalogue]
    rel["benchmark"] = rel["benchmark"].astype(float)
    rel["benchmark_gap"] = rel["performance"] - rel["benchmark"]
    imp = scores.importance(rel, catalogue)
    rel["importance"] = imp["importance"].to_numpy()
    rel["importance_source"] = imp["importance_source"].to_numpy()
    rel["quadrant"] = scores.quadrants(rel["importance"], rel["performance"])
    return rel[scores.RELEVANCE], effects


def _about(feedback: pd.DataFrame | None, catalogue: Sequence[Touchpoint],
           journey: ir.Table | None = None) -> pd.DataFrame:
    """One row per feedback row and touchpoint it is about: the row's linked event in the
    ``journey`` (``touchpoint_seq``) satisfies the touchpoint's rule; a row without one
    (an explicit touchpoint) is about it when its event, channel and device satisfy it."""
    columns = ["touchpoint", "person_id", "device", "satisfaction", "sentiment", "text"]
    if feedback is None or feedback.empty or not catalogue:
        return pd.DataFrame(columns=columns)
    fb = feedback.reset_index(drop=True)
    rows = pd.DataFrame({
        "event": fb["event"].astype("string"), "channel": fb["channel"].astype("string"),
        "device": fb["device"].astype("string"), "_row": np.arange(len(fb), dtype="int64"),
    })
    for col in ("campaign", "source", "medium", "platform", "country", "phase"):
        rows[col] = pd.Series([None] * len(fb), dtype="string")
    rows["revenue"] = np.nan
    rows["properties"] = "{}"
    table = ibis.memtable(rows)
    flags = to_frame(table.select("_row", **{f"m{i}": experienced(table, t)
                                             for i, t in enumerate(catalogue)}))
    flags = flags.sort_values("_row").reset_index(drop=True)
    if journey is not None and "touchpoint_seq" in fb.columns:
        flags = _linked(fb, catalogue, journey, flags)
    parts = []
    for i, t in enumerate(catalogue):
        hit = fb.loc[flags.loc[flags[f"m{i}"], "_row"].to_numpy()]
        parts.append(hit.assign(touchpoint=t.name)[columns])
    out: pd.DataFrame = pd.concat(parts, ignore_index=True)
    return out


def _linked(fb: pd.DataFrame, catalogue: Sequence[Touchpoint], journey: ir.Table,
            flags: pd.DataFrame) -> pd.DataFrame:
    """``flags`` with the rows that have a linked event matched on that event instead (its
    properties, campaign, ... count too)."""
    seq = pd.to_numeric(fb["touchpoint_seq"], errors="coerce")
    has = seq.notna().to_numpy()
    if not has.any():
        return flags
    links = ibis.memtable(pd.DataFrame({
        "_pid": fb.loc[has, "person_id"].astype(str).to_numpy(),
        "_tseq": seq[has].astype("int64").to_numpy(),
        "_row": np.flatnonzero(has).astype("int64"),
    }))
    at = journey.join(links, (journey.person_id == links._pid) & (journey.seq == links._tseq))
    hit = to_frame(at.select("_row", **{f"m{i}": experienced(at, t)
                                        for i, t in enumerate(catalogue)}))
    out = flags.copy()
    linked = out["_row"].isin(hit["_row"])
    out.loc[linked, [f"m{i}" for i in range(len(catalogue))]] = False
    hit = hit.set_index("_row")
    for i in range(len(catalogue)):
        rows = hit.index[hit[f"m{i}"].astype(bool)]
        out.loc[out["_row"].isin(rows), f"m{i}"] = True
    return out


def _persona_maps(frame: pd.DataFrame, catalogue: Sequence[Touchpoint], fb: pd.DataFrame,
                  members: pd.DataFrame | None, effects: Sequence[Effect]) -> pd.DataFrame:
    """The map within each persona: each touchpoint's adjusted difference among the
    persona's persons (with the models fitted on everyone) and their fulfilment."""
    if members is None or members.empty or not catalogue:
        return pd.DataFrame(columns=scores.MAP)
    name_of = dict(zip(members["person_id"], members["name"], strict=True))
    names = frame["person_id"].map(name_of)
    parts = []
    for name in sorted(set(name_of.values())):
        rows = (names == name).to_numpy()
        sub = frame[rows].reset_index(drop=True)
        within = [e.within(rows) for e in effects]
        rel = pd.DataFrame({"touchpoint": [t.name for t in catalogue],
                            "persons": [w[0] for w in within],
                            "difference": [w[1] for w in within]})
        ids = set(sub["person_id"])
        ful = scores.fulfilment(sub, catalogue, fb[fb["person_id"].isin(ids)])
        rel = rel.merge(ful, on="touchpoint", how="left")
        rel["importance"] = scores.importance(rel, catalogue)["importance"].to_numpy()
        rel["quadrant"] = scores.quadrants(rel["importance"], rel["performance"])
        parts.append(rel.assign(persona=name)[scores.MAP])
    return pd.concat(parts, ignore_index=True)


def _evidence(journey: ir.Table, pains: pd.DataFrame, events: pd.DataFrame,
              members: pd.DataFrame | None, fb: pd.DataFrame, *, top: int = 5) -> pd.DataFrame:
    """For the ``top`` pain points: what came right after, the personas most hit, quotes."""
    rows = []
    shown = pains.head(top)
    if shown.empty:
        return pd.DataFrame(columns=EVIDENCE)
    keys = sorted(set(shown["event"]))
    at = journey.filter(journey.event.isin(keys))
    after = to_frame(at.group_by(event=at.event, device=at.device.fill_null("(none)"),
                                 next=at.next_event.fill_null("(end)")).agg(n=at.count()))
    for row in shown.itertuples(index=False):
        nxt = after[(after["event"] == row.event) & (after["device"] == row.device)]
        nxt = nxt.sort_values(["n", "next"], ascending=[False, True]).head(3)
        total = max(int(nxt["n"].sum()), 1)
        paths = "; ".join(f"{row.event} -> {n} ({c / total:.0%})"
                          for n, c in zip(nxt["next"], nxt["n"], strict=True))
        who = events[(events["event"] == row.event) & (events["device"] == row.device)]
        if row.signal == "loop":
            who = who[who["looped"]]
        personas = ""
        if members is not None and not members.empty:
            hit = members[members["person_id"].isin(who["person_id"])]["name"].value_counts()
            personas = "; ".join(f"{n} ({c})" for n, c in hit.head(3).items())
        said = fb[fb["person_id"].isin(who["person_id"]) & fb["text"].notna()]
        said = said.drop_duplicates("text").sort_values(["sentiment", "text"]).head(2)
        rows.append({"rank": row.rank, "label": row.label, "paths": paths,
                     "personas": personas, "quotes": " | ".join(said["text"].astype(str))})
    return pd.DataFrame(rows, columns=EVIDENCE)


# -- registry ---------------------------------------------------------------------------------
class TouchpointsParams(Params):
    """Touchpoints: how relevant each is for the purchase, how well it is fulfilled, what is
    expected of it; magic moments and pain points.

    Touchpoints come from [[touchpoints]] in wegweiser.toml (else one per channel and key
    event). Relevance: the doubly robust effect on conversion of experiencing the touchpoint
    before the decision (first conversion) for those who did, against the rate they would have
    had without it, adjusted for what was observed before the first experience (first device,
    platform, country; entry channel, phase reached and channel mix); ratio and difference with
    a seeded bootstrap interval, the unadjusted ratio and the attribution credit beside it.
    Fulfilment: feedback about it and friction (errors, repeats, journeys ending right after it,
    long dwell, back-tracking), against the competitor
    benchmark. Importance: stated (1-5), else derived from the adjusted effects. Map:
    Martilla & James quadrants. Magic moments: thresholds with an interval (Bonferroni over
    all looks) above zero. Pain points: errors and loops per device, ranked by the lower
    bound of the conversions they cost (affected persons x adjusted gap).
    """

    resamples: Annotated[int, Field(ge=20, le=2000)] = Field(
        200, description="Bootstrap resamples of each interval."
    )
    max_persons: Annotated[int, Field(ge=100, le=1_000_000)] = Field(
        50_000, description="Fit the models on at most this many persons (a seeded sample)."
    )
    candidates: Annotated[int, Field(ge=0, le=40)] = Field(
        3, description="Touchpoints searched for magic-moment thresholds."
    )
    personas: bool = Field(True, description="Add the map per persona (fits the personas).")
    seed: Annotated[int, Field(ge=0, le=2**32 - 1)] = Field(0, description="Random seed.")


def feedback_rows(inputs: Inputs) -> pd.DataFrame:
    """The project's feedback as :func:`touchpoints` reads it."""
    from wegweiser.analysis._feedback_frame import feedback_frame
    from wegweiser.analysis._feedback_rows import SCALES

    frame = feedback_frame(inputs, linked=True)
    if frame.empty:
        return pd.DataFrame(columns=["person_id", "event", "channel", "device",
                                     "satisfaction", "sentiment", "text", "touchpoint_seq"])
    low = frame["kind"].map(lambda k: SCALES.get(k, (np.nan, np.nan))[0]).astype(float)
    high = frame["kind"].map(lambda k: SCALES.get(k, (np.nan, np.nan))[1]).astype(float)
    score = frame["score"].astype(float).where(frame["valid"].astype(bool))
    return pd.DataFrame({
        "person_id": frame["person_id"], "event": frame["touchpoint"],
        "channel": frame["touchpoint_channel"], "device": frame["device"],
        "satisfaction": (score - low) / (high - low),
        "sentiment": (frame["sentiment_score"].astype(float) + 1) / 2,
        "text": frame["text"], "touchpoint_seq": frame["touchpoint_seq"],
    })


def _compute(inputs: Inputs, p: TouchpointsParams) -> TouchpointsResult:
    from wegweiser.analysis.attribution.compare import attribution
    from wegweiser.analysis.personas import members

    journey = inputs.journey()
    cat = catalogue(inputs.config, journey)
    credits = attribution(journey, model="markov", by="channel").credits
    credit = dict(zip(credits["touchpoint"].astype(str), credits["share"].astype(float),
                      strict=True))
    who = members(inputs) if p.personas else None
    whole = getattr(inputs, "whole_journey", None)  # feedback is linked in the whole journey
    return touchpoints(journey, cat, feedback=feedback_rows(inputs), members=who,
                       credit=credit, resamples=p.resamples, seed=p.seed,
                       max_persons=p.max_persons, candidates=p.candidates,
                       phases=[ph.name for ph in inputs.config.phases],
                       linked_journey=whole() if callable(whole) else None)


ANALYSIS = Analysis(
    name="touchpoints",
    params=TouchpointsParams,
    compute=_compute,
    title=Words("Touchpoints: magic moments and pain points",
                "Kontaktpunkte: magische Momente und Schmerzpunkte"),
    summary=Words(
        "Every touchpoint rated by relevance for the purchase, fulfilment and expectation; "
        "magic moments and pain points",
        "Jeder Kontaktpunkt bewertet nach Kaufrelevanz, Erfüllung und Erwartung; magische "
        "Momente und Schmerzpunkte",
    ),
    views={
        "map": "map",
        "relevance": "relevance",
        "pain-points": "pain_points",
        "magic-moments": "magic_moments",
        "map-personas": "map_personas",
        "evidence": "evidence",
    },
    charts=(
        Chart("scatter", "map", x="performance", y="importance", value="touchpoint",
              title=Words("Importance and performance per touchpoint",
                          "Wichtigkeit und Leistung je Kontaktpunkt")),
        Chart("scatter", "map_personas", x="performance", y="importance", color="persona",
              value="touchpoint",
              title=Words("Importance and performance per persona",
                          "Wichtigkeit und Leistung je Persona")),
        Chart("bar", "relevance", x="touchpoint", y=("naive_ratio", "ratio"),
              title=Words("Effect on conversion: unadjusted and adjusted ratio",
                          "Wirkung auf die Conversion: roher und bereinigter Faktor")),
        Chart("hbar", "pain_points", x="lost_conversions", y="label",
              title=Words("Pain points by conversions lost",
                          "Schmerzpunkte nach verlorenen Conversions")),
    ),
    report=True,
)
