"""Watch the fix: did a change at a touchpoint work?

A **fix** (a file ``fixes/<name>.toml`` in the project; ``wegweiser fixes add`` writes it)
names the day a change went live (``date``, optionally the ``time`` of day, UTC), the
``touchpoint`` it was made at — a name plus the conditions that define it (``where``, the
filter model of :mod:`wegweiser.analysis.filters`, e.g. ``event=checkout_payment`` and
``device=mobile``) — the **metric** watched, and a ``note``:

* ``friction`` (default): the share of persons at the touchpoint on a day who that day also
  hit the ``friction`` event (conditions; default ``event contains error``) — lower is
  better;
* ``conversion``: the share of persons at the touchpoint on a day who converted that day
  (the project's conversion events) — higher is better.

The daily rates come from the engine (:mod:`._fix_metric`); the estimate from statsmodels
on that small table (:mod:`._fix_estimate`):

Without ``where`` the touchpoint is looked up by name in the touchpoint catalogue
(``[[touchpoints]]`` in wegweiser.toml, else the touchpoints derived from the data; see
:mod:`wegweiser.analysis.touchpoint_catalogue`) when the fix is checked.

* **its** — an interrupted time series (segmented regression: level and slope change,
  day-of-week effects, Newey-West errors): the average change after the fix;
* **did** — difference-in-differences against an untouched comparison group: the
  ``control`` conditions, by default the touchpoint's conditions with every condition of
  the fix's **scope** negated (:mod:`._fix_scope`; the scope is every condition not on
  ``event``: ``device=mobile`` -> ``device!=mobile``, the other devices at the same step);
  none when the fix has no scope. A ``control`` that can overlap the scope is refused (it
  must have a condition that rules the scope out), and so is one for a fix without scope.

Each comes with a 95% interval; both are always shown. The **verdict** — ``worked``,
``none`` (no detectable effect), ``worse`` (got worse) or ``too_early`` (fewer than 14 days
before or 7 days after) — is difference-in-differences' when the fix has a scope, the
comparison group has the days and the two groups moved in parallel before the fix (the
pre-trend check); the time series' otherwise -- when the pre-trend check failed, with a
warning, and only where difference-in-differences agrees, so the verdict raises no more
false alarms than difference-in-differences alone (:mod:`._fix_headline`). ``method``
says which decided and ``why`` why (the sentences :data:`REASONS`, English and German). A
fix's window ends where the next fix at the same touchpoint (by name) begins. Checking
again later recomputes everything from the current store: the fix keeps being watched.

>>> fix = Fix(name="mobile-pay", date="2026-10-01", touchpoint="mobile payment",
...           where=["event=checkout_payment", "device=mobile"])
>>> [filters.describe(c) for c in control_of(fix)]
['event=checkout_payment', 'device!=mobile']
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Literal

import pandas as pd
from pydantic import Field, model_validator

from wegweiser.analysis import filters
from wegweiser.analysis._fix_estimate import MIN_AFTER, MIN_BEFORE, verdict
from wegweiser.analysis._fix_headline import Headline, headline
from wegweiser.analysis._fix_metric import daily_rates
from wegweiser.analysis._fix_scope import complement, describe_all, overlap, scope_of
from wegweiser.analysis.fix_words import METHODS, NO_FIXES, REASONS, VERDICTS
from wegweiser.analysis.params import Params
from wegweiser.analysis.registry import Analysis, Chart, Words
from wegweiser.analysis.result import Result
from wegweiser.analysis.segments import NAME_PATTERN, Where
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    import ibis.expr.types as ir

    from wegweiser.analysis.registry import Inputs
    from wegweiser.analysis.touchpoint_catalogue import Touchpoint
    from wegweiser.config import Config

__all__ = [
    "METHODS",
    "REASONS",
    "VERDICTS",
    "Fix",
    "FixResult",
    "FixSpec",
    "FixesParams",
    "check_fixes",
    "check_name",
    "control_of",
    "fix_annotations",
    "say",
    "why",
    "why_fields",
    "with_conditions",
]

DEFAULT_FRICTION = "event contains error"
_Text = Annotated[str, Field(max_length=500)]


def _default_friction() -> list[str | filters.Condition]:
    return [filters.parse(DEFAULT_FRICTION)]


class FixSpec(Params):
    """What a fix is (see :mod:`wegweiser.analysis.fixes`); the API's body."""

    date: dt.date = Field(description="The day the fix went live (UTC).")
    time: dt.time | None = Field(None, description="The time of day (UTC) it went live; that "
                                 "day is then mixed and left out.")
    touchpoint: Annotated[str, Field(min_length=1, max_length=100)]
    where: Where = Field(default_factory=list, description="The conditions that define the "
                         "touchpoint (none: the touchpoint catalogue's conditions of that name).")
    metric: Literal["friction", "conversion"] = "friction"
    friction: Where = Field(default_factory=lambda: _default_friction(),
                            description="The friction event's conditions (metric friction).")
    control: Where = Field(default_factory=list, description="The untouched comparison "
                           "group (default: the fix's scope -- the touchpoint's conditions not "
                           "on event -- negated); it must rule the scope out.")
    note: _Text = ""

    @model_validator(mode="after")
    def _check(self) -> FixSpec:
        for c in filters.conditions([*self.where, *self.friction, *self.control]):
            if c.step is not None:
                raise ValueError("a fix's condition cannot name a step")
        if self.where:  # else checked when the catalogue gives the conditions
            problem = overlap(self.scope, filters.conditions(self.control))
            if problem:
                raise ValueError(problem)
        return self

    @property
    def scope(self) -> list[filters.Condition]:
        """The part of the population the fix is limited to: its touchpoint's conditions
        not on ``event`` (:mod:`._fix_scope`); empty: everyone at the touchpoint."""
        return scope_of(filters.conditions(self.where))

    @property
    def better(self) -> Literal["lower", "higher"]:
        return "lower" if self.metric == "friction" else "higher"

    @property
    def partial(self) -> bool:
        """Whether the fix went live during its day (that day is left out)."""
        return self.time is not None and self.time != dt.time(0, 0)

    def definition(self) -> dict[str, Any]:
        """The fix as JSON, conditions in their text form (what its file holds)."""
        data = self.model_dump(mode="json", exclude_none=True)
        for key in ("where", "friction", "control"):
            data[key] = [filters.describe(c) for c in filters.conditions(getattr(self, key))]
        return data

    def summary(self) -> dict[str, Any]:
        """One row of ``fixes list``."""
        return {
            "name": getattr(self, "name", ""), "date": self.date.isoformat(),
            "time": self.time.isoformat() if self.time else "",
            "touchpoint": self.touchpoint,
            "where": "; ".join(filters.describe(c) for c in filters.conditions(self.where)),
            "metric": self.metric, "note": self.note,
        }


