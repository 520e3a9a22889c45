"""Changing ``wegweiser.toml`` from the program (dashboard settings, ``wegweiser keys``).

Edits keep the file's comments and layout (tomlkit), are validated as a whole before they
are written, and replace the file atomically, so a bad edit never leaves a broken file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tomlkit

from wegweiser.config import CONFIG_FILE, Config, Phase, parse_config
from wegweiser.errors import InvalidConfig

if TYPE_CHECKING:
    from collections.abc import Sequence

SERVER_LISTS = ("write_keys", "api_tokens", "users")


def _load(project_dir: Path) -> tuple[Path, Any]:
    path = Path(project_dir) / CONFIG_FILE
    return path, tomlkit.parse(path.read_text(encoding="utf-8"))


def _save(path: Path, document: Any) -> Config:
    text = tomlkit.dumps(document)
    config = parse_config(text, path=str(path))  # raises InvalidConfig, file untouched
    fd, tmp = tempfile.mkstemp(prefix=".wegweiser-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return config


def add_server_entry(project_dir: Path, field: str, value: str) -> Config:
    """Append ``value`` to ``[server] <field>`` (write_keys, api_tokens or users)."""
    if field not in SERVER_LISTS:
        raise ValueError(f"field must be one of {', '.join(SERVER_LISTS)}")
    path, document = _load(project_dir)
    if "server" not in document:
        document["server"] = tomlkit.table()
    server = document["server"]
    entries = server.get(field)
    if entries is None:
        server[field] = [value]
    elif value not in entries:
        entries.append(value)
    return _save(path, document)


def remove_server_entries(
    project_dir: Path, field: str, drop: Callable[[str], bool]
) -> tuple[Config, list[str]]:
    """Remove the entries of ``[server] <field>`` for which ``drop`` is true; returns the
    new config and the entries removed (nothing is written when none is)."""
    return _map_server_entries(project_dir, field, lambda e: None if drop(e) else e)


def replace_server_entries(
    project_dir: Path, field: str, change: Callable[[str], str]
) -> tuple[Config, list[str]]:
    """Replace each entry of ``[server] <field>`` by ``change(entry)`` (e.g. its hash);
    returns the new config and the entries that changed."""
    return _map_server_entries(project_dir, field, change)


def _map_server_entries(
    project_dir: Path, field: str, change: Callable[[str], str | None]
) -> tuple[Config, list[str]]:
    if field not in SERVER_LISTS:
        raise ValueError(f"field must be one of {', '.join(SERVER_LISTS)}")
    path, document = _load(project_dir)
    server = document.get("server")
    entries = server.get(field) if server is not None else None
    if not entries:
        return parse_config(tomlkit.dumps(document), path=str(path)), []
    touched: list[str] = []
    kept: list[str] = []
    for entry in [str(e) for e in entries]:
        new = change(entry)
        if new != entry:
            touched.append(entry)
        if new is not None:
            kept.append(new)
    if not touched:
        return parse_config(tomlkit.dumps(document), path=str(path)), []
    array = tomlkit.array()
    array.extend(kept)
    server[field] = array
    return _save(path, document), touched


def set_phases(project_dir: Path, phases: Sequence[Phase]) -> Config:
    """Replace the ``[[phases]]`` list (order, names, event globs, descriptions)."""
    path, document = _load(project_dir)
    array = tomlkit.aot()
    for phase in phases:
        table = tomlkit.table()
        table["name"] = phase.name
        table["events"] = list(phase.events)
        if phase.description:
            table["description"] = phase.description
        array.append(table)
    document["phases"] = array
    return _save(path, document)


def set_engine(project_dir: Path, settings: Mapping[str, Any]) -> Config:
    """Set keys of ``[engine]`` (e.g. ``{"kind": "spark", "spark_master": "local[2]"}``);
    a value of None removes the key (back to its default)."""
    path, document = _load(project_dir)
    if "engine" not in document:
        document["engine"] = tomlkit.table()
    engine = document["engine"]
    for key, value in settings.items():
        if value is None:
            engine.pop(key, None)
        elif isinstance(value, Mapping):
            inline = tomlkit.inline_table()
            inline.update({str(k): str(v) for k, v in value.items()})
            engine[key] = inline
        else:
            engine[key] = value
    return _save(path, document)


def set_touchpoint_scores(project_dir: Path, scores: Mapping[str, Mapping[str, float]]) -> Config:
    """Set ``benchmark`` (and ``importance``) of the ``[[touchpoints]]`` named in ``scores``;
    a name the catalogue lacks raises :class:`ValueError` naming the ones it has."""
    path, document = _load(project_dir)
    entries = {str(t.get("name")): t for t in document.get("touchpoints", [])}
    unknown = sorted(set(scores) - set(entries))
    if unknown:
        known = ", ".join(map(repr, entries)) or "none"
        raise InvalidConfig(
            f"{path}: no [[touchpoints]] named {', '.join(map(repr, unknown))} (the catalogue "
            f"has {known}); add them with a name and a rule first", path=str(path))
    for name, values in scores.items():
        for key, value in values.items():
            entries[name][key] = value
    return _save(path, document)
