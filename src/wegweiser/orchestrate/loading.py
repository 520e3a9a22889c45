"""Reading journey files and the delivery settings, with precise errors.

Every problem of every file is reported at once (file, line where it can be found, field,
what is allowed); one bad file stops all journeys from running (nothing half-valid runs).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from wegweiser.orchestrate import templates
from wegweiser.orchestrate.definitions import (
    LANGUAGES,
    MEMBERSHIP_KINDS,
    Journey,
    SendStep,
    WebhookStep,
)
from wegweiser.orchestrate.errors import InvalidJourney
from wegweiser.orchestrate.settings import DELIVERY_FILE, Delivery

if TYPE_CHECKING:
    from collections.abc import Sequence

JOURNEYS_DIR = "journeys"
Problem = tuple[str, int | None, str, str]


def locate(text: str, loc: Sequence[str | int]) -> int | None:
    """The 1-based line of ``loc`` (a Pydantic error location) in TOML ``text``, or None.

    Follows ``[table]`` and ``[[array]]`` headers and ``key =`` lines; the line of the
    deepest part found.

    >>> text = 'a = 1\\n[[steps]]\\nid = "x"\\n[[steps]]\\nid = "y"\\nwait = 3\\n'
    >>> locate(text, ["steps", 1, "wait"])
    6
    """
    lines = text.splitlines()
    pos, found = 0, None
    prefix: list[str] = []
    parts = list(loc)
    i = 0
    while i < len(parts):
        part = parts[i]
        if isinstance(part, int):
            i += 1
            continue
        key = str(part)
        if i + 1 < len(parts) and isinstance(parts[i + 1], int):
            header = re.compile(r"^\s*\[\[\s*" + re.escape(".".join([*prefix, key])) + r"\s*\]\]")
            hits = [n for n, line in enumerate(lines) if header.match(line)]
            index = int(parts[i + 1])
            if index < len(hits):
                pos, found = hits[index], hits[index] + 1
                prefix.append(key)
                i += 2
                continue
        header = re.compile(r"^\s*\[\s*" + re.escape(".".join([*prefix, key])) + r"\s*\]\s*$")
        hit = next((n for n in range(pos, len(lines)) if header.match(lines[n])), None)
        if hit is not None:
            pos, found = hit, hit + 1
            prefix.append(key)
            i += 1
            continue
        assign = re.compile(r"^\s*\"?" + re.escape(key) + r"\"?\s*=")
        for n in range(pos, len(lines)):
            if n > pos and lines[n].lstrip().startswith("["):
                break
            if assign.match(lines[n]):
                pos, found = n, n + 1
                break
        prefix.append(key)  # a dotted table header may follow ([a.b.c] without [a.b])
        i += 1
    return found


def _field(loc: Sequence[str | int]) -> str:
    return ".".join(str(p) for p in loc)


def _parse(path: Path) -> tuple[str, dict[str, Any] | None, list[Problem]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return "", None, [(str(path), None, "", f"cannot read the file: {exc}")]
    try:
        return text, tomllib.loads(text), []
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        return text, None, [(str(path), int(match.group(1)) if match else None, "",
                             f"not valid TOML: {exc}")]


def _validation_problems(path: Path, text: str, exc: ValidationError) -> list[Problem]:
    out: list[Problem] = []
    for err in exc.errors():
        loc = [p for p in err["loc"] if not (isinstance(p, str) and p in _STEP_TAGS)]
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "literal_error" and "expected" in err.get("ctx", {}):
            msg = f"must be one of {err['ctx']['expected']}, not {err.get('input')!r}"
        elif err["type"] == "extra_forbidden":
            msg = "unknown field (a typo? see docs/journeys.md for the fields of this part)"
        elif err["type"] == "union_tag_invalid":
            msg = (f"unknown step type {err.get('input', {}).get('type')!r}; allowed: "
                   f"{', '.join(sorted(_STEP_TAGS))}")
        out.append((str(path), locate(text, loc), _field(loc), msg))
    return out


_STEP_TAGS = {"wait", "split", "random", "send", "webhook", "set_trait", "emit", "exit"}


def load_journey(
    path: str | Path,
    *,
    phases: Sequence[str] | None = None,
    delivery: Delivery | None = None,
) -> Journey:
    """Read and check one journey file; raise :class:`InvalidJourney` with every problem."""
    path = Path(path)
    text, data, problems = _parse(path)
    if data is None:
        raise InvalidJourney(problems)
    data.setdefault("name", path.stem)
    try:
        journey = Journey.model_validate(data)
    except ValidationError as exc:
        raise InvalidJourney(_validation_problems(path, text, exc)) from None
    problems = _check(path, text, journey, phases=phases, delivery=delivery)
    if problems:
        raise InvalidJourney(problems)
    return journey


def _check(
    path: Path,
    text: str,
    journey: Journey,
    *,
    phases: Sequence[str] | None,
    delivery: Delivery | None,
) -> list[Problem]:
    out: list[Problem] = []

    def add(loc: list[str | int], msg: str) -> None:
        out.append((str(path), locate(text, loc), _field(loc), msg))

    ids = [s.id for s in journey.steps]
    for n, step in enumerate(journey.steps):
        for field, target in journey.targets(step):
            if target not in ids:
                hint = _closest(target, ids)
                add(["steps", n, *field.split(".")], f"no step {target!r}{hint}")
        if isinstance(step, SendStep):
            tpl = journey.templates.get(step.template)
            if tpl is None:
                hint = _closest(step.template, list(journey.templates))
                add(["steps", n, "template"], f"no template {step.template!r} in "
                    f"[templates]{hint}")
            else:
                missing = [lang for lang in LANGUAGES if lang not in tpl]
                if missing:
                    add(["templates", step.template],
                        f"needs a version in every language ({', '.join(LANGUAGES)}); "
                        f"missing: {', '.join(missing)}")
                if step.channel == "email" and any(not t.subject for t in tpl.values()):
                    add(["templates", step.template], "an email template needs a subject")
        if isinstance(step, WebhookStep) and delivery is not None and (
            step.endpoint not in delivery.webhooks
        ):
            hint = _closest(step.endpoint, list(delivery.webhooks))
            add(["steps", n, "endpoint"], f"no webhook endpoint {step.endpoint!r} in "
                f"{DELIVERY_FILE} [webhooks]{hint}")
    for name, versions in journey.templates.items():
        for lang, version in versions.items():
            for part in ("subject", "text", "html"):
                source = getattr(version, part)
                if source is None:
                    continue
                bad = templates.check(source, html=part == "html")
                if bad is not None:
                    line = locate(text, ["templates", name, lang, part])
                    if line is not None and bad[0] is not None and part != "subject":
                        line += bad[0] - 1
                    out.append((str(path), line, f"templates.{name}.{lang}.{part}", bad[1]))
    # every step reachable from the first
    seen, todo = set(), [ids[0]]
    while todo:
        current = todo.pop()
        if current in seen or current not in ids:
            continue
        seen.add(current)
        todo += [t for _, t in journey.targets(journey.step(current))]
    for n, step in enumerate(journey.steps):
        if step.id not in seen:
            add(["steps", n, "id"], f"step {step.id!r} can never be reached from the first step")
    if journey.entry.kind in MEMBERSHIP_KINDS:
        from wegweiser.orchestrate.memberships import check_entry

        project_dir = path.resolve().parent.parent  # <project>/journeys/<file>.toml
        for name, msg in check_entry(journey.entry, project_dir):
            add(["entry", name], msg)
    if phases is not None:
        used: list[tuple[list[str | int], str]] = []
        if journey.entry.phase:
            used.append((["entry", "phase"], journey.entry.phase))
        if journey.entry.when:
            used += [(["entry", "when"], p) for p in journey.entry.when.phases()]
        for n, step in enumerate(journey.steps):
            for b, branch in enumerate(getattr(step, "branches", [])):
                when = getattr(branch, "when", None)
                if when is not None:
                    used += [(["steps", n, "branches", b, "when"], p) for p in when.phases()]
        for loc, phase in used:
            if phase not in phases:
                add(loc, f"no phase {phase!r} in the project's phase model; allowed: "
                    f"{', '.join(phases)}")
    return out


def _closest(word: str, choices: Sequence[str]) -> str:
    import difflib

    match = difflib.get_close_matches(word, list(choices), n=1)
    return f". Did you mean {match[0]!r}?" if match else ""


def load_delivery(folder: str | Path) -> Delivery:
    """``journeys/_delivery.toml``, or the defaults when there is none."""
    path = Path(folder) / DELIVERY_FILE
    if not path.exists():
        return Delivery()
    text, data, problems = _parse(path)
    if data is None:
        raise InvalidJourney(problems)
    try:
        return Delivery.model_validate(data)
    except ValidationError as exc:
        raise InvalidJourney(_validation_problems(path, text, exc)) from None


def load_journeys(
    folder: str | Path, *, phases: Sequence[str] | None = None
) -> tuple[list[Journey], Delivery]:
    """Every journey of ``folder`` and the delivery settings; all problems or nothing."""
    folder = Path(folder)
    delivery = load_delivery(folder)
    journeys: list[Journey] = []
    problems: list[Problem] = []
    for path in sorted(folder.glob("*.toml")):
        if path.name.startswith("_"):
            continue
        try:
            journeys.append(load_journey(path, phases=phases, delivery=delivery))
        except InvalidJourney as exc:
            problems += exc.problems
    names = [j.name for j in journeys]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append((str(folder), None, "name", f"two journeys are named {name!r}"))
    if problems:
        raise InvalidJourney(problems)
    return journeys, delivery
