"""An experiment's readout from its per-variant sums: one row per variant x metric.

Each variant is compared with control on every metric of
:data:`~wegweiser.analysis.experiments.metrics.METRICS`:

* the effect (:mod:`~wegweiser.analysis.experiments.stats`): proportions by the z-test,
  means by Welch, ratios by the delta method; with ``cuped`` the means and proportions are
  adjusted by their pre-exposure covariate, and a ratio with a pre-exposure ratio in the
  sums (``revenue_per_order``) by :func:`~wegweiser.analysis.experiments.ratio_cuped.
  ratio_cuped` -- unadjusted when an arm had no pre-exposure denominator (no orders before);
* a fixed-horizon interval and p-value (valid when the sample size was fixed in advance and
  the readout is looked at once), the **always-valid** interval and p-value of
  :mod:`~wegweiser.analysis.experiments.sequential` (valid however often one looks), and
  the Bayesian chance to beat control and expected loss;
* both p-values adjusted across all variants x metrics (``correction``, Holm by default);
* the ``decision``: ``better`` or ``worse`` when the adjusted *always-valid* p-value is
  below ``alpha`` (in the metric's good or bad direction), else ``inconclusive``. A
  guardrail metric that is ``worse`` is flagged (``guardrail_breached``).

>>> from wegweiser.analysis.experiments.moments import Moments
>>> import pandas as pd
>>> sums = sums_frame({"control": {"conversion": Moments(5000, 500, 500)},
...                    "treatment": {"conversion": Moments(5000, 650, 650)}})
>>> table = readout(sums, metrics=["conversion"])
>>> table.loc[0, ["variant", "decision"]].tolist()
['treatment', 'better']
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from wegweiser.analysis.experiments import stats
from wegweiser.analysis.experiments.metrics import METRICS
from wegweiser.analysis.experiments.moments import Moments
from wegweiser.analysis.experiments.planning import adjust
from wegweiser.analysis.experiments.ratio_cuped import RatioMoments, ratio_cuped
from wegweiser.analysis.experiments.sequential import sequential
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

CONTROL_NAMES = ("control", "baseline", "original", "holdout", "a")
SUMS = ("s_y", "s_yy", "s_x", "s_xx", "s_xy")
READOUT_COLUMNS = (
    "metric",
    "kind",
    "variant",
    "control",
    "n_control",
    "n_variant",
    "control_value",
    "variant_value",
    "diff",
    "lift",
    "ci_low",
    "ci_high",
    "lift_low",
    "lift_high",
    "p_value",
    "p_adjusted",
    "seq_low",
    "seq_high",
    "p_sequential",
    "p_sequential_adjusted",
    "chance_to_beat",
    "expected_loss",
    "cuped",
    "guardrail",
    "decision",
    "guardrail_breached",
)


def pick_control(variants: Sequence[str], control: str | None = None) -> str:
    """``control`` if given (it must exist), else the first variant named like a control
    (:data:`CONTROL_NAMES`, any case), else the first in sorted order."""
    names = sorted(variants)
    if control is not None:
        if control not in names:
            raise InvalidInput(
                f"control variant {control!r} not found; the experiment has "
                f"{', '.join(names) or 'no variants'}"
            )
        return control
    by_lower = {v.lower(): v for v in names}
    return next((by_lower[c] for c in CONTROL_NAMES if c in by_lower), names[0])


def sums_frame(by_variant: Mapping[str, Mapping[str, Moments]]) -> pd.DataFrame:
    """Per-variant sums in the layout of :func:`~wegweiser.analysis.experiments.metrics.
    variant_sums` from :class:`Moments` (tests and simulations)."""
    rows = []
    for variant, metrics in by_variant.items():
        row: dict[str, Any] = {"variant": variant}
        for name, m in metrics.items():
            row["n"] = m.n
            row.update({f"{name}__{s}": getattr(m, s) for s in SUMS})
        rows.append(row)
    return pd.DataFrame(rows)


def moments(row: Mapping[str, Any], metric: str) -> Moments:
    """The :class:`Moments` of ``metric`` in one row of the sums."""
    return Moments(int(row["n"]), *(float(row[f"{metric}__{s}"] or 0.0) for s in SUMS))


def ratio_moments(row: Mapping[str, Any], metric: str) -> RatioMoments | None:
    """The :class:`RatioMoments` of a ratio ``metric`` with its pre-exposure ratio in one
    row of the sums, or None when the sums do not carry it."""
    if f"{metric}__s_u" not in row:
        return None

    def v(name: str) -> float:
        return float(row[f"{metric}__s_{name}"] or 0.0)

    def product(a: str, b: str) -> float:
        pair = "".join(sorted((a, b), key="yxuv".index))
        return v("xy" if pair == "yx" else pair)

    ss = np.array([[product(a, b) for b in "yxuv"] for a in "yxuv"])
    return RatioMoments(int(row["n"]), np.array([v(c) for c in "yxuv"]), ss)


def _ratio(variant: Mapping[str, Any], control: Mapping[str, Any], metric: str,
           cuped: bool) -> tuple[stats.Effect, bool]:
    """A ratio's effect and whether it is CUPED-adjusted."""
    rv, rc = ratio_moments(variant, metric), ratio_moments(control, metric)
    if cuped and rv is not None and rc is not None and min(rv.s[3], rc.s[3]) > 0:
        return ratio_cuped(rv, rc), True
    return stats.ratio(moments(variant, metric), moments(control, metric)), False


