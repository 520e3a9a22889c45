"""The open pixel and the click redirect of journey emails: ``/o/<token>``, ``/c/<token>``
(public, no log-in).

The tokens are signed (:mod:`wegweiser.orchestrate.tracking`): one names a message (its
ledger key), the person and the variant, a click token also the link it stands for. The
pixel is a 1x1 GIF that no one may cache (each opening asks again); the click is a 302 to
the link signed into the token, and only to it -- a changed token, one signed with another
project's key, or an unsubscribe token is a 404 that redirects nowhere. What they count goes
into the outbox of the state store (``message_opened``, ``message_clicked``); the worker
imports it into the store.
"""

from __future__ import annotations

import base64
import time

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from wegweiser.serve.access import context
from wegweiser.serve.errors import ApiError

router = APIRouter(include_in_schema=False)

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
"""A transparent 1x1 GIF (42 bytes)."""
NO_CACHE = {
    "Cache-Control": "no-store, no-cache, must-revalidate, max-age=0, private",
    "Pragma": "no-cache",
    "Expires": "0",
    "Referrer-Policy": "no-referrer",
}


def _count(request: Request, token: str, kind: str) -> str | None:
    """Check ``token`` (a 404 unless it is a valid ``kind`` token) and record it; returns
    the link of a click token."""
    from wegweiser.orchestrate.assembly import state_target
    from wegweiser.orchestrate.loading import JOURNEYS_DIR, load_delivery
    from wegweiser.orchestrate.state import open_state
    from wegweiser.orchestrate.tracking import check_token, record
    from wegweiser.orchestrate.unsubscribe import project_secret

    folder = context(request).project_dir
    with open_state(state_target(folder), project_dir=folder) as store:
        tracked = check_token(project_secret(store, load_delivery(folder / JOURNEYS_DIR)),
                              token)
        if tracked is None or tracked.kind != kind:
            raise ApiError(404, "This link is not valid.", code="not_found")
        record(store, tracked, now=time.time())
    return tracked.url


@router.get("/o/{token}")
def opened(request: Request, token: str) -> Response:
    _count(request, token, "open")
    return Response(PIXEL, media_type="image/gif", headers=NO_CACHE)


@router.get("/c/{token}")
def clicked(request: Request, token: str) -> Response:
    url = _count(request, token, "click")
    assert url is not None  # a click token always names its link
    return RedirectResponse(url, status_code=302, headers=NO_CACHE)
