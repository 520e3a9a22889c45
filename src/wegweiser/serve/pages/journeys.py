"""The journeys page: each journey's state, entrants, runs and messages, and the ledger's
``unknown`` rows (sends a crash left undecided, which are never resent automatically and
wait for the operator). The numbers come from the query API's read-outs."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from wegweiser.errors import WegweiserError
from wegweiser.serve.access import context
from wegweiser.serve.pages import _data
from wegweiser.serve.pages._web import language, page_user, render
from wegweiser.serve.pages.export import links

router = APIRouter(include_in_schema=False, dependencies=[Depends(page_user)])

#: the status columns shown, in order
SHOWN = ("journey", "paused", "entrants", "active", "done", "exited", "parked", "deferred",
         "msg_sent", "msg_unknown", "msg_failed", "msg_suppressed")
#: the per-step columns after journey, step, channel and variant
STEP_SHOWN = ("sent", "opened", "clicked", "clicks", "open_rate", "click_rate")


@router.get("/journeys", response_class=HTMLResponse)
def journeys_page(request: Request) -> HTMLResponse:
    error = None
    status, unknown, steps, readout = [], [], [], []
    try:
        status, unknown, steps = context(request).query(_data.journeys)
        readout = readout_block(request)
    except WegweiserError as exc:  # a broken journey file: say which and where
        error = str(exc)
    rows = [{c: r.get(c) for c in SHOWN} for r in status]
    return render(request, "journeys.html.j2", title_key="nav.journeys", rows=rows,
                  columns=SHOWN, unknown=unknown, error=error, steps=steps,
                  step_columns=STEP_SHOWN, export=links("journeys", {}),
                  steps_export=links("journey_steps", {}),
                  unknown_export=links("journey_ledger", {"state": "unknown"}),
                  readout=readout)


def readout_block(request: Request) -> list[dict[str, object]]:
    """The rows of the readout partial (``_journey_readout.html.j2``): per journey and the
    global control group, the uplift against the holdout with its always-valid interval."""
    return [{str(k): v for k, v in r.items()}
            for r in context(request).query(_data.journey_readouts)]


@router.get("/journeys/{name}", response_class=HTMLResponse)
def journey_page(request: Request, name: str) -> HTMLResponse:
    """One journey: its flow (runs per step and edge; a dry run when it never ran), its
    readout and the latest rows of its ledger."""
    data = context(request).query(_data.journey_page, name, language(request))
    return render(request, "journey.html.j2", title_key="nav.journeys", **data,
                  ledger_export=links("journey_ledger", {"journey": name}),
                  flow_export=links("journey_flow", {"journey": name}))
