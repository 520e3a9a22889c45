"""Text files as users have them: gzip-compressed or not, UTF-8 with or without a byte-order
mark, UTF-16, Latin-1 and other encodings named with ``--encoding``.

A byte-order mark decides the encoding (it is no guess); otherwise a file is UTF-8 unless the
user names another encoding, and a file that is not UTF-8 stops with one message saying so.
"""

from __future__ import annotations

import codecs
import gzip
import os
import tempfile
from pathlib import Path
from typing import IO, TYPE_CHECKING, cast

from wegweiser.errors import UnreadableSource

if TYPE_CHECKING:
    from collections.abc import Iterator

ENCODING_HINT = "pass --encoding latin-1 (or cp1252, utf-16, ...) if that is its encoding"
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def is_gzip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) == b"\x1f\x8b"


def open_binary(path: Path) -> IO[bytes]:
    """The file's bytes, decompressed when it is gzip (``.gz`` or not)."""
    try:
        if is_gzip(path):
            return cast("IO[bytes]", gzip.open(path, "rb"))
        return path.open("rb")
    except OSError as exc:
        raise UnreadableSource(f"{path}: cannot open ({exc.strerror})", source=str(path)) from None


def encoding_of(path: Path, given: str | None) -> str:
    """The encoding to read ``path`` with: ``given``, or its byte-order mark's, or UTF-8."""
    with open_binary(path) as handle:
        try:
            head = handle.read(4096)
        except (OSError, EOFError) as exc:
            raise UnreadableSource(
                f"{path}: not a readable gzip file ({exc})", source=str(path)
            ) from None
    for bom, name in _BOMS:
        if head.startswith(bom):
            if given is not None and codecs.lookup(given).name not in (name, "utf-8"):
                raise UnreadableSource(
                    f"{path}: starts with a {name} byte-order mark, but --encoding {given} was "
                    "given; leave --encoding out", source=str(path)
                )
            return name
    if given is None and b"\x00" in head:
        raise UnreadableSource(
            f"{path}: holds NUL bytes, so it is no UTF-8 text — UTF-16 without a byte-order "
            "mark? Pass --encoding utf-16-le (or utf-16-be)", source=str(path)
        )
    return given or "utf-8"


def open_text(path: Path, encoding: str) -> IO[str]:
    """The file as text lines (universal newlines), decoded strictly."""
    return open_text_stream(open_binary(path), encoding)


def open_text_stream(raw: IO[bytes], encoding: str) -> IO[str]:
    import io

    return io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline=None)


def iter_lines(path: Path, encoding: str) -> Iterator[tuple[int, str]]:
    """(line number, text without its line end) for every line; a line that cannot be
    decoded stops with :func:`not_decodable` naming it."""
    if encoding.startswith("utf-16"):  # line ends are two bytes: let the codec split
        with open_text(path, encoding) as text:
            number = 0
            try:
                for number, line in enumerate(text, start=1):
                    yield number, line.rstrip("\r\n")
            except UnicodeDecodeError as exc:
                raise not_decodable(path, encoding, exc, line=number + 1) from None
        return
    codec = "utf-8-sig" if encoding == "utf-8" else encoding
    with open_binary(path) as handle:
        try:
            for number, raw in enumerate(handle, start=1):
                try:
                    yield number, raw.decode(codec).rstrip("\r\n")
                except UnicodeDecodeError as exc:
                    raise not_decodable(path, encoding, exc, line=number) from None
                codec = encoding if codec == "utf-8-sig" else codec  # a BOM only starts a file
        except (OSError, EOFError) as exc:  # a truncated or corrupt gzip stream
            raise UnreadableSource(f"{path}: cannot read it to the end ({exc})",
                                   source=str(path)) from None


def first_line(path: Path, encoding: str) -> str:
    """The first line (the header), without its line end; '' for an empty file."""
    with open_binary(path) as handle:
        raw = handle.readline()
    if encoding.startswith("utf-16"):  # a line end is two bytes: read the text instead
        with open_text(path, encoding) as text:
            return text.readline().rstrip("\r\n")
    try:
        return raw.decode(encoding).rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise not_decodable(path, encoding, exc, line=1) from None


def not_decodable(
    path: Path, encoding: str, exc: UnicodeDecodeError, *, line: int | None = None
) -> UnreadableSource:
    where = f"line {line} " if line is not None else ""
    name = "UTF-8" if encoding in ("utf-8", "utf-8-sig") else encoding
    hint = ENCODING_HINT if name == "UTF-8" else "check --encoding"
    return UnreadableSource(
        f"{path}: {where}is not valid {name} text ({exc.reason}); {hint}", source=str(path)
    )


def transcode(path: Path, encoding: str) -> Path:
    """A temporary UTF-8 copy of ``path`` (the caller deletes it); line numbers are kept."""
    fd, name = tempfile.mkstemp(prefix="wegweiser-", suffix=".csv")
    out = Path(name)
    number = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as sink, open_text(
            path, encoding
        ) as source:
            for line in source:
                sink.write(line)
                number += 1
    except UnicodeDecodeError as exc:
        out.unlink(missing_ok=True)
        raise not_decodable(path, encoding, exc, line=number + 1) from None
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    return out
