"""Simulated people with known peak hours, to measure send-time rules against the truth.

Each person has a true hour-of-day engagement density (von Mises on the 24-hour circle,
plus uniform background noise):

* ``day`` -- one peak between 07:00 and 21:00;
* ``night_owl`` -- one peak between 22:00 and 02:00 (the median rule's blind spot: the
  median of 23:00, 00:00 and 01:00 read as numbers is mid-day);
* ``two_peak`` -- a morning and an evening peak, the stronger one (60-70% of the mass) is
  the truth.

Their history is a few weeks of engagement events (days uniform, Poisson many). Two rules
predict the hour:

* ``model`` -- :class:`~wegweiser.orchestrate.sendtime.SendTimeModel` fitted on everyone's
  history (the population prior), the best time in the next 24 h from a random ``now``
  (:func:`~wegweiser.orchestrate.sendtime.best_time`, the runtime's own function);
* ``median`` -- Mautic's rule: the median hour of the person's past interactions.

A person is a *hit* when the predicted hour is within ± 1 h of the true peak (on the
circle). :func:`evaluate` reports hit rates per rule and kind.

>>> r = evaluate(simulate_people(60, seed=3))
>>> 0 <= r.median <= 1 and 0 <= r.model <= 1
True
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from wegweiser.errors import InvalidInput
from wegweiser.orchestrate.person import Person
from wegweiser.orchestrate.sendtime import HOURS, SendTimeModel, best_time

__all__ = ["KINDS", "People", "SendTimeScore", "evaluate", "median_hour", "simulate_people"]

KINDS = ("day", "night_owl", "two_peak")
CHANNEL = "email"


@dataclass(frozen=True)
class People:
    """``truth``: ``person_id``, ``kind``, ``peak`` (true peak hour, 0-23); ``events``:
    ``person_id``, ``hour_of_week`` (local) of each engagement; ``counts``: the same as
    the model's input (``person_id``, ``channel``, ``hour_of_week``, ``n``)."""

    truth: pd.DataFrame
    events: pd.DataFrame
    counts: pd.DataFrame


def simulate_people(n: int, *, seed: int = 0, shares: tuple[float, float, float] = (0.5, 0.25,
                    0.25), mean_events: float = 12.0, min_events: int = 3,
                    concentration: float = 4.0, noise: float = 0.15) -> People:
    """``n`` people of the kinds :data:`KINDS` in ``shares`` with their engagement."""
    if n < 1 or mean_events <= 0 or not 0 <= noise < 1 or abs(sum(shares) - 1) > 1e-9:
        raise InvalidInput("need n >= 1, mean_events > 0, 0 <= noise < 1, shares adding to 1")
    rng = np.random.default_rng(seed)
    kinds = rng.choice(len(KINDS), size=n, p=list(shares))
    rows, events = [], []
    for i, kind in enumerate(kinds):
        pid = f"sim{i:05d}"
        if KINDS[kind] == "day":
            peaks, weights = [rng.uniform(7, 22)], [1.0]
        elif KINDS[kind] == "night_owl":
            peaks, weights = [rng.uniform(22, 27) % 24], [1.0]
        else:
            strong = rng.uniform(0.6, 0.7)
            morning, evening = rng.uniform(6, 10), rng.uniform(18, 23)
            peaks, weights = ([morning, evening], [strong, 1 - strong]) if rng.random() < 0.5 \
                else ([evening, morning], [strong, 1 - strong])
        m = max(min_events, int(rng.poisson(mean_events)))
        which = rng.choice(len(peaks), size=m, p=weights)
        angle = rng.vonmises(0.0, concentration, size=m) * 24 / (2 * np.pi)
        hours = (np.asarray(peaks)[which] + angle) % 24
        background = rng.random(m) < noise
        hours[background] = rng.uniform(0, 24, size=int(background.sum()))
        days = rng.integers(0, 7, size=m)
        how = days * 24 + np.floor(hours).astype(int)
        rows.append((pid, KINDS[kind], int(np.floor(peaks[0])) % 24))
        events += [(pid, int(h)) for h in how]
    truth = pd.DataFrame(rows, columns=["person_id", "kind", "peak"])
    ev = pd.DataFrame(events, columns=["person_id", "hour_of_week"])
    counts = (ev.assign(channel=CHANNEL).groupby(["person_id", "channel", "hour_of_week"])
              .size().rename("n").reset_index())
    return People(truth, ev, counts)


def median_hour(hours: np.ndarray) -> int:
    """Mautic's rule: the median hour of day of past interactions, read as numbers 0-23.

    >>> median_hour(np.array([23, 0, 1, 23, 0]))  # a night owl -> midnight, by luck
    1
    >>> median_hour(np.array([22, 23, 23, 1, 2]))  # another -> 22:00 ... 02:00 gives 22
    22
    """
    if len(hours) == 0:
        raise InvalidInput("the median rule needs at least one past interaction")
    return int(np.floor(np.median(np.asarray(hours) % 24))) % 24


def _hit(predicted: int, peak: int) -> bool:
    d = abs(predicted - peak) % 24
    return min(d, 24 - d) <= 1


@dataclass(frozen=True)
class SendTimeScore:
    """Hit rates (± 1 h of the true peak) of the model and the median rule, overall and
    per kind (``by_kind``: ``kind``, ``persons``, ``model``, ``median``)."""

    persons: int
    model: float
    median: float
    by_kind: pd.DataFrame


def evaluate(people: People, *, model: SendTimeModel | None = None, seed: int = 0
             ) -> SendTimeScore:
    """Fit ``model`` (default settings) on everyone's counts and score both rules."""
    from wegweiser.orchestrate.settings import Delivery

    fitted = (model or SendTimeModel()).fit(people.counts)
    delivery = Delivery(default_timezone="UTC")
    rng = np.random.default_rng(seed)
    start = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
    hours = {p: g["hour_of_week"].to_numpy() % 24
             for p, g in people.events.groupby("person_id", sort=False)}
    rows = []
    for pid, kind, peak in people.truth.itertuples(index=False):
        now = start + timedelta(hours=int(rng.integers(0, HOURS)))
        at = best_time(fitted.profile(pid, CHANNEL), now, Person(pid), delivery)
        assert at is not None
        rows.append((kind, _hit(at.hour, peak), _hit(median_hour(hours[pid]), peak)))
    frame = pd.DataFrame(rows, columns=["kind", "model", "median"])
    by_kind = (frame.groupby("kind").agg(persons=("model", "size"), model=("model", "mean"),
                                         median=("median", "mean")).reset_index())
    return SendTimeScore(len(frame), float(frame["model"].mean()),
                         float(frame["median"].mean()), by_kind)
