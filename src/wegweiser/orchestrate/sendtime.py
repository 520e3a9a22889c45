"""Best send time per person and channel: an hour-of-week profile learned from engagement.

The model (:class:`SendTimeModel`, the sklearn contract) turns engagement counts -- opens,
clicks, sessions -- per person, channel and hour of the week (168 bins, Monday 00:00 local
time is bin 0) into a profile:

* **prior**: the population's profile per channel, or the person's persona's when personas
  are given (``groups``); a persona with too few counts falls back to the population;
* **posterior** ``∝ person counts + k · prior`` (Dirichlet-style shrinkage: ``k`` =
  ``prior_strength`` pseudo-engagements; a person with two opens mostly follows the prior,
  one with fifty mostly follows themselves);
* **circular smoothing**: a von Mises kernel on the week (Sunday 23:00 neighbours Monday
  00:00) plus the same person's hour-of-day profile (a von Mises kernel on the 24-hour
  circle, 23:00 next to 01:00) spread over every day -- sparse weekly counts borrow from the
  other days of the same person.

:func:`best_time` picks the instant in the next 24 hours whose local hour scores highest,
outside the quiet hours. :func:`best_send_time` is the entry point the runtime and the
simulation call for steps with ``send_at = "best_time"``; without a model (or history) it
returns the prior's best hour, else the fallback hour (10:00 local).

>>> import pandas as pd
>>> counts = pd.DataFrame({"person_id": ["p"] * 3, "channel": ["email"] * 3,
...                        "hour_of_week": [23, 47, 71], "n": [4, 5, 3]})
>>> model = SendTimeModel(prior_strength=1.0).fit(counts)
>>> int(model.profile("p", "email").argmax() % 24)
23
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.ndimage import convolve1d

from wegweiser.errors import InvalidInput
from wegweiser.orchestrate.policy import _share, in_quiet_hours, person_zone, quiet_end

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    import ibis.expr.types as ir
    import pandas as pd

    from wegweiser.orchestrate.person import Person
    from wegweiser.orchestrate.settings import Delivery

__all__ = [
    "ANY_CHANNEL",
    "ENGAGEMENT_EVENTS",
    "HOURS",
    "SendTimeModel",
    "best_send_time",
    "best_time",
    "engagement_counts",
    "fallback_time",
    "hour_of_week",
    "install",
    "send_time_arm",
    "smooth",
    "to_local",
]

HOURS = 168
ENGAGEMENT_EVENTS = ("message_opened", "message_clicked")
"""Message events that count for their own channel; sessions count for every channel."""
ANY_CHANNEL = "*"
"""The ``channel`` of engagement that counts for every channel (a session, a page view)."""
FALLBACK_HOUR = 10


def hour_of_week(moment: datetime) -> int:
    """The bin of a (local) time: Monday 00:00-00:59 is 0, Sunday 23:00-23:59 is 167."""
    return moment.weekday() * 24 + moment.hour


def _von_mises(size: int, kappa: float) -> np.ndarray:
    """A von Mises kernel over ``size`` bins of a circle, centred, summing to 1."""
    offsets = np.arange(size) - size // 2
    weights: np.ndarray = np.exp(kappa * (np.cos(2 * np.pi * offsets / size) - 1))
    return np.asarray(weights / weights.sum())


def smooth(counts: np.ndarray, *, kappa: float = 2.0, daily_weight: float = 0.9) -> np.ndarray:
    """Circularly smoothed hour-of-week profiles (last axis: 168 bins), each summing to 1
    (all-zero rows stay zero): ``(1 - daily_weight)`` of the week smoothed with a
    von Mises kernel of the same width in hours, ``daily_weight`` of the hour-of-day profile
    (smoothed on the 24-hour circle with concentration ``kappa``) spread over the 7 days.

    >>> row = np.zeros(168); row[167] = 1.0  # Sunday 23:00
    >>> p = smooth(row)
    >>> bool(p[0] > p[160]) and bool(p[22] > p[12])  # Monday 00:00, any day 22:00
    True
    """
    x = np.asarray(counts, dtype="float64")
    if x.shape[-1] != HOURS:
        raise InvalidInput(f"hour-of-week profiles have {HOURS} bins, got {x.shape[-1]}")
    if kappa <= 0 or not 0 <= daily_weight <= 1:
        raise InvalidInput(f"need kappa > 0 and 0 <= daily_weight <= 1, got {kappa}, "
                           f"{daily_weight}")
    # the same width in hours on the week circle: kappa_week = kappa * (168 / 24) ** 2
    week = convolve1d(x, _von_mises(HOURS, kappa * 49.0), axis=-1, mode="wrap")
    day = convolve1d(x.reshape(*x.shape[:-1], 7, 24).sum(axis=-2), _von_mises(24, kappa),
                     axis=-1, mode="wrap")
    mixed = (1 - daily_weight) * week + daily_weight * np.tile(day / 7.0, 7)
    total = mixed.sum(axis=-1, keepdims=True)
    return np.asarray(np.divide(mixed, total, out=np.zeros_like(mixed), where=total > 0))


class SendTimeModel:
    """Per person and channel an hour-of-week profile (see the module docstring).

    ``fit(counts)`` takes one row per ``person_id``, ``channel``, ``hour_of_week`` (local,
    0-167) with the engagement count ``n``; rows of channel :data:`ANY_CHANNEL` count for
    every channel. ``groups`` maps persons to a persona whose profile is their prior.
    """

    def __init__(self, *, prior_strength: float = 4.0, kappa: float = 2.0,
                 daily_weight: float = 0.9, min_group_counts: float = 50.0,
                 fallback_hour: int = FALLBACK_HOUR) -> None:
        self.prior_strength = prior_strength
        self.kappa = kappa
        self.daily_weight = daily_weight
        self.min_group_counts = min_group_counts
        self.fallback_hour = fallback_hour

    def fit(self, counts: pd.DataFrame, *, groups: Mapping[str, str] | None = None
            ) -> SendTimeModel:
        missing = {"person_id", "channel", "hour_of_week", "n"} - set(counts.columns)
        if missing:
            raise InvalidInput(f"send-time counts need the column(s) {', '.join(sorted(missing))}"
                               f"; got {', '.join(map(str, counts.columns))}")
        if self.prior_strength < 0 or not 0 <= self.fallback_hour < 24:
            raise InvalidInput("prior_strength must be >= 0 and fallback_hour in 0..23")
        how = counts["hour_of_week"].to_numpy()
        if len(how) and (how.min() < 0 or how.max() >= HOURS):
            raise InvalidInput(f"hour_of_week is 0..167; got values from {how.min()} to "
                               f"{how.max()}")
        if len(how) and counts["n"].to_numpy().min() < 0:
            raise InvalidInput("engagement counts 'n' cannot be negative")
        self.counts_: dict[tuple[str, str], np.ndarray] = {}
        for (person, channel), part in counts.groupby(["person_id", "channel"], sort=True):
            row = np.bincount(part["hour_of_week"].astype(int), weights=part["n"].astype(float),
                              minlength=HOURS)
            self.counts_[(str(person), str(channel))] = row
        self.groups_ = dict(groups or {})
        self.channels_ = sorted({c for _, c in self.counts_} - {ANY_CHANNEL})
        totals: dict[tuple[str | None, str], np.ndarray] = {}
        for (person, channel), row in self.counts_.items():
            for key in {(None, channel), (self.groups_.get(person), channel)}:
                totals[key] = totals.get(key, np.zeros(HOURS)) + row
        self.priors_: dict[tuple[str | None, str], np.ndarray] = {
            key: smooth(row, kappa=self.kappa, daily_weight=self.daily_weight)
            for key, row in totals.items()
            if row.sum() > 0 and (key[0] is None or row.sum() >= self.min_group_counts)
        }
        return self

    def _combined(self, table: Mapping[tuple[Any, str], np.ndarray], key: Any, channel: str
                  ) -> np.ndarray:
        own = table.get((key, channel))
        anywhere = table.get((key, ANY_CHANNEL)) if channel != ANY_CHANNEL else None
        parts = [p for p in (own, anywhere) if p is not None]
        return sum(parts, np.zeros(HOURS)) if parts else np.zeros(HOURS)

    def prior(self, channel: str, group: str | None = None) -> np.ndarray:
        """The prior profile: the persona's (when it has enough counts), else the
        population's on ``channel`` (and sessions); zeros when nothing was seen."""
        keys = [(group, channel)] if group is not None else []
        for key in [*keys, (None, channel)]:
            found = self._combined(self.priors_, key[0], channel)
            if found.sum() > 0:
                return np.asarray(found / found.sum())
        return np.zeros(HOURS)

    def profile(self, person_id: str, channel: str) -> np.ndarray:
        """The posterior hour-of-week profile of a person on a channel (sums to 1, or all
        zeros when neither the person nor anyone else has engagement)."""
        if not hasattr(self, "counts_"):
            raise InvalidInput("the send-time model is not fitted; call fit(counts) first")
        own = self._combined(self.counts_, person_id, channel)
        prior = self.prior(channel, self.groups_.get(person_id))
        mixed = own + self.prior_strength * prior
        if mixed.sum() <= 0:
            return np.zeros(HOURS)
        out: np.ndarray = smooth(mixed, kappa=self.kappa, daily_weight=self.daily_weight)
        return out

    def known(self, person_id: str, channel: str) -> bool:
        return bool(self._combined(self.counts_, person_id, channel).sum() > 0)


