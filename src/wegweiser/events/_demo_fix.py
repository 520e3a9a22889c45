"""The planted fix of the demo (internal; see :mod:`wegweiser.events.demo`).

With ``generate(fix=True)`` (the ``wegweiser demo`` command), on :func:`fix_day` (three
quarters into the period, in its last third) the shop fixes the mobile payment: from that
day on a mobile payment attempt fails with ``FIX["error_rate_after"]`` (5%) instead of
``PAYMENT_ERROR["mobile"]`` (40%). The other devices stay as they were, so they are the
untouched comparison group. :class:`Watch` gives the error rate of a payment attempt at a
time and counts the realised rates before and after (checkout visits that reached
``checkout_payment``, and those with a ``payment_error``) for ``truth.json`` (key ``fix``),
which also holds what the demo project's fix file (``fixes/mobile-payment.toml``) says:
name, date, touchpoint, where, friction, note.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from wegweiser.events import _demo_planted as _planted

__all__ = ["FIX", "Watch", "fix_day"]

DAY_US = 24 * 3600 * 1_000_000
FIX: dict[str, Any] = {
    "name": "mobile-payment", "device": "mobile", "touchpoint": "mobile payment",
    "where": ["event=checkout_payment", "device=mobile"], "friction": ["event=payment_error"],
    "error_rate_before": _planted.PAYMENT_ERROR["mobile"], "error_rate_after": 0.05,
    "note": "New payment provider in the mobile checkout (the planted fix of the demo).",
}


def fix_day(n_days: int) -> int:
    """The day (0-based) the fix goes live: three quarters into the period."""
    return n_days * 3 // 4


class Watch:
    """The planted fix of one simulation: error rates by time, realised counts."""

    def __init__(self, t0: int, n_days: int) -> None:
        self.planted = False  # generate(fix=True) plants it
        self.day = fix_day(n_days)
        self.t_fix = t0 + self.day * DAY_US
        # (device, after the fix) -> [payment visits, with an error]
        self.counts: dict[tuple[str, bool], list[int]] = {}

    def error_rate(self, kind: str, t: int) -> float:
        """The chance that a payment attempt on device ``kind`` at ``t`` fails."""
        if self.planted and kind == FIX["device"] and t >= self.t_fix:
            return float(FIX["error_rate_after"])
        return _planted.PAYMENT_ERROR[kind]

    def count(self, kind: str, t: int, error: bool) -> None:
        """Count a checkout visit that reached checkout_payment (``error``: it failed)."""
        seen = self.counts.setdefault((kind, t >= self.t_fix), [0, 0])
        seen[0] += 1
        seen[1] += error

    def truth(self, start: dt.date) -> dict[str, Any]:
        """``truth.json``'s ``fix``: date, touchpoint, planted and realised rates."""
        def realised(after: bool) -> dict[str, Any]:
            out = {}
            for kind in _planted.PAYMENT_ERROR:
                visits, errors = self.counts.get((kind, after), [0, 0])
                out[kind] = {"payment_visits": visits, "with_error": errors,
                             "rate": round(errors / visits, 4) if visits else None}
            return out

        before, after = realised(False), realised(True)
        rate_b, rate_a = before[FIX["device"]]["rate"], after[FIX["device"]]["rate"]
        return {
            **FIX, "date": (start + dt.timedelta(days=self.day)).isoformat(),
            "before": before, "after": after,
            "effect": round(rate_a - rate_b, 4) if None not in (rate_a, rate_b) else None,
            "meaning": "From this date on, mobile payment attempts fail with 5% instead of "
                       "40%; before/after are the realised rates per checkout visit that "
                       "reached checkout_payment (effect: after - before, mobile).",
        }
