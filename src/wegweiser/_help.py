r"""Help texts as a terminal shows them: flowing paragraphs, literal brackets, no doc markup.

The help of a command is its docstring (or the parameter model's, for an analysis), written
hard-wrapped and for Python readers. Typer's "rich" markup mode keeps the line breaks of every
paragraph after the first (``journeys through six phases,`` then a broken line), shows
``code`` and :mod:`roles` as typed, and reads ``[retention]`` or ``[default: 10]`` as a
style tag and drops it. :func:`flow` turns such a text into Rich markup that shows what was
meant: the lines of a paragraph joined (the terminal wraps them; list items and ``\b``
paragraphs keep their lines), code spans in bold, roles and field lists (``:param x:``) gone,
every bracket literal. :func:`tidy` applies it once to a command tree's help, short help and
option help (:class:`HelpGroup` does that for the whole ``wegweiser`` tree as Typer builds it;
help texts are therefore written as plain text, never with Rich markup or escapes).

>>> print(flow("Delete events older than\n  ``[retention] events_days``.\n\nSee :mod:`x.y`."))
Delete events older than [bold]\[retention] events_days[/bold].
<BLANKLINE>
See [bold]x.y[/bold].
"""

from __future__ import annotations

import inspect
import re
from typing import TYPE_CHECKING, Any

from typer.core import TyperGroup

if TYPE_CHECKING:
    from typer._click.core import Command

#: a list item starts its own line: "- x", "* x", "1. x", "2) x"
_ITEM = re.compile(r"\s*(?:[-*\u2022]|\d+[.)])\s")
#: an RST field list line (``:param x: ...``, ``:returns: ...``): not for the terminal
_FIELD = re.compile(
    r"\s*:(?:param|parameter|arg|argument|key|keyword|type|returns?|rtype|"
    r"raises?|except|exception|var|ivar|cvar|meta)\b[^:]*:"
)
#: ``code``, `code`, :role:`code` (with ~ for "last part only")
_CODE = re.compile(r"(?::[\w:.-]+:)?``([^\n]+?)``|(?::[\w:.-]+:)?`([^`\n]+)`")


def flow(text: str | None) -> str:
    """``text`` (plain, hard-wrapped, maybe with ``code``) as Rich markup: paragraphs of
    joined lines, code in bold, brackets escaped (see the module docstring)."""
    if not text:
        return ""
    body = inspect.cleandoc(text).partition("\f")[0]
    paragraphs = (_paragraph(p) for p in re.split(r"\n[ \t]*\n", body))
    # escaped as a whole: a bracket may open in one line and close in another
    return _inline("\n\n".join(p for p in paragraphs if p).strip())


def _paragraph(text: str) -> str:
    if text.startswith("\b"):  # click's "do not rewrap this paragraph"
        return text[1:].strip("\n")
    lines: list[str] = []
    in_field = False
    for raw in text.splitlines():
        if _FIELD.match(raw):
            in_field = True
            continue
        if in_field and raw[:1].isspace():  # the field's continuation
            continue
        in_field = False
        line = raw.strip()
        if not line:
            continue
        if not lines or _ITEM.match(raw):
            lines.append(line)
        else:
            lines[-1] += " " + line
    return "\n".join(lines)


def _inline(text: str) -> str:
    out: list[str] = []
    at = 0
    for match in _CODE.finditer(text):
        out.append(literal(text[at : match.start()], tag_follows=True))
        code = match.group(1) if match.group(1) is not None else match.group(2)
        if code.startswith("~"):  # :func:`~a.b.c` shows c
            code = code[1:].rsplit(".", 1)[-1]
        out.append(f"[bold]{literal(code, tag_follows=True)}[/bold]")
        at = match.end()
    out.append(literal(text[at:]))
    return "".join(out)


def literal(text: str, *, tag_follows: bool = False) -> str:
    r"""Rich markup that shows ``text`` as it is (``tag_follows``: a tag comes right after).

    Rich reads ``[x...]`` as a tag (an odd number of backslashes before it escapes it, each
    pair is one backslash), any other ``\[`` as ``[``, and ``:name:`` as an emoji (``:a:``
    is a letter in a box); :func:`rich.markup.escape` covers the tags only and doubles a
    trailing backslash even where no tag follows. An empty tag after a colon that could open
    an emoji code keeps the code apart.

    >>> print(literal(r"[a,b] [..]* \[x] \y at 12:30:00"))
    \[a,b] \[..]* \\\[x] \y at 12:[bold][/bold]30:00
    """
    pieces = _EMOJI.split(text)
    last = len(pieces) - 1
    return _APART.join(
        _escape(p, tag_follows=tag_follows or i < last) for i, p in enumerate(pieces)
    )


def _escape(text: str, *, tag_follows: bool) -> str:
    def one(match: re.Match[str]) -> str:
        slashes, rest = match.group(1), match.group(2)
        if rest is None:  # backslashes at the end, before a tag
            return slashes * 2 if tag_follows else slashes
        if _TAG.match(text, match.end(1)):
            return slashes * 2 + "\\" + rest
        return slashes + "\\" + rest

    return _SLASHES.sub(one, text)


#: a run of backslashes before ``[`` or at the end
_SLASHES = re.compile(r"(\\*)(?:(\[)|\Z)")
#: what Rich takes for a tag (``rich.markup.RE_TAGS`` without the backslashes)
_TAG = re.compile(r"\[[a-z#/@][^\[]*?]")
#: after a colon with another colon later in the same run of non-spaces (``:name:``)
_EMOJI = re.compile(r"(?<=:)(?=[^\s:]*:)")
_APART = "[bold][/bold]"


def tidy(command: Command) -> Command:
    """``command`` and its subcommands with :func:`flow`'s help (each command once)."""
    if getattr(command, "_help_tidied", False):
        return command
    command.help = flow(command.help) or None
    if command.short_help:
        command.short_help = flow(command.short_help)
    for param in command.params:
        text = getattr(param, "help", None)
        if text:
            param.help = flow(text)  # type: ignore[attr-defined]
    command._help_tidied = True  # type: ignore[attr-defined]
    for sub in getattr(command, "commands", {}).values():
        tidy(sub)
    return command


class HelpGroup(TyperGroup):
    """The root group: the whole tree's help passed through :func:`tidy` once it is built
    (Typer builds the subcommands and groups first)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tidy(self)