def _candidates(now: datetime, hours: int) -> Iterator[datetime]:
    """``now`` and every full hour after it, up to ``hours`` ahead."""
    yield now
    start = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    for i in range(hours):
        moment = start + timedelta(hours=i)
        if moment - now < timedelta(hours=hours):
            yield moment


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise InvalidInput(f"send times need an aware datetime (with a time zone), got {now}")
    return now.astimezone(UTC)


def best_time(profile: np.ndarray, now: datetime, person: Person, delivery: Delivery, *,
              hours: int = 24) -> datetime | None:
    """The instant in ``[now, now + hours)`` -- ``now`` or a full hour -- whose local hour
    of week has the highest ``profile`` value, outside the quiet hours (ties: the earliest).
    None when the profile is all zeros."""
    now = _aware(now)
    if np.asarray(profile).sum() <= 0:
        return None
    zone = person_zone(person, delivery)
    best: tuple[float, datetime] | None = None
    for moment in _candidates(now, hours):
        if in_quiet_hours(moment, zone, delivery.quiet_hours):
            continue
        score = float(profile[hour_of_week(moment.astimezone(zone))])
        if best is None or score > best[0] + 1e-12:
            best = (score, moment)
    if best is None:  # everything quiet: the end of the quiet hours
        assert delivery.quiet_hours is not None
        return quiet_end(now, zone, delivery.quiet_hours)
    return best[1]


