"""Pain points: friction signals ranked by the conversions they cost (internal; definitions
in :mod:`wegweiser.analysis.touchpoints`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from wegweiser.analysis._touchpoint_effects import att
from wegweiser.analysis._touchpoint_persons import is_error
from wegweiser.analysis._touchpoint_scores import covariates

if TYPE_CHECKING:
    from collections.abc import Mapping

#: fewest affected persons for a friction signal
MIN_AFFECTED = 5
#: a loop whose persons are at least this share of an error's persons is folded into it
FOLD_SHARE = 0.5

PAINS = [
    "rank", "signal", "event", "device", "step", "persons", "at_risk", "conversion_affected",
    "conversion_comparable", "naive_gap", "gap", "gap_low", "gap_high", "naive_lost",
    "lost_conversions", "lost_low", "lost_high", "lost_revenue", "folded",
]


def _signals(events: pd.DataFrame, steps: Mapping[str, str | None]
             ) -> list[tuple[str, str, str, str | None, set[str], set[str]]]:
    """(kind, event, device, step, affected persons, at-risk persons) per friction signal."""
    present: dict[tuple[str, str], set[str]] = {}
    looped: dict[tuple[str, str], set[str]] = {}
    for (event, device), group in events.groupby(["event", "device"], sort=True):
        present[(str(event), str(device))] = set(group["person_id"])
        looped[(str(event), str(device))] = set(group.loc[group["looped"], "person_id"])
    out: list[tuple[str, str, str, str | None, set[str], set[str]]] = []
    for (event, device), persons in present.items():
        if is_error(event):
            step = steps.get(event)
            risk = persons | (present.get((step, device), set()) if step else set())
            out.append(("error", event, device, step, persons, risk))
        elif looped[(event, device)]:
            out.append(("loop", event, device, event, looped[(event, device)], persons))
    return out


def pain_points(
    frame: pd.DataFrame, events: pd.DataFrame, steps: Mapping[str, str | None], *,
    resamples: int, seed: int,
) -> pd.DataFrame:
    """Friction signals ranked by the lower bound of their lost conversions."""
    x_all = covariates(frame)
    index = pd.Series(np.arange(len(frame)), index=frame["person_id"])
    y_all = frame["converted"].to_numpy(bool)
    revenue = frame["revenue"].to_numpy(float)
    signals = _signals(events, steps)
    errors = [s for s in signals if s[0] == "error"]
    # the other errors a person met (any device) are adjusted for: they co-occur with this
    # one and cost conversions of their own
    ids = frame["person_id"].to_numpy()
    flags = {str(e): np.isin(ids, group["person_id"].to_numpy()).astype(float)
             for e, group in events.groupby("event", sort=True) if is_error(str(e))}
    rows: list[dict[str, Any]] = []
    for n, (kind, event, device, step, affected, risk) in enumerate(signals):
        if len(affected) < MIN_AFFECTED:
            continue
        folded = ""
        if kind == "loop":
            host = [e for e in errors if e[2] == device
                    and len(affected & e[4]) >= FOLD_SHARE * len(affected)]
            if host:
                continue
        else:
            loops = [s[1] for s in signals if s[0] == "loop" and s[2] == device
                     and len(s[4]) >= MIN_AFFECTED
                     and len(s[4] & affected) >= FOLD_SHARE * len(s[4])]
            folded = ", ".join(sorted(loops))
        rows_at = index.reindex(sorted(risk)).dropna().to_numpy(int)
        treated = np.isin(frame["person_id"].to_numpy()[rows_at], list(affected))
        others = [flags[e] for e in flags if e != event]
        x = np.column_stack([x_all, *others]) if others else x_all
        effect = att(x[rows_at], treated, y_all[rows_at], resamples=resamples,
                     seed=seed + n)
        converted = y_all[rows_at] & ~treated
        value = float(revenue[rows_at][converted].mean()) if converted.any() else 0.0
        persons = effect.exposed
        gap = -effect.difference
        rows.append({
            "signal": kind, "event": event, "device": device, "step": step,
            "persons": persons, "at_risk": len(rows_at),
            "conversion_affected": effect.rate_exposed,
            "conversion_comparable": effect.rate_without,
            "naive_gap": -effect.naive_difference, "gap": gap,
            "gap_low": -effect.difference_high, "gap_high": -effect.difference_low,
            "naive_lost": persons * -effect.naive_difference,
            "lost_conversions": persons * gap,
            "lost_low": persons * -effect.difference_high,
            "lost_high": persons * -effect.difference_low,
            "lost_revenue": persons * gap * value, "folded": folded,
        })
    out = pd.DataFrame(rows, columns=PAINS[1:])
    out = out[out["gap"].notna()]
    out = out.sort_values(["lost_low", "lost_conversions", "event", "device"],
                          ascending=[False, False, True, True], kind="stable")
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out.reset_index(drop=True)
