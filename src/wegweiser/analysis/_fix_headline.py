"""Which estimate gives a fix its verdict: difference-in-differences where it can, else the
interrupted time series; both are computed and shown side by side.

The rule (``why``, one of :data:`REASONS`):

* ``scoped`` — **difference-in-differences decides** when the fix is limited to a part of
  the population (a scope: :mod:`._fix_scope`), the comparison group outside the scope has
  enough days with data before and after, and the parallel-trends check on the days before
  the fix passes (:func:`._fix_estimate.parallel_trends`: the gap's slope there has an
  interval covering zero). On the benchmark's design (120 days, a +3 point change at 100
  persons a day) this verdict has the power the goal asks for and the time series has not
  (0.82-0.84 against 0.76-0.80, false alarms 2-5%; ``benchmarks/RESULTS.md``, "Issue 17:
  fix verdict"): the comparison group takes out the shocks both groups share, and the gap
  needs no trend of its own.
* ``no_scope`` — the fix touches everyone at the touchpoint: there is no untouched group,
  the **time series decides**;
* ``no_comparison_days`` — the comparison group has too few days with data (fewer than
  :data:`._fix_estimate.MIN_BEFORE` before or :data:`._fix_estimate.MIN_AFTER` after);
  the time series decides;
* ``pretrend_failed`` — the two groups were drifting apart before the fix, so the gap's
  change at the fix would mix the fix with the drift: difference-in-differences is not
  trusted alone. The time series' estimate is shown, **with a warning**, and its verdict
  stands only where difference-in-differences says the same; where the two disagree the
  verdict is ``none`` (no detectable effect);
* ``too_early`` — too few days for either.

**The procedure's size as a whole.** Choosing the test after a pre-test on the same data
is a two-stage procedure whose false alarms are not the level of either test: when the
fallback took the time series' verdict alone, the runs where AR(1) day noise makes the
two groups drift apart before the fix (the pre-trend check fails) were also the runs where
the treated series alone shows a spurious break, and the headline raised 5.2-5.4% false
alarms with AR(1) day noise where difference-in-differences alone raised 4.4-5.0%
(``benchmarks/RESULTS.md``, "Issue 17: fix verdict"). With the agreement rule every alarm
of a scoped fix is also an alarm of difference-in-differences (a ``worked`` or ``worse``
needs it in both branches), so the headline's false alarms are at most those of
difference-in-differences, run by run, whatever the pre-test does (Roth 2022, "Pretest
with caution", on the distortion of pre-tested event studies). The cost is power only in
the runs where the pre-trend check fails (1-3% of them on the benchmark's design).

>>> import pandas as pd
>>> days = list(pd.date_range("2026-01-01", periods=60).date)
>>> other = pd.DataFrame({"day": days, "rate": [0.1 + 0.02 * (i % 2) for i in range(60)]})
>>> fixed = other.assign(rate=other.rate + [0.3 if i < 40 else 0.0 for i in range(60)])
>>> h = headline(fixed, other, fix_day=days[40], better="lower")
>>> h.method, h.why, h.verdict, round(h.estimate.effect, 2)
('did', 'scoped', 'worked', -0.3)
>>> headline(fixed, None, fix_day=days[40], better="lower").why
'no_scope'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, get_args

from wegweiser.analysis._fix_estimate import (
    Estimate,
    Verdict,
    difference_in_differences,
    interrupted_series,
    parallel_trends,
    verdict,
)

if TYPE_CHECKING:
    import datetime as dt

    import pandas as pd

__all__ = ["FLAT", "REASONS", "Headline", "Reason", "headline"]

Reason = Literal["scoped", "no_scope", "no_comparison_days", "pretrend_failed", "too_early"]
#: a pre-period slope of the gap below this (rate per day) is no drift, whatever its interval
#: (a series without noise has an interval of zero width around a rounding error)
FLAT = 1e-9
REASONS: tuple[Reason, ...] = get_args(Reason)


@dataclass(frozen=True)
class Headline:
    """The verdict of a fix, the method that gave it and why, with every estimate."""

    method: Literal["its", "did"]
    why: Reason
    verdict: Verdict
    its: Estimate
    did: Estimate  # missing without a comparison group
    pretrend: Estimate  # missing without a comparison group

    @property
    def estimate(self) -> Estimate:
        """The estimate the verdict is of."""
        return self.did if self.method == "did" else self.its

    @property
    def warning(self) -> bool:
        """Whether the verdict comes with a warning (the parallel trends failed)."""
        return self.why == "pretrend_failed"


def headline(
    treated: pd.DataFrame, control: pd.DataFrame | None, *, fix_day: dt.date,
    partial: bool = False, better: Literal["lower", "higher"],
) -> Headline:
    """The verdict on the daily tables of the touchpoint and of the comparison group (None:
    the fix has no scope), chosen by the rule of the module docstring."""
    its = interrupted_series(treated, fix_day=fix_day, partial=partial)
    its_says = verdict(its, better=better)
    if control is None:
        none = Estimate.missing("did", 0, 0)
        return Headline("its", "no_scope", its_says, its, none, none)
    did = difference_in_differences(treated, control, fix_day=fix_day, partial=partial)
    if not did.ready:
        why: Reason = "no_comparison_days" if its.ready else "too_early"
        none = Estimate.missing("pretrend", did.days_before, 0)
        return Headline("its", why, its_says, its, did, none)
    did_says = verdict(did, better=better)
    trend = parallel_trends(treated, control, fix_day=fix_day, partial=partial)
    if trend.low <= 0.0 <= trend.high or abs(trend.effect) < FLAT:
        return Headline("did", "scoped", did_says, its, did, trend)
    # the agreement rule (module docstring): no alarm that difference-in-differences lacks
    agreed: Verdict = its_says if its_says == did_says else "none"
    return Headline("its", "pretrend_failed", agreed, its, did, trend)
