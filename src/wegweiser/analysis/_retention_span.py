"""The time a retention table covers: outlier dates left out (internal).

One event dated years away from the rest (a device clock in 1970, a mistyped year) would
stretch the cohort, churn and lifecycle tables over every period in between — thousands of
empty weeks. So the days with events are split wherever more than :data:`GAP_DAYS` days pass
without any event; when the largest part (by events) holds at least ``1 - MAX_SHARE`` of all
events, the other parts are **outliers**: they are left out, and the result's ``note`` says
how many events and which dates. Otherwise nothing is left out: the data really spans that
time.

>>> import pandas as pd
>>> span = main_span(pd.DataFrame({"day": [0, 20_500, 20_501, 20_530], "n": [1, 300, 200, 99]}))
>>> span.first_day, span.last_day, span.excluded
(20500, 20530, 1)
>>> span.note
'Left out 1 event dated 1970-01-01 to 1970-01-01: more than 365 days away from the other 599 events (outliers; fix or filter their timestamps).'
"""  # noqa: E501

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["GAP_DAYS", "MAX_SHARE", "Span", "main_span"]

#: days without any event that separate outliers from the rest
GAP_DAYS = 365
#: the most events (share of all) that can be outliers
MAX_SHARE = 0.01
_EPOCH = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class Span:
    """First and last day number (since 1970-01-01) kept; the outliers left out."""

    first_day: int
    last_day: int
    excluded: int = 0
    kept: int = 0
    excluded_days: tuple[int, ...] = ()

    @property
    def note(self) -> str:
        if not self.excluded:
            return ""
        lo, hi = (_EPOCH + dt.timedelta(days=d) for d in (min(self.excluded_days),
                                                           max(self.excluded_days)))
        events = "event" if self.excluded == 1 else "events"
        return (f"Left out {self.excluded} {events} dated {lo} to {hi}: more than {GAP_DAYS} "
                f"days away from the other {self.kept} events (outliers; fix or filter their "
                "timestamps).")


def main_span(days: pd.DataFrame) -> Span:
    """The span of ``days`` (columns ``day``, ``n``: events per day number; not empty)
    without outlier parts (see the module docstring)."""
    frame = days.sort_values("day", ignore_index=True)
    day = frame["day"].astype("int64")
    part = (day.diff().fillna(0) > GAP_DAYS).cumsum()
    sizes = [int(x) for x in frame.groupby(part)["n"].sum().sort_index()]
    main = max(range(len(sizes)), key=sizes.__getitem__)  # the first of equal parts
    total = sum(sizes)
    outside = total - sizes[main]
    if outside == 0 or outside > MAX_SHARE * total:
        return Span(int(day.iloc[0]), int(day.iloc[-1]), kept=total)
    inside = day[part == main]
    return Span(int(inside.iloc[0]), int(inside.iloc[-1]), excluded=outside, kept=total - outside,
                excluded_days=tuple(int(d) for d in day[part != main]))