class Fix(FixSpec):
    """A change made at a touchpoint, to be watched (see :mod:`wegweiser.analysis.fixes`)."""

    name: Annotated[str, Field(pattern=NAME_PATTERN)]


def check_name(name: str) -> str:
    """``name`` if it can name a fix (a file name), else :class:`InvalidInput`."""
    if not re.match(NAME_PATTERN, name):
        raise InvalidInput(f"fix name {name!r}: use letters, digits, '-' and '_' (at most 64, "
                           "starting with a letter or digit)")
    return name


def control_of(fix: Fix) -> list[filters.Condition]:
    """The comparison group's conditions: ``control``, else the touchpoint's with each
    scope condition negated (:func:`._fix_scope.complement`); empty when the fix has no
    scope."""
    if fix.control:
        return filters.conditions(fix.control)
    return complement(filters.conditions(fix.where))


def fix_annotations(fixes: Iterable[Fix]) -> list[dict[str, Any]]:
    """The fixes as date annotations of a time chart: ``{"date", "label", "note"}``, sorted
    by date (``date`` an ISO date; ``label`` the fix's touchpoint and name)."""
    rows = [{"date": f.date.isoformat(), "label": f"{f.touchpoint} ({f.name})", "note": f.note}
            for f in fixes]
    return sorted(rows, key=lambda r: (r["date"], r["label"]))