def fallback_time(person: Person, now: datetime, delivery: Delivery, *,
                  hour: int = FALLBACK_HOUR) -> datetime:
    """The next ``hour``:00 of the person's local clock (``now`` if it is that hour),
    moved past the quiet hours: the send time of persons without any history."""
    now = _aware(now)
    zone = person_zone(person, delivery)
    for moment in _candidates(now, 24):
        if moment.astimezone(zone).hour == hour and not in_quiet_hours(
                moment, zone, delivery.quiet_hours):
            return moment
    if delivery.quiet_hours is not None and in_quiet_hours(now, zone, delivery.quiet_hours):
        return quiet_end(now, zone, delivery.quiet_hours)
    return now


@dataclass
class _Installed:
    model: SendTimeModel | None = None
    delivery: Delivery | None = None


_INSTALLED = _Installed()


def install(model: SendTimeModel | None, delivery: Delivery | None = None) -> None:
    """Make ``model`` (and the delivery settings: time zones, quiet hours) the one
    :func:`best_send_time` uses in this process (None: back to the fallback time)."""
    _INSTALLED.model, _INSTALLED.delivery = model, delivery


def best_send_time(person: Person, channel: str, now: datetime, *,
                   model: SendTimeModel | None = None,
                   delivery: Delivery | None = None, fallback: bool = False) -> datetime:
    """The best instant within the next 24 h to send ``channel`` to ``person`` (aware,
    UTC): the person's posterior profile (their history shrunk to the prior), the prior
    for persons without history, the fallback hour when there is no model or no data.
    ``model``/``delivery`` default to the ones :func:`install` (else the defaults).
    ``fallback``: the send-time experiment's other arm (:func:`send_time_arm`): the
    delivery settings' ``default_send_time`` whatever the model says."""
    from wegweiser.orchestrate.settings import Delivery

    model = model if model is not None else _INSTALLED.model
    delivery = delivery or _INSTALLED.delivery or Delivery()
    if model is not None and not fallback:
        found = best_time(model.profile(person.person_id, channel), now, person, delivery)
        if found is not None:
            return found
    hour = model.fallback_hour if model is not None and not fallback else (
        delivery.default_send_time.hour)
    return fallback_time(person, now, delivery, hour=hour)


