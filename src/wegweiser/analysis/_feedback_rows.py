"""Feedback as rows: survey answers and reviews from the journey, linked to a touchpoint.

Definitions (the settings are ``[feedback]`` in wegweiser.toml, :class:`FeedbackConfig`):

* A **feedback row** is an event named in ``feedback.events`` (a survey answer) or in
  ``feedback.review_events`` (a review). Its person is the journey's stitched ``person_id``:
  an answer given under any id of the person belongs to the person.
* ``kind``: for survey answers the ``kind_property`` (``nps``, ``csat``, ``ces`` or a custom
  question's name; trimmed, lower case), for reviews ``review``. ``score``: the
  ``score_property`` (reviews: ``rating_property``) as a number; on the known scales (NPS
  0-10, CSAT 1-5, CES 1-7, review 1-5) a score outside the scale is NULL and ``valid`` is
  False, so it counts nowhere. ``text``: the comment (reviews: ``review_text_property``),
  NULL when blank. ``question`` and ``source``: the properties of those names.
* The **touchpoint** the feedback is about is explicit when the event names it
  (``touchpoint_property``, e.g. ``about_event``, and ``touchpoint_channel_property``);
  otherwise it is the person's **last touchpoint before it**: their latest earlier event
  in the journey (by ``seq``) that is not itself feedback; none when there is none.
  ``touchpoint_channel`` is the explicit channel, else that event's channel; ``device``
  is that event's device (with an explicit touchpoint: the feedback event's own device).
  ``explicit`` says which rule applied.
* The **phase** is the phase the touchpoint's event maps to; when it maps to none, the phase
  of the last earlier event that has one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis

from wegweiser.analysis.filters import property_value as property_text
from wegweiser.analysis.filters import trimmed
from wegweiser.analysis.phases import phase_of
from wegweiser.config import FeedbackConfig

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from wegweiser.analysis.registry import Inputs
    from wegweiser.config import Config

SCALES: dict[str, tuple[float, float]] = {
    "nps": (0.0, 10.0),
    "csat": (1.0, 5.0),
    "ces": (1.0, 7.0),
    "review": (1.0, 5.0),
}
FEEDBACK_COLUMNS = (
    "person_id",
    "timestamp",
    "seq",
    "message_id",
    "kind",
    "score",
    "valid",
    "text",
    "question",
    "source",
    "touchpoint",
    "touchpoint_channel",
    "device",
    "explicit",
    "phase",
)


def feedback_rows(journey: ir.Table, config: Config, *, linked: bool = False) -> ir.Table:
    """The feedback rows of ``journey`` with the columns :data:`FEEDBACK_COLUMNS`; with
    ``linked`` also ``touchpoint_seq``: the ``seq`` of the touchpoint's event in the journey
    (the last touchpoint before it; NULL for an explicit touchpoint or none)."""
    fb = config.feedback if config.feedback is not None else FeedbackConfig()
    survey_events, review_events = list(fb.events), list(fb.review_events)
    names = survey_events + review_events
    is_feedback = journey.event.isin(names) if names else ibis.literal(False)
    j = journey.mutate(_fb=is_feedback)
    running = ibis.window(group_by="person_id", order_by=["seq"], preceding=None, following=0)
    j = j.mutate(
        _touch_seq=ibis.ifelse(j._fb, ibis.null().cast("int64"), j.seq).max().over(running),
        _phase_seq=ibis.ifelse(j.phase.notnull() & ~j._fb, j.seq, ibis.null().cast("int64"))
        .max()
        .over(running),
    )
    rows = j.filter(j._fb)
    review = rows.event.isin(review_events) if review_events else ibis.literal(False)
    props = rows.properties
    kind = ibis.ifelse(review, "review", trimmed(property_text(props, fb.kind_property)).lower())
    raw_score = ibis.ifelse(
        review, property_text(props, fb.rating_property), property_text(props, fb.score_property)
    ).try_cast("float64")
    text = trimmed(ibis.ifelse(
        review,
        property_text(props, fb.review_text_property),
        property_text(props, fb.text_property),
    ))
    rows = rows.mutate(
        kind=kind,
        _score=raw_score,
        text=ibis.ifelse(text == "", ibis.null(), text),
        question=property_text(props, fb.question_property),
        source=property_text(props, fb.source_property),
        _about=trimmed(property_text(props, fb.touchpoint_property)),
        _about_channel=trimmed(property_text(props, fb.touchpoint_channel_property)),
    )
    in_scale = ibis.cases(
        *[
            ((rows.kind == k) & rows._score.notnull(), (rows._score >= lo) & (rows._score <= hi))
            for k, (lo, hi) in SCALES.items()
        ],
        else_=ibis.literal(True),
    )
    rows = rows.mutate(valid=in_scale.fill_null(False))
    rows = rows.mutate(score=ibis.ifelse(rows.valid, rows._score, ibis.null().cast("float64")))
    last = journey.select(
        _lp=journey.person_id,
        _ls=journey.seq,
        _last_event=journey.event,
        _last_channel=journey.channel,
        _last_device=journey.device,
    )
    rows = rows.left_join(last, (rows.person_id == last._lp) & (rows._touch_seq == last._ls)).drop(
        "_lp", "_ls"
    )
    phased = journey.select(_pp=journey.person_id, _ps=journey.seq, _last_phase=journey.phase)
    rows = rows.left_join(
        phased, (rows.person_id == phased._pp) & (rows._phase_seq == phased._ps)
    ).drop("_pp", "_ps")
    explicit = rows._about.notnull() & (rows._about != "")
    touchpoint = ibis.ifelse(explicit, rows._about, rows._last_event)
    has_channel = rows._about_channel.notnull() & (rows._about_channel != "")
    touch_channel = ibis.ifelse(
        explicit & has_channel,
        rows._about_channel,
        ibis.ifelse(explicit, ibis.null().cast("string"), rows._last_channel),
    )
    rows = rows.mutate(
        touchpoint=touchpoint,
        touchpoint_channel=touch_channel,
        explicit=explicit,
        device=ibis.ifelse(explicit, rows.device, rows._last_device),
    )
    rows = rows.mutate(
        phase=phase_of(rows.touchpoint, list(config.phases)).coalesce(rows._last_phase)
    )
    if linked:
        rows = rows.mutate(touchpoint_seq=ibis.ifelse(
            rows.explicit, ibis.null().cast("int64"), rows._touch_seq))
    return rows.select(*FEEDBACK_COLUMNS, *(["touchpoint_seq"] if linked else []))


def scoped_feedback_rows(inputs: Inputs, *, linked: bool = False) -> ir.Table:
    """The feedback rows in the inputs' scope, each linked to its touchpoint and phase in the
    whole journey: a range or filter keeps the answers, not the touchpoints they are about
    (an answer just after ``since``, or kept by ``property:survey=nps``, is still about the
    event before it). With ``linked``, ``touchpoint_seq`` is a position in the whole journey
    (``inputs.whole_journey()`` when the scope restricts it, else ``inputs.journey()``)."""
    journey = inputs.journey()
    whole = getattr(inputs, "whole_journey", None)
    unscoped = whole() if callable(whole) else None
    if unscoped is None:
        return feedback_rows(journey, inputs.config, linked=linked)
    rows = feedback_rows(unscoped, inputs.config, linked=linked)
    return rows.semi_join(journey.select("person_id", "message_id"),
                          ["person_id", "message_id"])
