"""``wegweiser retention``: cohorts, churn and lifecycle states."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from wegweiser._output import Format
from wegweiser.commands._common import FormatOpt, ProjectOpt, rounded, show, split_list


class CohortBy(StrEnum):
    first_event = "first_event"
    first_purchase = "first_purchase"


class PeriodUnit(StrEnum):
    day = "day"
    week = "week"
    month = "month"


class RetentionKind(StrEnum):
    n_period = "n_period"
    unbounded = "unbounded"


class RetentionView(StrEnum):
    cohorts = "cohorts"
    churn = "churn"
    lifecycle = "lifecycle"


def register(app: typer.Typer) -> None:
    @app.command("retention")
    def retention_command(
        project: ProjectOpt = Path("."),
        cohort: Annotated[
            CohortBy, typer.Option(help="Cohort by the period of the first event or purchase.")
        ] = CohortBy.first_event,
        period: Annotated[
            PeriodUnit, typer.Option(help="Calendar periods in UTC; weeks start on Monday.")
        ] = PeriodUnit.week,
        kind: Annotated[
            RetentionKind,
            typer.Option(help="n_period: active in period k; unbounded: in k or later."),
        ] = RetentionKind.n_period,
        return_event: Annotated[
            str | None,
            typer.Option(help="Events that count as coming back, comma-separated "
                              "(default: any event)."),
        ] = None,
        max_periods: Annotated[
            int, typer.Option(min=0, help="Show periods 0..N after the cohort period.")
        ] = 12,
        view: Annotated[
            RetentionView, typer.Option(help="What to show.")
        ] = RetentionView.cohorts,
        fmt: FormatOpt = Format.table,
    ) -> None:
        """Retention by cohort, churn per period, lifecycle states per period.

        Cohort: the calendar period (UTC; weeks from Monday) of a person's first event, or
        first conversion. Period 0 is the cohort period and keeps the whole cohort; a person
        is active in a later period with any event (or a --return-event) in it. Periods
        after the last event are not shown; the last one may be partial. Lifecycle: new
        (cohort period), returning (active now and in the previous period), resurrecting
        (active now, not in the previous period), dormant (active in the previous period,
        not now). Churn: dormant / active in the previous period.
        """
        from wegweiser.analysis.retention import retention
        from wegweiser.project import open_project

        returns = split_list(return_event) or None
        with open_project(project) as proj:
            result = retention(
                proj.journey(), cohort_by=cohort.value, period=period.value,
                kind=kind.value, return_event=returns, max_periods=max_periods,
            )
        show(rounded(result, fmt), fmt, table=view.value)
