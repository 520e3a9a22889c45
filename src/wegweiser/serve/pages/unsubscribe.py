"""The unsubscribe link of every journey message: ``/u/<token>`` (public, no log-in).

The token is signed (:mod:`wegweiser.orchestrate.unsubscribe`): it names a person and a
channel and cannot be forged or changed. ``GET`` only shows a button (mail scanners open
links, and that must not unsubscribe anyone); ``POST`` unsubscribes -- the button, or a mail
client's one-click request (RFC 8058, ``List-Unsubscribe=One-Click``). A bad token is a 404
that says nothing about anyone.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from wegweiser.serve.access import context
from wegweiser.serve.errors import ApiError
from wegweiser.serve.pages._web import render

if TYPE_CHECKING:
    from wegweiser.orchestrate.state import StateStore

router = APIRouter(include_in_schema=False)


def _person_and_channel(request: Request, token: str) -> tuple[str, str, StateStore]:
    from wegweiser.orchestrate.assembly import state_target
    from wegweiser.orchestrate.loading import JOURNEYS_DIR, load_delivery
    from wegweiser.orchestrate.state import open_state
    from wegweiser.orchestrate.unsubscribe import check_token, project_secret

    folder = context(request).project_dir
    store = open_state(state_target(folder), project_dir=folder)
    found = check_token(project_secret(store, load_delivery(folder / JOURNEYS_DIR)), token)
    if found is None:
        store.close()
        raise ApiError(404, "This unsubscribe link is not valid.", code="not_found")
    return found[0], found[1], store


@router.get("/u/{token}", response_class=HTMLResponse)
def unsubscribe_page(request: Request, token: str) -> HTMLResponse:
    _, channel, store = _person_and_channel(request, token)
    store.close()
    return render(request, "unsubscribe.html.j2", title_key="unsubscribe.title", bare=True,
                  channel=channel, token=token, done=False)


@router.post("/u/{token}", response_class=HTMLResponse)
def unsubscribe(request: Request, token: str) -> HTMLResponse:
    from wegweiser.orchestrate.operations import unsubscribe as record

    person, channel, store = _person_and_channel(request, token)
    with store:
        record(store, person, channel, now=time.time())
    return render(request, "unsubscribe.html.j2", title_key="unsubscribe.title", bare=True,
                  channel=channel, token=token, done=True)
