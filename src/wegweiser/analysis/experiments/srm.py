"""Sample-ratio mismatch: do the variants have the persons the split says they should?

A chi-square goodness-of-fit test of the persons per variant against the planned shares
(equal by default). A mismatch means the assignment or the tracking is broken -- bots in one
arm, a redirect that loses people, exposure logged after a crash-prone page -- and every
metric of the experiment is then suspect, however significant. The threshold is
``p < 0.001`` (Fabijan et al. 2019, "Diagnosing Sample Ratio Mismatch in Online Controlled
Experiments", KDD), strict because the check runs on every experiment at every look.

>>> check_srm({"control": 5000, "treatment": 5000}).ok
True
>>> check_srm({"control": 5000, "treatment": 4600}).ok
False
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scipy import stats as st

from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Mapping

SRM_THRESHOLD = 0.001


@dataclass(frozen=True)
class Srm:
    """``p_value`` of the chi-square test; ``ok`` is ``p_value >= threshold``."""

    p_value: float
    chi2: float
    ok: bool
    message: str


def check_srm(
    counts: Mapping[str, int],
    shares: Mapping[str, float] | None = None,
    *,
    threshold: float = SRM_THRESHOLD,
) -> Srm:
    """Chi-square test of persons per variant against ``shares`` (default: equal)."""
    names = sorted(counts)
    if len(names) < 2:
        return Srm(math.nan, math.nan, True, "one variant only: no ratio to check")
    if shares is None:
        shares = dict.fromkeys(names, 1.0)
    missing = [n for n in names if n not in shares]
    if missing or any(shares[n] <= 0 for n in names):
        raise InvalidInput(
            f"planned shares must be positive for every variant; missing or "
            f"not positive: {', '.join(missing) or 'a share <= 0'}"
        )
    total = sum(counts[n] for n in names)
    weight = sum(shares[n] for n in names)
    expected = [total * shares[n] / weight for n in names]
    if total == 0:
        return Srm(math.nan, math.nan, True, "no persons yet")
    chi2, p = st.chisquare([counts[n] for n in names], expected)
    ok = bool(p >= threshold)
    if ok:
        message = f"sample ratio as planned (chi-square p = {p:.3g})"
    else:
        seen = ", ".join(
            f"{n} {counts[n]} (expected {e:.0f})" for n, e in zip(names, expected, strict=True)
        )
        message = (
            f"SAMPLE RATIO MISMATCH (chi-square p = {p:.2g} < {threshold}): {seen}. "
            "Do not trust this experiment's results until the assignment or tracking "
            "is fixed."
        )
    return Srm(float(p), float(chi2), ok, message)
