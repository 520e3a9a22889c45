"""A large CSV file cut into parts of about ``part_bytes`` bytes, each a file of its own with
the header line, so that an import reads one part at a time and its memory stays bounded.

A part ends at a line end outside quotes: with RFC 4180 quoting (``"``, doubled inside) every
quote character toggles "inside a quoted value", so a line end after an even number of quotes
since the start of the file is a record boundary. A stray quote (``a"b``) makes the count odd
until the next line with an odd count; no part ends after a line with an odd count of its own,
so the stray quote cannot cut a value in two, and the part grows to the next boundary (at worst
to the end of the file, which is how the whole file was read before).

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> path = folder / "e.csv"
    >>> _ = path.write_bytes(b'id,note\\n1,"a\\nb"\\n2,x\\n3,y\\n')
    >>> [(first, part.read_bytes()) for part, first, _ in split_csv(path, 8, folder)]
    [(2, b'id,note\\n1,"a\\nb"\\n2,x\\n'), (5, b'id,note\\n3,y\\n')]
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

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
    system's temp folder by default). The file is copied in blocks of at most 8 MiB: the
    memory used does not grow with ``part_bytes``.
    """
    size = max(path.stat().st_size, 1)
    with open(path, "rb") as handle:
        header = handle.readline()
        parity = header.count(b'"') % 2  # 0: a header without an open quote
        first, carry, read, end = 2, b"", len(header), False
        line = 0  # parity of the quotes on the line being copied
        while not end:
            part, out, written, lines = _open_part(folder, header)
            try:
                block, carry, full = carry, b"", False
                while not full:
                    if not block:
                        left = part_bytes - written
                        block = handle.read(min(_READ, left if left > 0 else part_bytes))
                        read += len(block)
                        if not block:
                            end = True
                            break
                    if written + len(block) >= part_bytes:
                        cut = _first_boundary(block, parity, line, part_bytes - written - 1)
                        if cut >= 0:
                            block, carry, full = block[:cut], block[cut:], True
                    out.write(block)
                    written += len(block)
                    lines += block.count(b"\n")
                    parity = (parity + block.count(b'"')) % 2
                    line = _line_parity(block, line)
                    block = b""
            finally:
                out.close()
            try:
                if written:
                    yield part, first, min(read - len(carry), size) / size
            finally:
                part.unlink(missing_ok=True)
            first += lines


def _first_boundary(block: bytes, parity: int, line: int, start: int) -> int:
    """The end (exclusive) of the first line of ``block`` that ends at or after ``start``
    outside quotes and holds an even number of quotes itself, or -1 (``parity``: of the
    quotes before ``block``; ``line``: of those on its unfinished line). The second
    condition keeps a stray quote from cutting a value: after one the count is off until
    the next line with an odd count, and no line with an odd count is cut after."""
    end = block.find(b"\n", max(start, 0))
    while end >= 0:
        begin = block.rfind(b"\n", 0, end) + 1
        own = block.count(b'"', begin, end) + (line if begin == 0 else 0)
        if own % 2 == 0 and (parity + block.count(b'"', 0, end)) % 2 == 0:
            return end + 1
        end = block.find(b"\n", end + 1)
    return -1


def _line_parity(block: bytes, line: int) -> int:
    """The parity of the quotes on the unfinished last line after ``block``."""
    last = block.rfind(b"\n")
    if last < 0:
        return (line + block.count(b'"')) % 2
    return block.count(b'"', last + 1) % 2


def _open_part(folder: Path | None, header: bytes) -> tuple[Path, BinaryIO, int, int]:
    fd, name = tempfile.mkstemp(prefix="wegweiser-part-", suffix=".csv", dir=folder)
    out = os.fdopen(fd, "wb")
    out.write(header)
    return Path(name), out, 0, 0
