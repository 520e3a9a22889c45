"""The project's own files beside the store: saved segments, watched fixes, annotations.

:class:`ProjectFiles` is the part of :class:`~wegweiser.project.Project` that reads and
writes them -- ``segments/<name>.toml`` (:mod:`wegweiser.analysis.segments`),
``fixes/<name>.toml`` (:mod:`wegweiser.analysis.fixes`) and ``annotations.toml``
(:mod:`wegweiser.analysis.annotations`) -- each written whole to a temporary file and
renamed, so a crash leaves the old file or the new one. None of it opens the store.
"""

from __future__ import annotations

import difflib
from pathlib import Path  # noqa: TC003 (annotations of public methods)
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from wegweiser.analysis.annotations import FILE as ANNOTATIONS_FILE
from wegweiser.analysis.annotations import Annotation, from_toml, gather, to_toml
from wegweiser.analysis.filters import describe
from wegweiser.analysis.segments import Segment, check_name
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from wegweiser.analysis.fixes import Fix

SEGMENTS_DIR = "segments"
FIXES_DIR = "fixes"  # watched fixes, fixes/<name>.toml (analysis/fixes.py)

_M = TypeVar("_M", bound=BaseModel)


class ProjectFiles:
    """Saved segments, watched fixes and annotations of the project in ``path``."""

    path: Path

    # -- segments (files segments/<name>.toml; see wegweiser.analysis.segments) --------------
    def segments(self) -> dict[str, Segment]:
        """Every saved segment by name (sorted); a broken file raises with its path."""
        folder = self.path / SEGMENTS_DIR
        found = sorted(folder.glob("*.toml")) if folder.is_dir() else []
        return {path.stem: read_segment(path) for path in found}

    def segment(self, name: str) -> Segment:
        """The saved segment ``name`` ("Did you mean …?" when there is none)."""
        path = self.path / SEGMENTS_DIR / f"{check_name(name)}.toml"
        if not path.is_file():
            known = [p.stem for p in (self.path / SEGMENTS_DIR).glob("*.toml")]
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            listed = ", ".join(sorted(known)) or "none yet"
            raise InvalidInput(f"no segment {name!r} (saved: {listed}); create it with "
                               f"`wegweiser segments add {name} ...`.{hint}")
        return read_segment(path)

    def save_segment(self, segment: Segment, *, replace: bool = False) -> Path:
        """Write ``segment`` to ``segments/<name>.toml`` (refused if it exists, unless
        ``replace``); returns the file."""
        import tomlkit

        folder = self.path / SEGMENTS_DIR
        folder.mkdir(exist_ok=True)
        path = folder / f"{check_name(segment.name)}.toml"
        if path.exists() and not replace:
            raise InvalidInput(f"segment {segment.name!r} exists ({path}); delete it first or "
                               "replace it")
        data = segment.model_dump(mode="json", exclude={"name"}, exclude_defaults=True)
        if "where" in data:
            data["where"] = [describe(c) for c in segment.where]  # type: ignore[arg-type]
        tmp = path.with_suffix(".toml.tmp")
        tmp.write_text(tomlkit.dumps(data), encoding="utf-8")
        tmp.replace(path)
        return path

    def delete_segment(self, name: str) -> None:
        """Remove the saved segment ``name``."""
        self.segment(name)  # says so when there is none
        (self.path / SEGMENTS_DIR / f"{name}.toml").unlink()

    # -- fixes (files fixes/<name>.toml; see wegweiser.analysis.fixes) ------------------------
    def fixes(self) -> dict[str, Fix]:
        """Every watched fix by name (sorted); a broken file raises with its path."""
        from wegweiser.analysis.fixes import Fix

        folder = self.path / FIXES_DIR
        found = sorted(folder.glob("*.toml")) if folder.is_dir() else []
        return {path.stem: _read_toml(path, Fix) for path in found}

    def fix(self, name: str) -> Fix:
        """The fix ``name`` ("Did you mean …?" when there is none)."""
        from wegweiser.analysis.fixes import check_name as check_fix_name

        known = self.fixes()
        if check_fix_name(name) not in known:
            close = difflib.get_close_matches(name, list(known), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise InvalidInput(f"no fix {name!r} (saved: {', '.join(known) or 'none yet'}); "
                               f"add it with `wegweiser fixes add {name} ...`.{hint}")
        return known[name]

    def save_fix(self, fix: Fix, *, replace: bool = False) -> Path:
        """Write ``fix`` to ``fixes/<name>.toml`` (refused if it exists, unless ``replace``)."""
        import tomlkit

        from wegweiser.analysis.fixes import check_name as check_fix_name

        folder = self.path / FIXES_DIR
        folder.mkdir(exist_ok=True)
        path = folder / f"{check_fix_name(fix.name)}.toml"
        if path.exists() and not replace:
            raise InvalidInput(f"fix {fix.name!r} exists ({path}); delete it first or replace it")
        data = {k: v for k, v in fix.definition().items() if k != "name" and v != []}
        tmp = path.with_suffix(".toml.tmp")
        tmp.write_text(tomlkit.dumps(data), encoding="utf-8")
        tmp.replace(path)
        return path

    def delete_fix(self, name: str) -> None:
        """Remove the fix ``name``."""
        self.fix(name)  # says so when there is none
        (self.path / FIXES_DIR / f"{name}.toml").unlink()

    # -- annotations (annotations.toml; see wegweiser.analysis.annotations) -----------------
    def annotations(self) -> list[Annotation]:
        """The marked dates the trend charts show: ``annotations.toml`` and the date of each
        watched fix (kind ``fix``), sorted, each once (:func:`~.annotations.gather`)."""
        from wegweiser.analysis.fixes import fix_annotations

        fixed = [Annotation(date=row["date"], text=f"Fix: {row['label']}"[:200], kind="fix",
                            source="fixes") for row in fix_annotations(self.fixes().values())]
        return gather(self._annotation_file(), fixed)

    def _annotation_file(self) -> list[Annotation]:
        path = self.path / ANNOTATIONS_FILE
        if not path.is_file():
            return []
        return from_toml(path.read_text(encoding="utf-8"), where=str(path))

    def add_annotation(self, annotation: Annotation) -> None:
        """Add ``annotation`` to ``annotations.toml`` (the same date, text and kind is
        refused)."""
        own = self._annotation_file()
        if any(a.key() == annotation.key() for a in own):
            raise InvalidInput(f"there is an annotation {annotation.text!r} on "
                               f"{annotation.date} already")
        self._write_annotations([*own, annotation])

    def delete_annotation(self, date: Any, text: str | None = None) -> list[Annotation]:
        """Remove the annotations of ``date`` (with ``text``: only that one) from
        ``annotations.toml``; returns the removed ones (an error when none matches)."""
        own = self._annotation_file()
        gone = [a for a in own if str(a.date) == str(date) and text in (None, a.text)]
        if not gone:
            listed = ", ".join(f"{a.date} {a.text!r}" for a in own) or "none yet"
            raise InvalidInput(f"no annotation on {date}{f' named {text!r}' if text else ''}"
                               f" (annotations: {listed})")
        self._write_annotations([a for a in own if a not in gone])
        return gone

    def _write_annotations(self, items: list[Annotation]) -> None:
        path = self.path / ANNOTATIONS_FILE
        tmp = path.with_suffix(".toml.tmp")
        tmp.write_text(to_toml(gather(items)), encoding="utf-8")
        tmp.replace(path)


def read_segment(path: Path) -> Segment:
    """The saved segment in ``path`` (``segments/<name>.toml``); errors name the file."""
    return _read_toml(path, Segment)


def _read_toml(path: Path, model: type[_M]) -> _M:
    """The ``model`` in the TOML file ``path``, named by its stem; errors name the file."""
    import tomllib

    from pydantic import ValidationError

    from wegweiser.analysis.registry import describe as describe_error

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return model.model_validate({**data, "name": path.stem})
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"{path}: not valid TOML: {exc}") from None
    except ValidationError as exc:
        raise InvalidInput(f"{path}: {describe_error(exc)}") from None
