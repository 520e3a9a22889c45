"""The report's journey readouts: a subsection for the section "Journeys".

:func:`readout_blocks` turns journey readouts (:class:`~wegweiser.orchestrate.readouts.
JourneyReadout`, the global control group's among them) into report blocks -- a subtitle, an
intro, one table of uplifts with their always-valid intervals, and one of the send-time
experiment when there is one; :func:`gather_readouts` computes them for a project. Every
word comes from :mod:`wegweiser.present.i18n`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from wegweiser.present.i18n import DASH, money, number, percent, t

if TYPE_CHECKING:
    from collections.abc import Sequence

    from wegweiser.orchestrate.readouts import JourneyReadout
    from wegweiser.project import Project

__all__ = ["gather_readouts", "readout_blocks"]

Block = dict[str, Any]


def gather_readouts(project: Project, *, window: timedelta = timedelta(days=14)
                    ) -> list[JourneyReadout]:
    """The readout of every journey in ``journeys/`` that has entrants, then the global
    control group's (none without journeys or entrants)."""
    from wegweiser.orchestrate.assembly import state_target
    from wegweiser.orchestrate.loading import JOURNEYS_DIR, load_journeys
    from wegweiser.orchestrate.operations import status
    from wegweiser.orchestrate.readouts import project_readout
    from wegweiser.orchestrate.state import open_state

    folder = project.path / JOURNEYS_DIR
    if not folder.is_dir():
        return []
    names = [j.name for j in load_journeys(folder, phases=project.config.phase_names)[0]]
    with open_state(state_target(project.path), project_dir=project.path) as store:
        entered = [r["journey"] for r in status(store, names) if r["in_files"]
                   and r["entrants"]]
    out = [project_readout(project, name, window=window) for name in entered]
    if out:
        out.append(project_readout(project, control_group=True, window=window))
    return out


def _value(value: Any, metric: str, lang: str, currency: str, *, sign: bool = False) -> str:
    if value is None or value != value:
        return DASH
    if metric in ("conversion", "open_rate", "click_rate"):
        if sign:  # a difference of two rates: percentage points, not a relative change
            return t("readout.points", lang, value=number(100 * value, lang, 1, sign=True))
        return percent(value, lang)
    return money(value, lang, currency) if not sign else number(value, lang, 2, sign=True)


def readout_blocks(readouts: Sequence[JourneyReadout], lang: str, *, currency: str = "EUR",
                   days: int = 14) -> list[Block]:
    """The subsection's blocks (see the module docstring)."""
    blocks: list[Block] = [{"kind": "subtitle", "text": t("readout.title", lang)},
                           {"kind": "text", "text": t("readout.intro", lang, days=days)}]
    rows, send_rows = [], []
    for readout in readouts:
        for r in readout.summary.to_dict("records"):
            metric = str(r["metric"])
            journey = (t("readout.control_group", lang) if r["variant"] == "control_group"
                       else str(r["journey"]))
            variant = "" if r["variant"] in ("(all)", "control_group") else str(r["variant"])
            interval = (f"{_value(r['low'], metric, lang, currency, sign=True)} … "
                        f"{_value(r['high'], metric, lang, currency, sign=True)}")
            rows.append([journey, variant, t(f"readout.metric.{metric}", lang),
                         number(r["treated"], lang), number(r["holdout"], lang),
                         _value(r["treated_value"], metric, lang, currency),
                         _value(r["holdout_value"], metric, lang, currency),
                         _value(r["uplift"], metric, lang, currency, sign=True), interval,
                         t(f"readout.decision.{r['decision']}", lang)])
        for r in readout.send_time.to_dict("records"):
            metric = str(r["metric"])
            send_rows.append([str(r["journey"]), t(f"readout.metric.{metric}", lang),
                              _value(r["best_time_value"], metric, lang, currency),
                              _value(r["fallback_value"], metric, lang, currency),
                              _value(r["lift"], metric, lang, currency, sign=True),
                              f"{_value(r['low'], metric, lang, currency, sign=True)} … "
                              f"{_value(r['high'], metric, lang, currency, sign=True)}",
                              t(f"readout.decision.{r['decision']}", lang)])
    if not rows:
        return [*blocks, {"kind": "note", "text": t("readout.none", lang)}]
    cols = ("journey", "variant", "metric", "treated", "holdout", "treated_value",
            "holdout_value", "uplift", "interval", "decision")
    blocks.append({"kind": "table", "headers": [t(f"readout.col.{c}", lang) for c in cols],
                   "rows": rows, "align": list("lllrrrrrrl")})
    if send_rows:
        send_cols = ("journey", "metric", "best_time", "fallback", "uplift", "interval",
                     "decision")
        blocks += [{"kind": "subtitle", "text": t("readout.send_time", lang)},
                   {"kind": "table",
                    "headers": [t(f"readout.col.{c}", lang) for c in send_cols],
                    "rows": send_rows, "align": list("llrrrrl")}]
    return blocks
