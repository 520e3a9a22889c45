"""Message templates: Jinja2 in a sandbox, one version per language (``de``, ``en``).

A template sees ``person`` (``person.traits``, ``person.phase``, ``person.person_id``),
``traits`` (the same traits, shorter), ``scores`` (the stored predicted scores by model,
e.g. ``scores.churn``; ``wegweiser scores refit``), ``recommendations`` (the person's
stored next-best offers, best first, also ``person.recommendations``: each ``item``,
``category`` (None when unknown), ``score`` and ``rank``, e.g. ``recommendations[0].item``;
an empty list when there are none), ``links`` (``unsubscribe`` and whatever
the delivery settings add), ``journey``, ``step`` and ``variant``. Undefined names are errors, never
empty text; the sandbox refuses attribute access to Python internals.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from wegweiser.orchestrate.errors import Terminal

if TYPE_CHECKING:
    from collections.abc import Mapping

    from jinja2 import Template

_TEXT = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
_HTML = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=True)


def check(source: str, *, html: bool = False) -> tuple[int | None, str] | None:
    """``None`` if ``source`` compiles, else ``(line, message)`` of the first syntax error."""
    try:
        (_HTML if html else _TEXT).from_string(source)
    except TemplateError as exc:
        return getattr(exc, "lineno", None), f"template error: {exc}"
    return None


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str | None


@functools.lru_cache(maxsize=512)
def _compile(source: str, *, html: bool) -> Template:
    return (_HTML if html else _TEXT).from_string(source)


def _render(template: Template, variables: dict[str, Any]) -> str:
    """``template.render(variables)`` without its two copies of the variables and of the
    environment's globals per call (``variables`` must hold them already: made once per
    message by :func:`_variables`): ``Template.render`` is ``concat(root_render_func(
    new_context(...)))``, here with ``shared=True``. The test pins the output to
    ``Template.render``'s."""
    context = template.new_context(variables, shared=True)
    return template.environment.concat(template.root_render_func(context))


def _variables(context: Mapping[str, Any]) -> dict[str, Any]:
    return {**_TEXT.globals, **context}  # both environments have the default globals


def render(
    subject: str, text: str, html: str | None, context: Mapping[str, Any]
) -> Rendered:
    """Render the three parts; a failure is :class:`Terminal` (the same input fails again)."""
    variables = _variables(context)
    try:
        return Rendered(
            subject=_render(_compile(subject, html=False), variables).strip(),
            text=_render(_compile(text, html=False), variables),
            html=None if html is None else _render(_compile(html, html=True), variables),
        )
    except TemplateError as exc:
        raise Terminal(f"template error: {type(exc).__name__}: {exc}") from exc
    except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
        raise Terminal(f"template error: {type(exc).__name__}: {exc}") from exc


def render_value(value: Any, context: Mapping[str, Any]) -> Any:
    """Render every string inside a payload (dicts and lists walked) as a text template; a
    string without ``{`` is no template and stays as it is."""
    variables: dict[str, Any] | None = None

    def walk(value: Any) -> Any:
        nonlocal variables
        if isinstance(value, str):
            if "{" not in value:
                return value
            if variables is None:
                variables = _variables(context)
            try:
                return _render(_compile(value, html=False), variables)
            except (TemplateError, TypeError, ValueError, ArithmeticError, LookupError) as exc:
                raise Terminal(f"template error: {type(exc).__name__}: {exc}") from exc
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return walk(value)
