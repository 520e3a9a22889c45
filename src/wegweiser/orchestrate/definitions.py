"""Journey definitions: one TOML file per journey in the project's ``journeys/`` folder.

TOML, like ``wegweiser.toml``: comments, no indentation traps, and the standard library
reads it. Files whose name starts with ``_`` are not journeys (``_delivery.toml`` holds the
delivery settings, :mod:`wegweiser.orchestrate.settings`). See docs/journeys.md for the
reference; :func:`load_journey` validates a file and raises
:class:`~wegweiser.orchestrate.errors.InvalidJourney` naming file, line, field and what is
allowed.
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from wegweiser.orchestrate._time import parse_clock, parse_duration, parse_weekday
from wegweiser.orchestrate.conditions import Condition  # noqa: TC001 (Pydantic reads it)

Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
Clock = Annotated[time, BeforeValidator(parse_clock)]
Weekday = Annotated[int, BeforeValidator(parse_weekday)]
StepId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")]
LANGUAGES = ("de", "en")
SEND_CHANNELS = ("email", "sms", "push", "webpush")
MEMBERSHIP_KINDS = ("segment_entered", "segment_left", "persona_entered", "persona_left")
"""Entries on membership of a saved segment or a persona (:mod:`.memberships`)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Entry(_Model):
    """How a person enters. ``kind``: ``event``, ``phase_entered``, ``phase_left``,
    ``segment_entered``, ``segment_left``, ``persona_entered``, ``persona_left``,
    ``schedule``."""

    kind: Literal["event", "phase_entered", "phase_left", "segment_entered", "segment_left",
                  "persona_entered", "persona_left", "schedule"]
    event: str | None = None
    where: list[Condition] = Field(default_factory=list)
    """Property filters of the entry event (all must hold)."""
    phase: str | None = None
    direction: Literal["any", "forward", "backward"] = "any"
    """For phase entries: only moves in this direction (``backward``: a regression)."""
    segment: str | None = None
    """For segment entries: a saved segment (``segments/<name>.toml``)."""
    persona: int | str | None = None
    """For persona entries: a remembered persona (``personas.json``), by id or name."""
    every: Duration | None = None
    at: Clock | None = None
    when: Condition | None = None
    """For ``schedule``: who enters (conditions on the person)."""
    reentry: Literal["once", "once_per", "always"] = "once"
    reentry_days: float | None = Field(default=None, gt=0)
    limit: int | None = Field(default=None, gt=0)
    """At most this many entries into the journey, ever."""

    @model_validator(mode="after")
    def _fields_of_kind(self) -> Entry:
        need = {"event": ["event"], "phase_entered": ["phase"], "phase_left": ["phase"],
                "segment_entered": ["segment"], "segment_left": ["segment"],
                "persona_entered": ["persona"], "persona_left": ["persona"],
                "schedule": ["every"]}[self.kind]
        missing = [f for f in need if getattr(self, f) is None]
        if missing:
            raise ValueError(f"entry kind {self.kind!r} needs {', '.join(missing)}")
        for name, kinds in (("segment", ("segment_entered", "segment_left")),
                            ("persona", ("persona_entered", "persona_left"))):
            if getattr(self, name) is not None and self.kind not in kinds:
                raise ValueError(f"'{name}' goes with entry kind {kinds[0]!r} or {kinds[1]!r}")
        if self.where and self.kind != "event":
            raise ValueError("'where' filters the properties of an entry event (kind 'event')")
        if (self.reentry == "once_per") != (self.reentry_days is not None):
            raise ValueError("reentry = 'once_per' goes with reentry_days (and only with it)")
        return self


class Exits(_Model):
    goal: list[str] = Field(default_factory=list)
    """Events that reach the journey's goal (a conversion); the run ends."""
    phase_regression: bool = False
    """End the run when the person's phase moves backwards."""
    unsubscribed: bool = True
    """End the run when the person unsubscribes (an ``unsubscribed`` event)."""


class _Step(_Model):
    id: StepId
    next: StepId | None = None
    """The step after this one; default: the following step in the file (or the end)."""


class WaitStep(_Step):
    type: Literal["wait"]
    duration: Duration | None = None
    until_time: Clock | None = None
    weekdays: list[Weekday] = Field(default_factory=list)
    until_event: str | None = None
    where: list[Condition] = Field(default_factory=list)
    timeout: Duration | None = None
    on_timeout: StepId | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> WaitStep:
        kinds = [k for k in ("duration", "until_time", "until_event") if getattr(self, k)]
        if len(kinds) != 1:
            raise ValueError(
                "a wait has exactly one of duration, until_time, until_event; "
                f"this one has {', '.join(kinds) or 'none'}"
            )
        if self.until_event and self.timeout is None:
            raise ValueError("a wait until_event needs a timeout (and may name on_timeout)")
        if self.weekdays and self.until_time is None:
            raise ValueError("weekdays go with until_time")
        return self


