"""Propensity and churn: a calibrated gradient boosting model on a time split (internal).

The **time split** (``N`` = ``horizon_days``, ``E`` = the end of the data, the day after
the last event): the test cutoff is ``T2 = E - N``, the training cutoff ``T1 = T2 - N``.
Training rows are the persons active before ``T1`` with features up to ``T1`` and labels
from ``[T1, T2)``; test rows the persons active before ``T2`` with features up to ``T2`` and
labels from ``[T2, E)``. Nothing the model is trained on happens at or after ``T2``.

The model is scikit-learn's ``HistGradientBoostingClassifier`` wrapped in
``CalibratedClassifierCV`` (isotonic, 3 stratified folds on the training rows). The
**baseline** is a logistic regression on recency and log(1 + events) only; the **blend** is
the mean of the two probabilities. **Which one scores** is decided on the training rows
alone: each predictor's cross-validated AUC (``cv_auc``) on the calibration's 3 folds (the
gradient boosting of each fold predicts the fold it did not see; the baseline is refitted
per fold) picks the gradient boosting if neither the baseline nor the blend beats it, else
the blend; the ``chosen`` column and the note say which. With few
positives (a few hundred persons who convert) the boosting's extra features add variance
but little signal beyond recency, so it can lose to the baseline it is meant to beat; the
blend keeps the boosting's signal and the baseline's stability. Reported on the test rows: AUC,
the expected calibration error (ECE: over ten equal-count bins of the prediction, the
person-weighted mean absolute gap between mean prediction and observed rate), a
reliability table and lift by decile (decile 1 = the 10% with the highest scores; lift =
the decile's rate over the overall rate) of the chosen predictor, and the permutation
importance of each feature in the gradient boosting (mean drop of the test AUC when the
feature is shuffled, 3 repeats, on at most 2,000 test rows).

The **scores** come from the chosen recipe refitted on the test cutoff's rows (features up
to ``T2``, labels from ``[T2, E)``), applied to every person's features up to ``E``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from wegweiser.analysis.predict._features import FEATURES, features_at, labels_at
from wegweiser.analysis.result import Result, to_frame
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Sequence

    import ibis.expr.types as ir

Target = Literal["converted", "churned"]
SEED = 0
N_BINS = 10
MIN_ROWS = 40
IMPORTANCE_ROWS = 2000
MODEL_VERSION = "hgb-isotonic-1"
#: the version stored with the scores, by the chosen predictor
VERSIONS = {"gradient_boosting": MODEL_VERSION, "blend": "hgb-isotonic-1+rf-logistic-1"}
FOLDS = 3


@dataclass(frozen=True)
class PredictResult(Result):
    """``summary`` (model vs baseline: AUC, ECE, rows, cutoffs), ``calibration`` (bin,
    mean_predicted, observed, persons), ``lift`` (decile, persons, rate, lift),
    ``importance`` (feature, importance, std) and ``scores`` (person_id, score)."""

    summary: pd.DataFrame
    calibration: pd.DataFrame
    lift: pd.DataFrame
    importance: pd.DataFrame
    scores: pd.DataFrame
    note: str = field(default="", kw_only=True)


def _day(ts: Any) -> dt.datetime:
    day = pd.Timestamp(ts).tz_convert("UTC").normalize() + pd.Timedelta(days=1)
    out: dt.datetime = day.to_pydatetime()
    return out


def data_end(journey: ir.Table) -> dt.datetime:
    """The day after the last event (00:00 UTC); :class:`InvalidInput` for no events."""
    last = to_frame(journey.aggregate(last=journey.timestamp.max()))["last"].iloc[0]
    if pd.isna(last):
        raise InvalidInput("no events to predict from: import events first")
    return _day(last)


def frame_at(journey: ir.Table, cutoff: dt.datetime, horizon_days: int | None,
             phases: Sequence[str]) -> pd.DataFrame:
    """Features (and with ``horizon_days`` the labels) per person at ``cutoff``."""
    feats = features_at(journey, cutoff, phases=phases)
    if horizon_days is None:
        return to_frame(feats).sort_values("person_id", ignore_index=True)
    labels = labels_at(journey, cutoff, horizon_days, feats)
    joined = feats.join(labels, "person_id")
    return to_frame(joined).sort_values("person_id", ignore_index=True)


def make_model(kind: str = "model", *, cv: Any = FOLDS) -> Any:
    """The unfitted calibrated gradient boosting model (calibrated on ``cv``), or the
    baseline."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if kind == "baseline":
        return make_pipeline(StandardScaler(), LogisticRegression())
    gbm = HistGradientBoostingClassifier(max_iter=100, learning_rate=0.05, max_leaf_nodes=15,
                                         min_samples_leaf=20, random_state=SEED)
    return CalibratedClassifierCV(gbm, method="isotonic", cv=cv)


