"""Experiments in the analysis registry: the list with SRM status, and one readout.

* ``experiments`` -- every experiment in the data (or an assignments file): variants,
  persons, first and last exposure, persons in two variants (left out), the sample-ratio
  check;
* ``experiment`` (:mod:`.show`) -- one experiment's readout: metrics x variants with fixed-horizon,
  always-valid and Bayesian figures (:mod:`~wegweiser.analysis.experiments.readout`), the
  persons per variant with the SRM check, and the sequential boundary over time.

Functions :func:`experiments` and :func:`experiment` are the Python API; the registry's
compute functions call them with the project's journey and settings.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import pandas as pd
from pydantic import Field

from wegweiser.analysis._names import check_event_names
from wegweiser.analysis.experiments import assignments as asg
from wegweiser.analysis.experiments.boundary import BOUNDARY_COLUMNS, boundary
from wegweiser.analysis.experiments.metrics import (
    person_metrics,
    totals,
    variant_sums,
)
from wegweiser.analysis.experiments.notes import Note, english
from wegweiser.analysis.experiments.readout import READOUT_COLUMNS, pick_control, readout
from wegweiser.analysis.experiments.srm import SRM_THRESHOLD, Srm, check_srm
from wegweiser.analysis.params import CliOnly, Params
from wegweiser.analysis.registry import Analysis, Chart, Words
from wegweiser.analysis.result import Result, to_frame
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Mapping

    import ibis.expr.types as ir

    from wegweiser.analysis.registry import Inputs

SUMMARY_COLUMNS = (
    "metric",
    "variant",
    "control_value",
    "variant_value",
    "diff",
    "seq_low",
    "seq_high",
    "lift",
    "chance_to_beat",
    "decision",
    "guardrail_breached",
)
LIST_COLUMNS = (
    "experiment",
    "variants",
    "persons",
    "first_exposure",
    "last_exposure",
    "conflicts",
    "srm_p",
    "srm",
)


@dataclass(frozen=True)
class ExperimentsResult(Result):
    """``experiments``: one row per experiment (:data:`LIST_COLUMNS`; ``srm`` is ``ok`` or
    ``MISMATCH``); ``variants``: persons per experiment and variant with their share."""

    experiments: pd.DataFrame
    variants: pd.DataFrame
    note: str = field(default="", kw_only=True)
    notes: tuple[Note, ...] = field(default=(), kw_only=True)


def _assignments(journey: ir.Table, frame: pd.DataFrame | None) -> ir.Table:
    return asg.from_frame(frame) if frame is not None else asg.from_events(journey)


def experiments(
    journey: ir.Table,
    *,
    assignments: pd.DataFrame | None = None,
    shares: Mapping[str, float] | None = None,
) -> ExperimentsResult:
    """Every experiment with its variants and sample-ratio check (against ``shares``, the
    planned split, default equal)."""
    rows = _assignments(journey, assignments)
    first = asg.first_exposures(rows)
    per = to_frame(
        first.group_by("experiment", "variant").agg(
            persons=first.count(),
            first_exposure=first.exposed_at.min(),
            last_exposure=first.exposed_at.max(),
        )
    )
    clash = to_frame(asg.conflicts(rows)).set_index("experiment")["persons"]
    out = []
    for name, part in per.groupby("experiment", sort=True):
        counts = {str(v): int(n) for v, n in zip(part["variant"], part["persons"], strict=True)}
        srm = check_srm(counts, shares)
        out.append(
            {
                "experiment": str(name),
                "variants": len(counts),
                "persons": int(part["persons"].sum()),
                "first_exposure": part["first_exposure"].min(),
                "last_exposure": part["last_exposure"].max(),
                "conflicts": int(clash.get(name, 0)),
                "srm_p": srm.p_value,
                "srm": "ok" if srm.ok else "MISMATCH",
            }
        )
    table = pd.DataFrame(out, columns=list(LIST_COLUMNS))
    variants = (
        per[["experiment", "variant", "persons"]]
        .sort_values(["experiment", "variant"])
        .reset_index(drop=True)
    )
    variants["share"] = variants["persons"] / variants.groupby("experiment")["persons"].transform(
        "sum"
    )
    bad = table[table["srm"] != "ok"]["experiment"].tolist()
    notes: tuple[Note, ...] = (
        (("srm_mismatch", {"experiments": ", ".join(bad)}),) if bad else ()
    )
    if table.empty:
        notes = (_NONE,)
    return ExperimentsResult(
        experiments=table, variants=variants, note=english(notes), notes=notes
    )


@dataclass(frozen=True)
class ExperimentResult(Result):
    """``summary``: the readout at a glance (:data:`SUMMARY_COLUMNS`: values, the difference
    with its always-valid interval, the relative lift, the chance to beat control, the
    decision); ``metrics``: the full readout (:data:`~wegweiser.analysis.experiments.readout.
    READOUT_COLUMNS`); ``variants``: persons per variant, share and the SRM check;
    ``boundary``: the conversion difference with both intervals at the end of each day."""

    summary: pd.DataFrame
    metrics: pd.DataFrame
    variants: pd.DataFrame
    boundary: pd.DataFrame
    note: str = field(default="", kw_only=True)
    notes: tuple[Note, ...] = field(default=(), kw_only=True)


def experiment(
    journey: ir.Table,
    *,
    name: str | None = None,
    assignments: pd.DataFrame | None = None,
    conversion: list[str] | None = None,
    conversion_flag: ir.BooleanValue | None = None,
    window: timedelta = timedelta(days=14),
    retention_day: int = 7,
    pre_window: timedelta = timedelta(days=28),
    metrics: list[str] | None = None,
    guardrails: list[str] | None = None,
    control: str | None = None,
    alpha: float = 0.05,
    correction: str = "holm",
    cuped: bool = True,
    tuning: float = 10_000,
    shares: Mapping[str, float] | None = None,
) -> ExperimentResult:
    """The readout of experiment ``name`` (default: the one with the most persons);
    ``shares`` is the planned split of the sample-ratio check (default: equal).

    Conversions are the events ``conversion`` (default: ``conversion_flag``, else the
    journey's ``is_conversion``)."""
    rows = _assignments(journey, assignments)
    first = asg.first_exposures(rows)
    params: dict[str, Any] = {}
    if name is None:
        sizes = _sizes(first)
        if sizes.empty:
            return _empty(_NONE)
        name = str(
            sizes.sort_values(["n", "experiment"], ascending=[False, True]).iloc[0]["experiment"]
        )
        params["experiment"] = name
    if conversion:
        check_event_names(journey, conversion, what="conversion events")
        flag = journey.event.isin(conversion)
    else:
        flag = conversion_flag if conversion_flag is not None else journey.is_conversion
    mine = first.filter(first.experiment == name)
    persons = person_metrics(
        journey,
        mine,
        conversion=flag,
        window=window,
        retention_day=retention_day,
        pre_window=pre_window,
    )
    daily = to_frame(variant_sums(persons, by_day=True))
    if daily.empty:
        _unknown(first, name)
        return _empty(_NONE)
    sums = totals(daily).sort_values("variant").reset_index(drop=True)
    counts = {str(v): int(n) for v, n in zip(sums["variant"], sums["n"], strict=True)}
    srm = check_srm(counts, shares)
    base = pick_control(list(counts), control)
    params["control"] = base
    variants = pd.DataFrame({"variant": list(counts), "persons": list(counts.values())})
    variants["share"] = variants["persons"] / max(int(variants["persons"].sum()), 1)
    variants["control"] = variants["variant"] == base
    variants["srm_p"] = srm.p_value
    variants["srm"] = "ok" if srm.ok else "MISMATCH"
    if len(counts) < 2:
        return _empty(
            ("one_variant", {"experiment": name, "variant": base}),
            variants=variants,
            params=params,
        )
    table = readout(
        sums,
        metrics=metrics,
        control=base,
        alpha=alpha,
        correction=correction,
        cuped=cuped,
        tuning=tuning,
        guardrails=guardrails or (),
    )
    by_day = daily[["variant", "exposed_day", "converted_day", "n"]].rename(
        columns={"n": "persons"}
    )
    notes: list[Note] = [] if srm.ok else [_mismatch(srm, counts, shares)]
    breached = table[table["guardrail_breached"]]
    if not breached.empty:
        metrics_text = ", ".join(f"{r.metric} ({r.variant})" for r in breached.itertuples())
        notes.append(("guardrail_breached", {"metrics": metrics_text}))
    return ExperimentResult(
        summary=table[list(SUMMARY_COLUMNS)],
        metrics=table,
        variants=variants,
        boundary=boundary(by_day, control=base, alpha=alpha, tuning=tuning),
        params=params,
        note=english(notes),
        notes=tuple(notes),
    )


_NONE: Note = ("no_experiments", {})


def _mismatch(srm: Srm, counts: Mapping[str, int], shares: Mapping[str, float] | None) -> Note:
    """The note of a sample-ratio mismatch: persons seen and expected per variant."""
    names = sorted(counts)
    total = sum(counts.values())
    weights = {n: shares[n] if shares else 1.0 for n in names}
    whole = sum(weights.values())
    return (
        "srm_mismatch_one",
        {
            "p": f"{srm.p_value:.2g}",
            "threshold": SRM_THRESHOLD,
            "seen": ", ".join(f"{n} {counts[n]}" for n in names),
            "expected": ", ".join(f"{n} {total * weights[n] / whole:.0f}" for n in names),
        },
    )


def _sizes(first: ir.Table) -> pd.DataFrame:
    return to_frame(first.group_by("experiment").agg(n=first.count()))


def _unknown(first: ir.Table, name: str) -> None:
    """Raise for an experiment ``name`` that is not in the data (if there is any)."""
    sizes = _sizes(first)
    if sizes.empty:
        return
    names = sorted(sizes["experiment"].astype(str))
    close = difflib.get_close_matches(name, names, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise InvalidInput(f"no experiment {name!r} in the data; it has {', '.join(names)}.{hint}")


def _empty(
    note: Note, *, variants: pd.DataFrame | None = None, params: dict[str, Any] | None = None
) -> ExperimentResult:
    return ExperimentResult(
        summary=pd.DataFrame({c: [] for c in SUMMARY_COLUMNS}),
        metrics=pd.DataFrame({c: [] for c in READOUT_COLUMNS}),
        variants=variants
        if variants is not None
        else pd.DataFrame(
            {c: [] for c in ("variant", "persons", "share", "control", "srm_p", "srm")}
        ),
        boundary=pd.DataFrame({c: [] for c in BOUNDARY_COLUMNS}),
        params=dict(params or {}),
        note=english((note,)),
        notes=(note,),
    )


# -- registry ---------------------------------------------------------------------------------
AssignmentsFile = Annotated[Path | None, CliOnly()]


def read_assignments(path: Path | None) -> pd.DataFrame | None:
    return asg.read_csv(path) if path is not None else None


class ExperimentsParams(Params):
    """Experiments in the data: variants, persons, sample-ratio check.

    Assignments come from experiment_viewed events (and Segment's Experiment Viewed) with
    the properties experiment_id and variation_id (also experiment/variant), or from a CSV
    file with person_id, experiment, variant, assigned_at. A person's first exposure counts;
    persons seen in two variants are left out (conflicts). The sample-ratio check is a
    chi-square test against an equal split: p < 0.001 is a MISMATCH -- do not trust that
    experiment until its assignment or tracking is fixed.
    """

    assignments: AssignmentsFile = Field(
        None, description="A CSV file of assignments (person_id, experiment, variant, assigned_at)."
    )


def _list(inputs: Inputs, p: ExperimentsParams) -> ExperimentsResult:
    return experiments(inputs.journey(), assignments=read_assignments(p.assignments))


ANALYSIS = Analysis(
    name="experiments",
    params=ExperimentsParams,
    compute=_list,
    title=Words("Experiments", "Experimente"),
    summary=Words(
        "A/B tests and holdouts in the data, with their sample-ratio check",
        "A/B-Tests und Holdouts in den Daten, mit Prüfung der Gruppengrößen",
    ),
    views={"experiments": "experiments", "variants": "variants"},
    charts=(
        Chart(
            "bar",
            "variants",
            x="experiment",
            y="persons",
            color="variant",
            title=Words(
                "Persons per experiment and variant", "Personen je Experiment und Variante"
            ),
        ),
    ),
    report=True,
)