#: the share of best-time sends that go out at the fallback time (the send-time experiment)
FALLBACK_SHARE = 0.1


def send_time_arm(journey: str, step: str, person_id: str, *,
                  fallback_share: float = FALLBACK_SHARE) -> str:
    """The send-time experiment's arm of a best-time send: ``fallback`` for a fixed
    ``fallback_share`` of persons per (journey, step), else ``best_time`` (deterministic, as
    the policy's holdouts are; the readout recomputes it from the ledger).

    >>> send_time_arm("j", "s", "p1") == send_time_arm("j", "s", "p1")
    True
    """
    if not 0 <= fallback_share < 1:
        raise InvalidInput(f"fallback_share is in [0, 1), got {fallback_share}")
    point = _share("send_time", journey, step, person_id)
    return "fallback" if point < fallback_share else "best_time"


def engagement_counts(journey: ir.Table, *, events: tuple[str, ...] = ENGAGEMENT_EVENTS,
                      sessions: bool = True) -> ir.Table:
    """Engagement per ``person_id``, ``channel`` and UTC ``hour_of_week`` (``n``), on the
    engine: the message events ``events`` on their channel, and each session's first
    event on :data:`ANY_CHANNEL` (when ``sessions``)."""
    import ibis

    ts = journey.timestamp
    how = ((ts.day_of_week.index().cast("int64") * 24) + ts.hour().cast("int64"))
    messages = journey.filter(journey.event.isin(list(events))).select(
        person_id=journey.person_id, channel=journey.channel.fill_null(ANY_CHANNEL),
        hour_of_week=how)
    parts = [messages]
    if sessions and "session_id" in journey.columns:
        first = journey.filter(~journey.event.isin(list(events))).group_by(
            [journey.person_id, journey.session_id]).agg(start=ts.min())
        parts.append(first.select(
            person_id=first.person_id, channel=ibis.literal(ANY_CHANNEL),
            hour_of_week=(first.start.day_of_week.index().cast("int64") * 24
                          + first.start.hour().cast("int64"))))
    union = parts[0] if len(parts) == 1 else ibis.union(*parts, distinct=False)
    return union.group_by(["person_id", "channel", "hour_of_week"]).agg(
        n=union.count()).order_by(["person_id", "channel", "hour_of_week"])


def to_local(counts: pd.DataFrame, offsets: Mapping[str, float], *,
             default_offset: float = 0.0) -> pd.DataFrame:
    """UTC hour-of-week counts moved to each person's local clock by their UTC offset in
    hours (``offsets``; half-hour zones round down). One offset per person: counts from the
    other side of a DST change land one hour off (small next to the kernel's width)."""
    out = counts.copy()
    shift = out["person_id"].map(lambda p: math.floor(offsets.get(str(p), default_offset)))
    out["hour_of_week"] = (out["hour_of_week"].astype(int) + shift.astype(int)) % HOURS
    return out