def baseline_x(frame: pd.DataFrame) -> np.ndarray:
    return np.column_stack([frame["recency_days"], np.log1p(frame["events"])])


def ece(y: np.ndarray, p: np.ndarray, bins: int = N_BINS) -> float:
    """Expected calibration error over ``bins`` equal-count bins of ``p``."""
    table = reliability(y, p, bins)
    gaps = (table["mean_predicted"] - table["observed"]).abs() * table["persons"]
    return float(gaps.sum() / table["persons"].sum())


def reliability(y: np.ndarray, p: np.ndarray, bins: int = N_BINS) -> pd.DataFrame:
    """bin, mean_predicted, observed, persons over equal-count bins (ordered by ``p``)."""
    order = np.argsort(p, kind="stable")
    parts = [part for part in np.array_split(order, min(bins, len(p))) if len(part)]
    return pd.DataFrame({
        "bin": np.arange(1, len(parts) + 1),
        "mean_predicted": [float(p[i].mean()) for i in parts],
        "observed": [float(y[i].mean()) for i in parts],
        "persons": [len(i) for i in parts],
    })


def lift(y: np.ndarray, p: np.ndarray) -> pd.DataFrame:
    """decile (1 = highest scores), persons, rate, lift."""
    order = np.argsort(-p, kind="stable")
    parts = np.array_split(order, 10)
    overall = float(y.mean())
    rates = [float(y[i].mean()) if len(i) else float("nan") for i in parts]
    return pd.DataFrame({
        "decile": np.arange(1, 11), "persons": [len(i) for i in parts], "rate": rates,
        "lift": [r / overall if overall else float("nan") for r in rates],
    })


def choose(y: np.ndarray, x: pd.DataFrame, xb: np.ndarray, folds: list[Any], model: Any
           ) -> dict[str, float]:
    """Cross-validated AUC on the training rows of the gradient boosting (each fold's
    boosting of the fitted calibrated ``model`` on the fold it did not see), the baseline
    (refitted per fold) and their blend."""
    from sklearn.metrics import roc_auc_score

    gbm, base = np.empty(len(y)), np.empty(len(y))
    for (fit, held), part in zip(folds, model.calibrated_classifiers_, strict=True):
        gbm[held] = part.estimator.predict_proba(x.iloc[held])[:, 1]
        base[held] = make_model("baseline").fit(xb[fit], y[fit]).predict_proba(xb[held])[:, 1]
    return {"gradient_boosting": float(roc_auc_score(y, gbm)),
            "recency_frequency": float(roc_auc_score(y, base)),
            "blend": float(roc_auc_score(y, (gbm + base) / 2))}


def chosen_of(cv_auc: dict[str, float]) -> str:
    """The gradient boosting when neither the baseline nor the blend beats it, else the
    blend (never the baseline alone: the blend keeps its stability and the boosting's
    signal; on ten small demo shops it ranked at least as well as the baseline alone in
    nine, see docs/analyses.md)."""
    if cv_auc["gradient_boosting"] >= max(cv_auc["blend"], cv_auc["recency_frequency"]):
        return "gradient_boosting"
    return "blend"


def _problem(frame: pd.DataFrame, target: str, what: str) -> str:
    """Why ``frame`` cannot train or test a model ('' when it can)."""
    if len(frame) < MIN_ROWS:
        return (f"{what}: only {len(frame)} persons (at least {MIN_ROWS} needed); use a "
                "shorter --horizon-days or import more history")
    if frame[target].nunique() < 2:
        return (f"{what}: every person has {target}={int(frame[target].iloc[0])}, nothing "
                "to learn; choose another --horizon-days")
    return ""


def _empty(note: str) -> PredictResult:
    """No model: every table empty (with its columns), ``note`` says why."""
    def table(*cols: str) -> pd.DataFrame:
        return pd.DataFrame({c: pd.Series([], dtype="object") for c in cols})

    return PredictResult(
        summary=table("model", "auc", "ece", "brier", "train_persons", "test_persons",
                      "positive_rate", "train_cutoff", "test_cutoff", "cv_auc", "chosen"),
        calibration=table("bin", "mean_predicted", "observed", "persons"),
        lift=table("decile", "persons", "rate", "lift"),
        importance=table("feature", "importance", "std"),
        scores=table("person_id", "score"),
        params={"scored_at": None, "model_version": MODEL_VERSION, "chosen": None},
        note=note)


def predict(journey: ir.Table, *, target: Target, horizon_days: int,
            phases: Sequence[str], importance: bool = True) -> PredictResult:
    """Fit, validate on the time split and score (see the module docstring). The fits run
    on one thread: OpenMP threads of the gradient boosting oversubscribe a busy machine
    (measured: 100x the CPU time on 2 loaded cores), and the models are small."""
    import sklearn.ensemble  # noqa: F401  (loads OpenMP first: only loaded libraries are limited)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _predict(journey, target=target, horizon_days=horizon_days, phases=phases,
                        importance=importance)


