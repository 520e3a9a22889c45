"""Journey readouts: what a journey did, per variant, against its holdout, with intervals.

* :func:`journey_readout` -- per journey (``by="journey"``) or per variant of its random
  splits (``by="variant"``): entrants, treated persons, holdout size, the global control
  group's persons, conversion (the journey's ``exit.goal`` events, else the project's
  conversions) and revenue per person in the treated arm and the holdout, the uplift with
  the **always-valid** interval of the experiments engine
  (:mod:`wegweiser.analysis.experiments.sequential`: looking every day does not inflate
  false wins), the decision, and the messages per step from the ledger;
* :func:`control_group_readout` -- the global control group across all journeys: persons in
  it against every other person who entered (or would have entered) a journey;
* :func:`send_time_lift` -- the built-in send-time experiment: sends of best-time steps in the
  arm ``best_time`` against the ``fallback`` arm (:func:`~wegweiser.orchestrate.sendtime.
  send_time_arm`, recomputed from the ledger), open and click rates with always-valid
  intervals.

A variant's treated persons are those whose ledger holds a message of that variant; its
holdout persons are the holdout runs that reached a step of that variant (holdout runs walk
the journey and record ``holdout`` rows), so each comparison stays randomised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from wegweiser.analysis.experiments import stats
from wegweiser.analysis.experiments.analysis import experiment
from wegweiser.analysis.experiments.moments import Moments
from wegweiser.analysis.experiments.sequential import sequential
from wegweiser.errors import InvalidInput
from wegweiser.orchestrate.operations import sends_per_step
from wegweiser.orchestrate.sendtime import FALLBACK_SHARE, send_time_arm

if TYPE_CHECKING:
    from collections.abc import Sequence

    import ibis.expr.types as ir

    from wegweiser.orchestrate.definitions import Journey
    from wegweiser.orchestrate.state import StateStore
    from wegweiser.project import Project

__all__ = [
    "FALLBACK_SHARE",
    "READOUT_COLUMNS",
    "SEND_TIME_COLUMNS",
    "JourneyReadout",
    "best_time_steps",
    "control_group_readout",
    "journey_readout",
    "project_readout",
    "send_time_lift",
]

METRICS = ("conversion", "revenue")
READOUT_COLUMNS = ("journey", "variant", "metric", "entrants", "treated", "holdout",
                   "control_group", "holdout_value", "treated_value", "uplift", "low", "high",
                   "p_sequential", "decision")
SEND_TIME_COLUMNS = ("journey", "metric", "n_best_time", "n_fallback", "best_time_value",
                     "fallback_value", "lift", "low", "high", "p_sequential", "decision")
ALL = "(all)"


@dataclass(frozen=True)
class JourneyReadout:
    """``summary``: one row per variant x metric (:data:`READOUT_COLUMNS`; ``uplift`` is
    treated minus holdout, ``low``/``high`` its always-valid 95% interval); ``steps``:
    messages per step, channel, variant and ledger state; ``send_time``: the send-time
    experiment (:data:`SEND_TIME_COLUMNS`)."""

    journey: str
    summary: pd.DataFrame
    steps: pd.DataFrame
    send_time: pd.DataFrame
    notes: tuple[str, ...] = field(default=(), kw_only=True)

    def to_dict(self) -> dict[str, Any]:
        return {"journey": self.journey, "summary": _records(self.summary),
                "steps": _records(self.steps), "send_time": _records(self.send_time),
                "notes": list(self.notes)}


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): (None if isinstance(v, float) and v != v else v) for k, v in r.items()}
            for r in frame.astype(object).to_dict("records")]


def _runs(store: StateStore, journey: str | None) -> pd.DataFrame:
    with store.transaction() as tx:
        rows = tx.execute(
            "SELECT journey, person_id, status, holdout, entered_at FROM wj_runs "
            "WHERE (CAST(:j AS TEXT) IS NULL OR journey = :j) ORDER BY person_id, entered_at",
            {"j": journey})
    frame = pd.DataFrame([tuple(r) for r in rows],
                         columns=["journey", "person_id", "status", "holdout", "entered_at"])
    frame["person_id"] = frame["person_id"].astype(str)
    frame["arm"] = ["control_group" if s == "control" else "holdout" if int(h) else "treated"
                    for s, h in zip(frame["status"], frame["holdout"], strict=True)]
    return frame.drop_duplicates("person_id", keep="first").reset_index(drop=True)


def _variants(store: StateStore, journey: str) -> pd.DataFrame:
    """Each person's first variant in the journey's ledger (``holdout`` rows included)."""
    with store.transaction() as tx:
        rows = tx.execute(
            "SELECT person_id, variant, min(created_at) FROM wj_ledger "
            "WHERE journey = :j AND variant <> '' GROUP BY person_id, variant "
            "ORDER BY person_id, 3, variant", {"j": journey})
    frame = pd.DataFrame([tuple(r) for r in rows], columns=["person_id", "variant", "at"])
    frame["person_id"] = frame["person_id"].astype(str)
    return frame.drop_duplicates("person_id", keep="first")[["person_id", "variant"]]


def _assignments(runs: pd.DataFrame, name: str) -> pd.DataFrame:
    frame = pd.DataFrame({"person_id": runs["person_id"], "experiment": name,
                          "variant": runs["arm"].map({"treated": "treatment",
                                                      "holdout": "holdout"}),
                          "assigned_at": pd.to_datetime(runs["entered_at"], unit="s", utc=True)})
    return frame.dropna(subset=["variant"]).reset_index(drop=True)


def _compare(events: ir.Table, runs: pd.DataFrame, *, journey: str, variant: str,
             flag: ir.BooleanValue | None, window: timedelta, alpha: float
             ) -> tuple[list[dict[str, Any]], str | None]:
    counts = runs["arm"].value_counts()
    base = {"journey": journey, "variant": variant, "entrants": len(runs),
            "treated": int(counts.get("treated", 0)), "holdout": int(counts.get("holdout", 0)),
            "control_group": int(counts.get("control_group", 0))}
    if base["treated"] == 0 or base["holdout"] == 0:
        note = (f"{journey} {variant}: no uplift without both treated persons and a holdout "
                f"({base['treated']} treated, {base['holdout']} in the holdout)")
        return [{**base, "metric": m, "decision": "inconclusive"} for m in METRICS], note
    result = experiment(events, name=f"journey:{journey}", assignments=_assignments(runs,
                        f"journey:{journey}"), conversion_flag=flag, window=window,
                        metrics=list(METRICS), control="holdout", alpha=alpha, cuped=False)
    out: list[dict[str, Any]] = []
    for row in result.summary.to_dict("records"):
        out.append({**base, "metric": row["metric"], "holdout_value": row["control_value"],
                    "treated_value": row["variant_value"], "uplift": row["diff"],
                    "low": row["seq_low"], "high": row["seq_high"],
                    "decision": row["decision"]})
    p = result.metrics.set_index("metric")["p_sequential"]
    for item in out:
        item["p_sequential"] = float(p.get(item["metric"], float("nan")))
    return out, (result.note or None)


def journey_readout(
    events: ir.Table, store: StateStore, journey: Journey, *,
    by: Literal["journey", "variant"] = "journey", window: timedelta = timedelta(days=14),
    alpha: float = 0.05,
) -> JourneyReadout:
    """The readout of ``journey`` over the project's ``events`` (its journey table) and
    the journeys' state ``store``; entry time is the exposure, conversions and revenue count
    within ``window`` after it."""
    if by not in ("journey", "variant"):
        raise InvalidInput(f"by is 'journey' or 'variant', not {by!r}")
    runs = _runs(store, journey.name)
    goal = list(journey.exit.goal)
    flag = events.event.isin(goal) if goal else None
    notes: list[str] = []
    rows: list[dict[str, Any]] = []
    if runs.empty:
        notes.append(f"{journey.name}: nobody has entered yet")
    elif by == "journey":
        found, note = _compare(events, runs, journey=journey.name, variant=ALL, flag=flag,
                               window=window, alpha=alpha)
        rows += found
        notes += [note] if note else []
    else:
        variants = runs.merge(_variants(store, journey.name), on="person_id", how="left")
        variants["variant"] = variants["variant"].fillna("")
        for name in sorted(v for v in variants["variant"].unique() if v):
            part = variants[variants["variant"] == name]
            found, note = _compare(events, part, journey=journey.name, variant=name,
                                   flag=flag, window=window, alpha=alpha)
            rows += found
            notes += [note] if note else []
        if not rows:
            notes.append(f"{journey.name}: no message with a variant in the ledger yet")
    steps = pd.DataFrame(sends_per_step(store, journey.name),
                         columns=["step", "channel", "variant", "state", "messages"])
    return JourneyReadout(
        journey.name, _frame(rows, READOUT_COLUMNS), steps,
        send_time_lift(store, journey.name, best_time_steps(journey), alpha=alpha),
        notes=tuple(notes))


def _frame(rows: list[dict[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for col in columns:
        if col not in frame.columns:
            frame[col] = float("nan")
    return frame[list(columns)]


def control_group_readout(
    events: ir.Table, store: StateStore, *, window: timedelta = timedelta(days=14),
    alpha: float = 0.05,
) -> pd.DataFrame:
    """The global control group across all journeys: one row per metric
    (:data:`READOUT_COLUMNS`, ``journey`` = ``(all)``; ``holdout`` counts the control group,
    ``treated`` everyone else who entered or would have entered a journey; exposure is a
    person's first entry)."""
    with store.transaction() as tx:
        rows = tx.execute("SELECT person_id, min(entered_at), "
                          "max(CASE WHEN status = 'control' THEN 1 ELSE 0 END) FROM wj_runs "
                          "GROUP BY person_id ORDER BY person_id")
    runs = pd.DataFrame([tuple(r) for r in rows], columns=["person_id", "entered_at", "ctl"])
    runs["person_id"] = runs["person_id"].astype(str)
    runs["arm"] = ["holdout" if int(c) else "treated" for c in runs["ctl"]]
    if runs.empty:
        return _frame([], READOUT_COLUMNS)
    found, _ = _compare(events, runs, journey=ALL, variant="control_group", flag=None,
                        window=window, alpha=alpha)
    return _frame(found, READOUT_COLUMNS).assign(control_group=lambda f: f["holdout"])


def best_time_steps(journey: Journey) -> list[str]:
    """The send steps of ``journey`` that go out at the person's best time
    (``send_at = "best_time"``)."""
    return [s.id for s in journey.steps if getattr(s, "send_at", None) == "best_time"]


def send_time_lift(store: StateStore, journey: str, steps: Sequence[str], *,
                   fallback_share: float = FALLBACK_SHARE, alpha: float = 0.05
                   ) -> pd.DataFrame:
    """Open and click rates of the best-time ``steps``' sent messages, arm ``best_time``
    against ``fallback`` (:data:`SEND_TIME_COLUMNS`; ``lift`` is the difference in rate,
    ``low``/``high`` its always-valid interval). Empty without such steps or sends."""
    if not steps:
        return _frame([], SEND_TIME_COLUMNS)
    marks = ", ".join(f":s{i}" for i in range(len(steps)))
    with store.transaction() as tx:
        rows = tx.execute(
            "SELECT l.step, l.person_id, CASE WHEN e.key IS NULL THEN 0 ELSE 1 END, "
            "CASE WHEN coalesce(e.clicks, 0) > 0 THEN 1 ELSE 0 END FROM wj_ledger l "
            "LEFT JOIN wj_engagement e ON e.key = l.key WHERE l.journey = :j "
            f"AND l.state IN ('sent', 'unknown') AND l.step IN ({marks})",
            {"j": journey, **{f"s{i}": s for i, s in enumerate(steps)}})
    sends = pd.DataFrame([tuple(r) for r in rows],
                         columns=["step", "person_id", "opened", "clicked"])
    if sends.empty:
        return _frame([], SEND_TIME_COLUMNS)
    sends["arm"] = [send_time_arm(journey, s, str(p), fallback_share=fallback_share)
                    for s, p in zip(sends["step"], sends["person_id"], strict=True)]
    out = []
    for metric, col in (("open_rate", "opened"), ("click_rate", "clicked")):
        arms = {arm: sends.loc[sends["arm"] == arm, col].to_numpy(dtype=float)
                for arm in ("best_time", "fallback")}
        row: dict[str, Any] = {"journey": journey, "metric": metric,
                               "n_best_time": len(arms["best_time"]),
                               "n_fallback": len(arms["fallback"]), "decision": "inconclusive"}
        if min(len(a) for a in arms.values()) >= 2:
            best, fb = Moments.of(arms["best_time"]), Moments.of(arms["fallback"])
            eff = stats.proportions(best, fb)
            seq = sequential(eff.diff, eff.se**2, best.n + fb.n, alpha=alpha)
            row.update(best_time_value=eff.variant, fallback_value=eff.control,
                       lift=eff.diff, low=seq.low, high=seq.high, p_sequential=seq.p_value)
            if seq.low > 0 or seq.high < 0:
                row["decision"] = "better" if seq.low > 0 else "worse"
        out.append(row)
    return _frame(out, SEND_TIME_COLUMNS)


def project_readout(
    project: Project, name: str | None = None, *, by: Literal["journey", "variant"] = "journey",
    control_group: bool = False, window: timedelta = timedelta(days=14),
    state: str | None = None,
) -> JourneyReadout:
    """The readout of journey ``name`` of ``project`` (files in ``journeys/``, state in
    its journey state store), or with ``control_group`` the global control group's (then
    ``name`` is not needed): the one function the CLI, the API, the dashboard and the
    report call."""
    import difflib

    from wegweiser.orchestrate.assembly import state_target
    from wegweiser.orchestrate.loading import JOURNEYS_DIR, load_journeys
    from wegweiser.orchestrate.state import open_state

    folder = project.path / JOURNEYS_DIR
    journeys: dict[str, Journey] = {}
    if not control_group:  # the control group's readout needs only the state store
        if not folder.is_dir():
            raise InvalidInput(f"{folder} does not exist; put journey files (*.toml) there "
                               "(docs/journeys.md has an example)")
        loaded, _ = load_journeys(folder, phases=project.config.phase_names)
        journeys = {j.name: j for j in loaded}
        if name is None:
            raise InvalidInput("name a journey, or ask for --control-group; the journeys are: "
                               + ", ".join(sorted(journeys)))
        if name not in journeys:
            close = difflib.get_close_matches(name, sorted(journeys), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise InvalidInput(f"no journey {name!r}; the journeys are: "
                               f"{', '.join(sorted(journeys))}.{hint}")
    events = project.journey()
    with open_state(state_target(project.path, state), project_dir=project.path) as store:
        if control_group:
            summary = control_group_readout(events, store, window=window)
            empty = pd.DataFrame(columns=["step", "channel", "variant", "state", "messages"])
            notes = () if not summary.empty else ("nobody has entered a journey yet",)
            return JourneyReadout(ALL, summary, empty, _frame([], SEND_TIME_COLUMNS),
                                  notes=notes)
        assert name is not None
        return journey_readout(events, store, journeys[name], by=by, window=window)