@dataclass(frozen=True)
class FixResult(Result):
    """``fixes``: one row per fix with its verdict and both estimates; ``daily``: the daily
    rate of the touchpoint (``group`` treated) and of the comparison group (control)."""

    fixes: pd.DataFrame
    daily: pd.DataFrame
    note: str = field(default="", kw_only=True)
    #: the note as message keys (``note.<key>`` of the catalogue) with their fields
    notes: tuple[tuple[str, dict[str, Any]], ...] = field(default=(), kw_only=True)


FIX_COLUMNS = ["fix", "touchpoint", "date", "metric", "scope", "control", "rate_before",
               "rate_after", "verdict", "method", "why", "effect", "low", "high", "p_value",
               "days_before", "days_after", "its_verdict", "its_effect", "its_low", "its_high",
               "did_verdict", "did_effect", "did_low", "did_high", "did_days_before",
               "did_days_after", "pretrend_slope", "pretrend_p", "note"]
DAILY_COLUMNS = ["fix", "group", "day", "n", "k", "rate", "after"]


def _pooled(daily: pd.DataFrame, mask: pd.Series) -> float:
    n = float(daily.n[mask].sum())
    return float(daily.k[mask].sum()) / n if n else math.nan


def _after(days: pd.Series, fix: Fix) -> pd.Series:
    return days > fix.date if fix.partial else days >= fix.date


def next_fix(fix: Fix, fixes: Iterable[Fix]) -> dt.date | None:
    """The date of the next fix at the same touchpoint (by name) after ``fix``, if any: the
    end of ``fix``'s window."""
    later = [f.date for f in fixes if f.touchpoint == fix.touchpoint and f.date > fix.date]
    return min(later, default=None)