class Branch(_Model):
    when: Condition | None = None
    next: StepId


class SplitStep(_Step):
    type: Literal["split"]
    branches: list[Branch] = Field(min_length=1)

    @model_validator(mode="after")
    def _default_last(self) -> SplitStep:
        for branch in self.branches[:-1]:
            if branch.when is None:
                raise ValueError("only the last branch of a split may go without 'when'")
        return self


class Share(_Model):
    share: float = Field(gt=0, le=100)
    next: StepId


class RandomStep(_Step):
    type: Literal["random"]
    branches: list[Share] = Field(min_length=2)

    @model_validator(mode="after")
    def _hundred(self) -> RandomStep:
        total = sum(b.share for b in self.branches)
        if abs(total - 100) > 1e-9:
            raise ValueError(f"the shares of a random split add up to 100, not {total:g}")
        return self


class SendStep(_Step):
    type: Literal["send"]
    channel: Literal["email", "sms", "push", "webpush"]
    template: str
    variant: str = ""
    attempts: int = Field(default=5, ge=1, le=50)
    send_at: Literal["now", "best_time"] = "now"
    """``best_time``: wait for the person's best send time within 24 hours of reaching the
    step (:func:`wegweiser.orchestrate.sendtime.best_send_time`), then the policy applies."""


class WebhookStep(_Step):
    type: Literal["webhook"]
    endpoint: str
    """A name from ``[webhooks.<name>]`` of the delivery settings (URL and secret live there)."""
    payload: dict[str, Any] = Field(default_factory=dict)
    """JSON body; every text in it is a template."""
    attempts: int = Field(default=5, ge=1, le=50)


class SetTraitStep(_Step):
    type: Literal["set_trait"]
    trait: str
    value: Any


class EmitStep(_Step):
    type: Literal["emit"]
    event: str
    properties: dict[str, Any] = Field(default_factory=dict)


class ExitStep(_Step):
    type: Literal["exit"]
    reason: Literal["completed", "goal", "manual"] = "completed"


Step = Annotated[
    WaitStep | SplitStep | RandomStep | SendStep | WebhookStep | SetTraitStep | EmitStep
    | ExitStep,
    Field(discriminator="type"),
]


class Template(_Model):
    subject: str = ""
    text: str
    html: str | None = None


class Journey(_Model):
    name: StepId
    description: str = ""
    priority: int = 0
    """Which message wins when a frequency cap allows only one: the higher priority."""
    holdout: float = Field(default=0.0, ge=0, lt=1)
    """Share of entrants kept out of every message of this journey (its effect baseline)."""
    entry: Entry
    exit: Exits = Field(default_factory=Exits)
    steps: list[Step] = Field(min_length=1)
    templates: dict[str, dict[Literal["de", "en"], Template]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _graph(self) -> Journey:
        ids = [s.id for s in self.steps]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"step ids must be unique, repeated: {', '.join(dupes)}")
        return self

    def step(self, step_id: str) -> Step:
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(step_id)

    def following(self, step_id: str) -> str | None:
        """The step after ``step_id`` when it names none (None: the run ends)."""
        index = [s.id for s in self.steps].index(step_id)
        current = self.steps[index]
        if current.next is not None:
            return current.next
        if isinstance(current, ExitStep):
            return None
        return self.steps[index + 1].id if index + 1 < len(self.steps) else None

    def targets(self, step: Step) -> list[tuple[str, str]]:
        """``(field, step id)`` of every step ``step`` can lead to."""
        out: list[tuple[str, str]] = []
        nxt = self.following(step.id)
        if nxt is not None and not isinstance(step, SplitStep | RandomStep):
            out.append(("next", nxt))
        if isinstance(step, SplitStep):
            out += [(f"branches.{i}.next", b.next) for i, b in enumerate(step.branches)]
        if isinstance(step, RandomStep):
            out += [(f"branches.{i}.next", r.next) for i, r in enumerate(step.branches)]
        if isinstance(step, WaitStep) and step.on_timeout:
            out.append(("on_timeout", step.on_timeout))
        return out

    def event_names(self) -> list[str]:
        """Events whose history or arrival this journey reads."""
        names = list(self.exit.goal)
        if self.entry.event:
            names.append(self.entry.event)
        if self.entry.when:
            names += self.entry.when.events()
        for s in self.steps:
            if isinstance(s, WaitStep) and s.until_event:
                names.append(s.until_event)
            if isinstance(s, SplitStep):
                for b in s.branches:
                    names += b.when.events() if b.when else []
        return sorted(set(names))
