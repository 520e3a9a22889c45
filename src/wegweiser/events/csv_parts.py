"""A large CSV file cut into parts of about ``part_bytes`` bytes, each a file of its own with
the header line, so that an import reads one part at a time and its memory stays bounded.

A part ends at a line end outside quotes: with RFC 4180 quoting (``"``, doubled inside) every
quote character toggles "inside a quoted value", so a line end after an even number of quotes
since the start of the file is a record boundary. A stray quote (``a"b``) makes the count odd
until the next one; the part then grows to the next boundary after it (at worst to the end of
the file, which is how the whole file was read before).

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> path = folder / "e.csv"
    >>> _ = path.write_bytes(b'id,note\\n1,"a\\nb"\\n2,x\\n3,y\\n')
    >>> [(first, part.read_bytes()) for part, first, _ in split_csv(path, 8, folder)]
    [(2, b'id,note\\n1,"a\\nb"\\n'), (4, b'id,note\\n2,x\\n3,y\\n')]
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["split_csv"]

_READ = 8 * 2**20  # bytes read at a time


def split_csv(
    path: Path, part_bytes: int, folder: Path | None = None
) -> Iterator[tuple[Path, int, float]]:
    """Yield (part file, the file's line number of its first line after the header, the
    share of the file read so far).

    Each part file is deleted when the next one is asked for (and at the end); a part holds
    at least one whole line after the header. ``folder``: where the parts are written (the
    system's temp folder by default).
    """
    size = max(path.stat().st_size, 1)
    with open(path, "rb") as handle:
        header = handle.readline()
        parity = header.count(b'"') % 2  # 0: a header without an open quote
        first = 2
        carry = b""
        done = False
        while not done:
            data = carry
            while True:
                if len(data) >= part_bytes and (cut := _boundary(data, parity)) >= 0:
                    break
                want = part_bytes - len(data) if len(data) < part_bytes else _READ
                more = handle.read(want)
                if not more:
                    cut, done = len(data), True
                    break
                data += more
            carry = data[cut:]
            body = data[:cut]
            parity = (parity + body.count(b'"')) % 2
            if body.strip():
                part = _write(folder, header, body)
                try:
                    yield part, first, min(handle.tell() - len(carry), size) / size
                finally:
                    part.unlink(missing_ok=True)
            first += body.count(b"\n")


def _boundary(data: bytes, parity: int) -> int:
    """The end (exclusive) of the last line of ``data`` that ends outside quotes, or -1."""
    end = data.rfind(b"\n")
    if end < 0 or (parity + data.count(b'"', 0, end)) % 2:
        # no line end, or the last one is inside quotes: read on (the next quote usually
        # closes the value soon)
        return -1
    return end + 1


def _write(folder: Path | None, header: bytes, body: bytes) -> Path:
    fd, name = tempfile.mkstemp(prefix="wegweiser-part-", suffix=".csv", dir=folder)
    with os.fdopen(fd, "wb") as out:
        out.write(header)
        out.write(body)
    return Path(name)
