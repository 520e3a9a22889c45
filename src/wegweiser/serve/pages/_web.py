"""What every dashboard page shares: templates, the log-in guard, CSRF, flash messages.

* :func:`page_user` (a dependency) lets a request through in open access mode or with a
  logged-in user, and otherwise raises :class:`LoginRequired` (answered with a redirect to
  ``/login``); the role checks are :func:`wegweiser.serve.access.require`.
* :func:`check_csrf` guards every POST form: the form's ``csrf`` field must equal the
  session's token, and an ``Origin`` (or ``Referer``) header, when sent, must name this host.
* :func:`render` renders a template with the layout's context (language, user, navigation,
  flash messages) and the security headers of a page.
"""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from wegweiser import __version__
from wegweiser.present.i18n import Translator
from wegweiser.serve.access import check, context, current_user, principal
from wegweiser.serve.errors import ApiError
from wegweiser.serve.pages._i18n import COOKIE, LANGS, negotiate, words

HERE = Path(__file__).resolve().parent.parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

#: (path, message key) of the navigation, in order
NAV = (
    ("/", "nav.overview"),
    ("/journey-map", "nav.journey_map"),
    ("/funnels", "nav.funnels"),
    ("/paths", "nav.paths"),
    ("/attribution", "nav.attribution"),
    ("/retention", "nav.retention"),
    ("/analyses", "nav.analyses"),
    ("/segments", "nav.segments"),
    ("/persons", "nav.persons"),
    ("/fixes", "nav.fixes"),
    ("/journeys", "nav.journeys"),
    ("/data-quality", "nav.data_quality"),
    ("/settings", "nav.settings"),
    ("/audit", "nav.audit"),
)
#: navigation entries shown only to who has the permission (the pages refuse the others)
NAV_NEEDS = {"/persons": "personal", "/data-quality": "personal", "/settings": "admin",
             "/audit": "admin"}


def _nav(request: Request) -> list[tuple[str, str]]:
    who = principal(request) if has_session(request) else None
    if who is None:
        return list(NAV)
    personal = context(request).config.server.analyst_personal_data
    return [(href, key) for href, key in NAV
            if who.may(NAV_NEEDS.get(href, "view"), analyst_personal_data=personal)]

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def language(request: Request) -> str:
    """``?lang=``, else the language cookie, else ``Accept-Language``."""
    asked = request.query_params.get("lang")
    if asked in LANGS:
        return str(asked)
    remembered = request.cookies.get(COOKIE)
    if remembered in LANGS:
        return str(remembered)
    return negotiate(request.headers.get("accept-language", ""))


def has_session(request: Request) -> bool:
    return "session" in request.scope


def page_user(request: Request) -> str | None:
    """Dependency of every page: the logged-in user (None in open access mode), who may
    ``view`` (every role); pages with more need add ``Depends(require(...))``."""
    who = check(request, "view")
    return None if who.kind == "open" else who.name


def safe_next(target: str | None) -> str:
    """A local path to go to after logging in (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def login_redirect(next_url: str) -> RedirectResponse:
    return RedirectResponse("/login?" + urlencode({"next": safe_next(next_url)}), status_code=303)


# -- CSRF -------------------------------------------------------------------------------------
def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use)."""
    if not has_session(request):
        return ""
    token = request.session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, token: str) -> None:
    """Refuse (403) a form without this session's token or sent from another site."""
    expected = request.session.get("csrf") if has_session(request) else None
    if not isinstance(expected, str) or not hmac.compare_digest(token.encode(), expected.encode()):
        raise ApiError(403, "The form is outdated or was not sent from this dashboard; reload "
                            "the page and try again.", code="csrf_failed")
    source = request.headers.get("origin") or request.headers.get("referer")
    if source is None:
        return
    hosts = {request.headers.get("host"), request.headers.get("x-forwarded-host")} - {None}
    if source == "null" or urlsplit(source).netloc not in hosts:
        raise ApiError(403, "This form was sent from another site; it is only accepted from "
                            "the dashboard itself.", code="csrf_failed")


# -- flash messages ----------------------------------------------------------------------------
def flash(request: Request, kind: str, key: str, **values: Any) -> None:
    """Show the message ``key`` on the next page (kind: ok, error)."""
    notes = list(request.session.get("flash", []))
    notes.append([kind, key, {k: str(v) for k, v in values.items()}])
    request.session["flash"] = notes[-5:]


def _pop_flash(request: Request, say: Translator) -> list[tuple[str, str]]:
    if not has_session(request):
        return []
    notes = request.session.pop("flash", [])
    return [(kind, say(key, **values)) for kind, key, values in notes]


# -- rendering ---------------------------------------------------------------------------------
def lang_url(request: Request, lang: str) -> str:
    """The current page in another language."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return request.url.path + "?" + urlencode([*query, ("lang", lang)])


R = TypeVar("R", bound=Response)


def page_headers(response: R) -> R:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def render(
    request: Request, template: str, *, status: int = 200, currency: str = "EUR", **values: Any
) -> HTMLResponse:
    """Render ``template`` inside the layout, in the request's language."""
    ctx = context(request)
    lang = language(request)
    say = words(lang, currency)
    user = current_user(request) if has_session(request) else None
    values.setdefault("bare", False)
    html = env.get_template(template).render(
        request=request,
        path=request.url.path,
        lang=lang,
        t=say,
        nav=_nav(request),
        user=user,
        open_access=ctx.open_access,
        project_name=ctx.config.name,
        csrf=csrf_token(request),
        flashes=_pop_flash(request, say),
        lang_url=lambda other: lang_url(request, other),
        version=__version__,
        plotly_url=f"/assets/plotly-{plotly_version()}.min.js",
        **values,
    )
    response = HTMLResponse(html, status_code=status)
    if request.query_params.get("lang") in LANGS:
        response.set_cookie(COOKIE, lang, max_age=365 * 86400, samesite="lax", httponly=True)
    return page_headers(response)


def plotly_version() -> str:
    import plotly

    return str(plotly.__version__)


# -- query parameters ----------------------------------------------------------------------------
def choice(request: Request, name: str, allowed: tuple[str, ...], default: str) -> str:
    """Query parameter ``name`` when it is one of ``allowed``, else ``default``."""
    value = request.query_params.get(name)
    return value if value in allowed else default


def integer(request: Request, name: str, default: int, low: int, high: int) -> int:
    """Query parameter ``name`` as an integer clipped to ``low..high`` (``default`` if absent
    or unreadable)."""
    try:
        value = int(request.query_params.get(name, default))
    except ValueError:
        return default
    return max(low, min(high, value))


def text(request: Request, name: str, *, limit: int = 200) -> str:
    """Query parameter ``name``, trimmed ("" when absent)."""
    return request.query_params.get(name, "").strip()[:limit]