def effect(kind: str, variant: Moments, control: Moments, *, cuped: bool) -> stats.Effect:
    """The effect of one metric (see the module docstring)."""
    if kind == "ratio":
        return stats.ratio(variant, control)
    if cuped:
        return stats.cuped(variant, control)
    if kind == "proportion":
        return stats.proportions(variant, control)
    return stats.means(variant, control)


def _decision(p_seq_adj: float, diff: float, alpha: float, higher_is_better: bool) -> str:
    if math.isnan(p_seq_adj) or p_seq_adj >= alpha or diff == 0:
        return "inconclusive"
    return "better" if (diff > 0) == higher_is_better else "worse"


def readout(
    sums: pd.DataFrame,
    *,
    metrics: Sequence[str] | None = None,
    control: str | None = None,
    alpha: float = 0.05,
    correction: str = "holm",
    cuped: bool = False,
    tuning: float = 10_000,
    guardrails: Sequence[str] = (),
) -> pd.DataFrame:
    """The readout table (columns :data:`READOUT_COLUMNS`) from per-variant ``sums``."""
    names = list(metrics or METRICS)
    unknown = [m for m in [*names, *guardrails] if m not in METRICS]
    if unknown:
        raise InvalidInput(f"unknown metric(s) {', '.join(unknown)}; use {', '.join(METRICS)}")
    if len(sums) < 2:
        raise InvalidInput(
            f"an experiment needs at least two variants with persons, got {len(sums)}"
        )
    rows: dict[str, dict[str, Any]] = {
        str(r["variant"]): {str(k): v for k, v in r.items()} for r in sums.to_dict("records")
    }
    base = pick_control(list(rows), control)
    out: list[dict[str, Any]] = []
    for variant in sorted(v for v in rows if v != base):
        for name in [*names, *(g for g in guardrails if g not in names)]:
            spec = METRICS[name]
            mv, mc = moments(rows[variant], name), moments(rows[base], name)
            adjusted = cuped and spec.kind != "ratio"
            try:
                if spec.kind == "ratio":
                    eff, adjusted = _ratio(rows[variant], rows[base], name, cuped)
                else:
                    eff = effect(spec.kind, mv, mc, cuped=adjusted)
            except InvalidInput:
                out.append(
                    {
                        "metric": name,
                        "kind": spec.kind,
                        "variant": variant,
                        "control": base,
                        "n_control": mc.n,
                        "n_variant": mv.n,
                        "cuped": adjusted,
                        "guardrail": name in guardrails,
                        "decision": "inconclusive",
                        "guardrail_breached": False,
                    }
                )
                continue
            fixed = (
                stats.proportions_fixed(mv, mc, alpha=alpha)
                if spec.kind == "proportion" and not adjusted
                else stats.fixed_horizon(eff, alpha=alpha)
            )
            seq = sequential(eff.diff, eff.se**2, mv.n + mc.n, alpha=alpha, tuning=tuning)
            post = stats.bayes(eff)
            out.append(
                {
                    "metric": name,
                    "kind": spec.kind,
                    "variant": variant,
                    "control": base,
                    "n_control": mc.n,
                    "n_variant": mv.n,
                    "control_value": eff.control,
                    "variant_value": eff.variant,
                    "diff": eff.diff,
                    "lift": eff.lift,
                    "ci_low": fixed.low,
                    "ci_high": fixed.high,
                    "lift_low": fixed.lift_low,
                    "lift_high": fixed.lift_high,
                    "p_value": fixed.p_value,
                    "seq_low": seq.low,
                    "seq_high": seq.high,
                    "p_sequential": seq.p_value,
                    "chance_to_beat": post.chance_to_beat
                    if spec.higher_is_better
                    else 1 - post.chance_to_beat,
                    "expected_loss": post.expected_loss,
                    "cuped": adjusted,
                    "guardrail": name in guardrails,
                    "_good_up": spec.higher_is_better,
                }
            )
    frame = pd.DataFrame(out)
    for col in READOUT_COLUMNS:
        if col not in frame.columns:
            frame[col] = math.nan
    frame["p_adjusted"] = adjust(
        frame["p_value"].astype(float).tolist(), method=correction, alpha=alpha
    )
    frame["p_sequential_adjusted"] = adjust(
        frame["p_sequential"].astype(float).tolist(), method=correction, alpha=alpha
    )
    good_up = frame.get("_good_up", pd.Series(True, index=frame.index)).fillna(True)
    frame["decision"] = [
        _decision(float(p), float(d) if pd.notna(d) else 0.0, alpha, bool(g))
        for p, d, g in zip(frame["p_sequential_adjusted"], frame["diff"], good_up, strict=True)
    ]
    frame["guardrail_breached"] = frame["guardrail"].astype(bool) & (frame["decision"] == "worse")
    return frame[list(READOUT_COLUMNS)].reset_index(drop=True)