def check_one(
    journey: ir.Table, fix: Fix, *, until: dt.date | None = None,
    traits: Callable[[str], ir.Table] | None = None,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """The row of ``fixes`` and the ``daily`` rows of one fix (module docstring), on the
    days before ``until`` (the next fix at the touchpoint) when given."""
    outcome = filters.conditions(fix.friction) if fix.metric == "friction" else None
    control = control_of(fix)
    problem = overlap(fix.scope, filters.conditions(fix.control))
    if problem:  # a fix whose conditions came from the catalogue
        raise InvalidInput(f"fix {fix.name!r}: {problem}")
    groups = {"treated": filters.conditions(fix.where)}
    if control:
        groups["control"] = control
    rates = daily_rates(journey, groups, outcome, traits=traits)
    if until is not None:
        rates = {g: d[d.day < until].reset_index(drop=True) for g, d in rates.items()}
    treated = rates["treated"]
    head = headline(treated, rates.get("control"), fix_day=fix.date, partial=fix.partial,
                    better=fix.better)
    frames = [treated.assign(group="treated")]
    if control:
        frames.append(rates["control"].assign(group="control"))
    daily = pd.concat(frames, ignore_index=True).assign(fix=fix.name)
    daily["after"] = _after(daily.day, fix)
    mixed = (daily.day == fix.date) & fix.partial
    tr = (daily.group == "treated") & ~mixed
    row = {
        "fix": fix.name, "touchpoint": fix.touchpoint, "date": fix.date.isoformat(),
        "metric": fix.metric, "scope": describe_all(fix.scope),
        "control": describe_all(control), "rate_before": _pooled(daily, tr & ~daily.after),
        "rate_after": _pooled(daily, tr & daily.after), **_estimates(head, fix),
        "note": fix.note,
    }
    return row, daily[DAILY_COLUMNS]


def _estimates(head: Headline, fix: Fix) -> dict[str, Any]:
    """The row's verdict and estimates: the deciding one, then each."""
    e, its, did = head.estimate, head.its, head.did
    has_did = head.why != "no_scope"
    return {
        "verdict": head.verdict, "method": head.method, "why": head.why, "effect": e.effect,
        "low": e.low, "high": e.high, "p_value": e.p_value, "days_before": e.days_before,
        "days_after": e.days_after, "its_verdict": verdict(its, better=fix.better),
        "its_effect": its.effect, "its_low": its.low, "its_high": its.high,
        "did_verdict": verdict(did, better=fix.better) if has_did else "",
        "did_effect": did.effect, "did_low": did.low, "did_high": did.high,
        "did_days_before": did.days_before, "did_days_after": did.days_after,
        "pretrend_slope": head.pretrend.effect, "pretrend_p": head.pretrend.p_value,
    }


def check_fixes(
    journey: ir.Table | None, fixes: Iterable[Fix], *, only: str | None = None,
    traits: Callable[[str], ir.Table] | None = None,
) -> FixResult:
    """Check every fix (or the one named ``only``) on ``journey`` (the whole journey of the
    project); a fix's window ends at the next fix at the same touchpoint."""
    rows, days = [], []
    fixes = list(fixes)
    for fix in fixes:
        if only is not None and fix.name != only:
            continue
        if journey is None:
            raise InvalidInput("checking a fix needs the journey of a project")
        row, daily = check_one(journey, fix, until=next_fix(fix, fixes), traits=traits)
        rows.append(row)
        days.append(daily)
    daily = (pd.concat(days, ignore_index=True) if days
             else pd.DataFrame({c: [] for c in DAILY_COLUMNS}))
    if not rows:
        return FixResult(pd.DataFrame(rows, columns=FIX_COLUMNS), daily, note=NO_FIXES.en,
                         notes=(("no_fixes", {}),))
    notes = tuple((f"fix.{row['why']}", why_fields(row)) for row in rows)
    return FixResult(pd.DataFrame(rows, columns=FIX_COLUMNS), daily,
                     note=" ".join(why(row, "en") for row in rows), notes=notes)


def _number(x: float, lang: str, spec: str) -> str:
    if x is None or math.isnan(x):
        return "-"
    text = format(x, spec)
    return text.replace(".", ",") if lang == "de" else text


def why_fields(row: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of the row's reason (:data:`REASONS`); the numbers ``p`` and ``slope`` as a
    text per language (``{"en": "0.30", "de": "0,30"}``, as ``present.i18n.note_text``
    fills them in)."""
    fields: dict[str, Any] = {
        "fix": row["fix"], "scope": row["scope"], "control": row["control"],
        "before": row["days_before"], "after": row["days_after"],
        "min_before": MIN_BEFORE, "min_after": MIN_AFTER,
        "p": {lang: _number(row["pretrend_p"], lang, ".2f") for lang in ("en", "de")},
        "slope": {lang: _number(100 * row["pretrend_slope"], lang, "+.3f")
                  for lang in ("en", "de")},
    }
    if row["why"] == "no_comparison_days":  # the days both groups have
        fields["before"], fields["after"] = row["did_days_before"], row["did_days_after"]
    return fields


def why(row: Mapping[str, Any], lang: str) -> str:
    """Which method decided the row's verdict and why (:data:`REASONS`), in ``lang``."""
    fields = {k: v[lang] if isinstance(v, dict) else v for k, v in why_fields(row).items()}
    return REASONS[row["why"]](lang).format(**fields)


def say(row: Mapping[str, Any], lang: str) -> str:
    """One sentence on a row of ``fixes``: the verdict with its interval and the method that
    gave it, then both methods' estimates side by side, in ``lang``."""
    word = VERDICTS[str(row["verdict"])](lang)
    if row["verdict"] == "too_early":
        return f"{row['fix']}: {word}"
    pts = "Pkt." if lang == "de" else "pts"

    def est(prefix: str) -> str:
        effect, low, high = (_number(100 * row[f"{prefix}{k}"], lang, f"{s}.1f")
                             for k, s in (("effect", "+"), ("low", "+"), ("high", "+")))
        return f"{effect} {pts}, 95 %: {low} .. {high}"

    by = "nach" if lang == "de" else "by"
    text = f"{row['fix']}: {word} ({est('')}; {by} {METHODS[row['method']](lang)})"
    sides = [(m, f"{m}_") for m in ("its", "did")
             if row.get(f"{m}_verdict") not in ("", "too_early", None)]
    if len(sides) == 2:
        text += "; " + "; ".join(
            f"{METHODS[m](lang)}: {VERDICTS[str(row[f'{m}_verdict'])](lang)} ({est(prefix)})"
            for m, prefix in sides)
    return text


class FixesParams(Params):
    """Watch the fixes (files fixes/<name>.toml, `wegweiser fixes add`): the daily rate at
    each fix's touchpoint before and after, an interrupted time series and a
    difference-in-differences against an untouched group, each with a 95% interval, and the
    verdict worked / no detectable effect / got worse -- by difference-in-differences when
    the fix has a scope (e.g. device=mobile), a comparison group with enough days and
    parallel trends before the fix, else by the time series; which one decided and why."""

    fix: Annotated[str | None, Field(pattern=NAME_PATTERN)] = Field(
        None, description="Only this fix (default: every fix).")


def _compute(inputs: Inputs, p: FixesParams) -> FixResult:
    listed: Callable[[], Mapping[str, Fix]] | None = getattr(inputs, "fixes", None)
    found = dict(listed()) if listed is not None else {}
    if p.fix is not None and p.fix not in found:
        raise InvalidInput(f"no fix {p.fix!r}; saved: {', '.join(found) or 'none yet'}")
    if not found:
        return check_fixes(None, [])  # no journey is read
    journey = inputs.journey()
    touchpoints = None  # the catalogue, built once when a fix names its touchpoint only
    if any(not f.where for f in found.values()):
        from wegweiser.analysis.touchpoint_catalogue import catalogue

        touchpoints = catalogue(inputs.config, journey)
    # every fix, not only the one asked for: a fix's window ends at the next one's date
    fixes = [with_conditions(f, inputs.config, journey, touchpoints=touchpoints)
             for f in found.values()]
    return check_fixes(journey, fixes, only=p.fix, traits=inputs.traits)


def with_conditions(
    fix: Fix, config: Config, journey: ir.Table | None = None,
    *, touchpoints: list[Touchpoint] | None = None,
) -> Fix:
    """``fix`` with its touchpoint's conditions: its own ``where``, else those of the
    catalogue's touchpoint of that name (``touchpoints``: the catalogue, built already; an
    unknown name raises :class:`InvalidInput`)."""
    if fix.where:
        return fix
    from wegweiser.analysis.touchpoint_catalogue import touchpoint_condition

    try:
        where = touchpoint_condition(config, fix.touchpoint, journey, touchpoints=touchpoints)
    except InvalidInput as exc:
        raise InvalidInput(f"fix {fix.name!r} gives no conditions (where), so its touchpoint "
                           f"is looked up in the catalogue: {exc}") from None
    return fix.model_copy(update={"where": where})


ANALYSIS = Analysis(
    name="fix_effects",
    params=FixesParams,
    compute=_compute,
    title=Words("Watch the fix", "Wirkung der Korrekturen"),
    summary=Words("Did a fix at a touchpoint work? Time series and difference-in-differences",
                  "Hat eine Korrektur am Kontaktpunkt gewirkt? Zeitreihe und "
                  "Differenz-von-Differenzen"),
    views={"fixes": "fixes", "daily": "daily"},
    charts=(Chart("line", "daily", x="day", y="rate", color="group", format="percent"),),
    report=True,  # without fixes the section says so (the report skips empty charts)
    scope=False,
)