def _predict(journey: ir.Table, *, target: Target, horizon_days: int,
             phases: Sequence[str], importance: bool) -> PredictResult:
    from sklearn.inspection import permutation_importance
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    if horizon_days < 1:
        raise InvalidInput(f"horizon_days must be at least 1, got {horizon_days}")
    end = data_end(journey)
    t2 = end - dt.timedelta(days=horizon_days)
    t1 = t2 - dt.timedelta(days=horizon_days)
    train = frame_at(journey, t1, horizon_days, phases)
    test = frame_at(journey, t2, horizon_days, phases)
    problem = (_problem(train, target, f"training cutoff {t1:%Y-%m-%d}")
               or _problem(test, target, f"test cutoff {t2:%Y-%m-%d}"))
    if problem:  # too little data is a finding, not a failure (the report shows the note)
        return _empty(problem)
    # no feedback score is -1, not NaN: the GBM's binning fails on a column that is all
    # missing in a calibration fold (scikit-learn 1.9), as it is with little feedback
    cols = list(FEATURES)
    train[cols], test[cols] = train[cols].fillna(-1.0), test[cols].fillna(-1.0)
    y_train, y_test = train[target].to_numpy(), test[target].to_numpy()
    # the calibration's folds (as cv=3 draws them), kept to cross-validate the choice
    folds = list(StratifiedKFold(FOLDS).split(train[cols], y_train))
    model = make_model(cv=folds).fit(train[cols], y_train)
    base = make_model("baseline").fit(baseline_x(train), y_train)
    cv_auc = choose(y_train, train[cols], baseline_x(train), folds, model)
    chosen = chosen_of(cv_auc)
    p = model.predict_proba(test[cols])[:, 1]
    pb = base.predict_proba(baseline_x(test))[:, 1]
    predictions = {"gradient_boosting": p, "recency_frequency": pb, "blend": (p + pb) / 2}
    summary = pd.DataFrame([
        {"model": name, "auc": float(roc_auc_score(y_test, q)), "ece": ece(y_test, q),
         "brier": float(np.mean((q - y_test) ** 2)), "train_persons": len(train),
         "test_persons": len(test), "positive_rate": float(y_test.mean()),
         "train_cutoff": t1.date().isoformat(), "test_cutoff": t2.date().isoformat(),
         "cv_auc": cv_auc[name], "chosen": name == chosen}
        for name, q in predictions.items()
    ])
    note = "" if chosen == "gradient_boosting" else (
        f"the gradient boosting did not rank best in {FOLDS}-fold cross-validation on the "
        f"training rows (AUC: gradient boosting {cv_auc['gradient_boosting']:.3f}, "
        f"recency-frequency baseline {cv_auc['recency_frequency']:.3f}, blend "
        f"{cv_auc['blend']:.3f}): the scores, calibration and lift are those of the blend, "
        "the mean of the two probabilities")
    if importance:
        rows = test.sample(n=min(len(test), IMPORTANCE_ROWS), random_state=SEED)
        imp = permutation_importance(model, rows[cols], rows[target].to_numpy(),
                                     scoring="roc_auc", n_repeats=3, random_state=SEED)
        importances = pd.DataFrame({"feature": cols, "importance": imp.importances_mean,
                                    "std": imp.importances_std})
        importances = importances.sort_values(["importance", "feature"],
                                              ascending=[False, True], ignore_index=True)
    else:
        importances = pd.DataFrame({"feature": cols, "importance": np.nan, "std": np.nan})
    now = frame_at(journey, end, None, phases)
    now[cols] = now[cols].fillna(-1.0)
    scores = pd.DataFrame({"person_id": now["person_id"],
                           "score": _final(chosen, test, y_test, now, cols)})
    scores = scores.sort_values(["score", "person_id"], ascending=[False, True],
                                ignore_index=True)
    q = predictions[chosen]
    return PredictResult(
        summary=summary, calibration=reliability(y_test, q), lift=lift(y_test, q),
        importance=importances, scores=scores,
        params={"scored_at": end.date().isoformat(), "model_version": VERSIONS[chosen],
                "chosen": chosen},
        note=note,
    )


def _final(chosen: str, test: pd.DataFrame, y_test: np.ndarray, now: pd.DataFrame,
           cols: list[str]) -> np.ndarray:
    """Every person's score now from the ``chosen`` recipe refitted on the test rows."""
    parts = [make_model().fit(test[cols], y_test).predict_proba(now[cols])[:, 1]]
    if chosen == "blend":
        base = make_model("baseline").fit(baseline_x(test), y_test)
        parts.append(base.predict_proba(baseline_x(now))[:, 1])
    out: np.ndarray = np.mean(parts, axis=0)
    return out
