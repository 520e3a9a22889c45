"""Loops ranked as pain points (definitions in :mod:`wegweiser.analysis.dropoffs`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis
import numpy as np
import pandas as pd

from wegweiser.analysis.result import to_frame

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from wegweiser.config import Phase

BY_COLUMNS = ("device", "channel", "platform", "country", "source", "medium", "campaign")
COLUMNS = ["event", "phase", "persons", "sessions", "rate_affected", "baseline_persons",
           "rate_baseline", "lift", "score", "rank"]
_ALL = "(any phase)"  # baseline scope of events without a phase: every person


def loop_table(journey: ir.Table, phases: list[Phase], *, by: str | None = None) -> pd.DataFrame:
    """One row per looped event (and ``by`` value), ranked by ``score``."""
    return _rank(to_frame(_loops(journey, by)), by)


def _loops(journey: ir.Table, by: str | None) -> ir.Table:
    # two different projections of the journey: a shared one would become a CTE that the
    # engine materialises in full
    key = journey[by].cast("string").fill_null("(none)") if by else ibis.literal("")
    s = journey.select("person_id", "event", "session", "phase", key=key)
    per_session = s.group_by("person_id", "key", "event", "session").agg(
        n=s.count(), phase=s.phase.max()
    )
    looped = per_session.filter(per_session.n >= 2)
    affected = looped.group_by("person_id", "key", "event").agg(
        s0=looped.session.min(), sessions=looped.count(), phase=looped.phase.max()
    )
    affected = affected.mutate(scope=affected.phase.fill_null(_ALL))

    j = journey.select("person_id", "phase", "session", "is_conversion", key=key)
    first = j.group_by("person_id", "key", "phase").agg(
        s_base=j.session.min(), conv=j.session.max(where=j.is_conversion)
    )
    last_conv = first.group_by(cid=first.person_id).agg(conv=first.conv.max())
    in_phase = first.filter(first.phase.notnull())
    base = ibis.union(
        in_phase.select("person_id", "key", scope=in_phase.phase, s_base=in_phase.s_base),
        first.group_by("person_id", "key").agg(scope=ibis.literal(_ALL),
                                               s_base=first.s_base.min()),
        distinct=False,
    )
    base = base.left_join(last_conv, base.person_id == last_conv.cid).drop("cid")
    scopes = base.group_by("key", "scope").agg(
        n=base.count(), c=ibis.ifelse(base.conv >= base.s_base, 1, 0).sum()
    )

    both = affected.join(
        base,
        (affected.person_id == base.person_id)
        & (affected.key == base.key)
        & (affected.scope == base.scope),
    )
    per_event = both.group_by("key", "event").agg(
        scope=both.scope.max(),
        phase=both.phase.max(),
        persons=both.count(),
        sessions=both.sessions.sum(),
        conv_affected=ibis.ifelse(both.conv >= both.s0, 1, 0).sum(),
        conv_affected_base=ibis.ifelse(both.conv >= both.s_base, 1, 0).sum(),
    )
    return per_event.join(
        scopes, (per_event.key == scopes.key) & (per_event.scope == scopes.scope)
    ).select(per_event, scopes.n, scopes.c)


def _rank(frame: pd.DataFrame, by: str | None) -> pd.DataFrame:
    columns = ([by] if by else []) + COLUMNS
    if frame.empty:
        return pd.DataFrame(columns=columns)
    frame = frame.rename(columns={"key": by}) if by else frame
    frame["rate_affected"] = (frame["conv_affected"] / frame["persons"]).round(4)
    frame["baseline_persons"] = (frame["n"] - frame["persons"]).astype("int64")
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = (frame["c"] - frame["conv_affected_base"]) / frame["baseline_persons"]
    frame["rate_baseline"] = rate.where(frame["baseline_persons"] > 0).round(4)
    frame["lift"] = (frame["rate_affected"] - frame["rate_baseline"]).round(4)
    frame["score"] = (frame["persons"] * (-frame["lift"]).clip(lower=0)).fillna(0.0).round(2)
    sort = ["score", "persons", "event"] + ([by] if by else [])
    frame = frame.sort_values(sort, ascending=[False, False, True] + ([True] if by else []))
    frame["rank"] = np.arange(1, len(frame) + 1)
    for col in ("persons", "sessions"):
        frame[col] = frame[col].astype("int64")
    return frame.reset_index(drop=True)[columns]
