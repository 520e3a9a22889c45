"""uvicorn's HTTP protocol with a deadline for the request headers.

uvicorn times out idle keep-alive connections (``timeout_keep_alive``) but not a client
that connects and sends nothing, nor one that trickles its headers a byte at a time
(slowloris): each such connection would stay open for ever. Here every request's headers
must arrive within ``header_timeout`` seconds of its first byte (of the connection, for the
first request) and may be at most ``max_header_bytes`` long; otherwise the client gets 408
(or 431) and the connection is closed. The body's deadline is kept by
:mod:`wegweiser.serve.guard`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.auto import AutoHTTPProtocol

MAX_HEADER_BYTES = 64 * 1024


def _plain(status: bytes, text: str) -> bytes:
    body = text.encode()
    return (
        b"HTTP/1.1 " + status + b"\r\ncontent-type: text/plain; charset=utf-8\r\n"
        b"content-length: " + str(len(body)).encode() + b"\r\nconnection: close\r\n\r\n" + body
    )


class _Guarded(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
    header_timeout = 10.0
    max_header_bytes = MAX_HEADER_BYTES

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        self._header_bytes = 0

    def _awaiting_headers(self) -> bool:
        cycle = self.cycle
        return cycle is None or bool(cycle.response_complete)

    def _arm(self) -> None:
        if self._header_timer is None:
            self._header_bytes = 0
            self._header_timer = self.loop.call_later(self.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _too_slow(self) -> None:
        self._header_timer = None
        if self._awaiting_headers() and not self.transport.is_closing():
            self.transport.write(
                _plain(
                    b"408 Request Timeout",
                    f"The request headers did not arrive within {self.header_timeout:g} s "
                    "(server.header_timeout_seconds).",
                )
            )
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        waiting = self._awaiting_headers()
        if waiting:
            self._arm()
        before = self.cycle
        super().data_received(data)
        if not waiting:
            return
        if self.cycle is not before:  # the headers are complete
            self._disarm()
            return
        self._header_bytes += len(data)
        if self._header_bytes > self.max_header_bytes and not self.transport.is_closing():
            self._disarm()
            self.transport.write(
                _plain(
                    b"431 Request Header Fields Too Large",
                    f"The request headers are longer than {self.max_header_bytes} bytes.",
                )
            )
            self.transport.close()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # between requests uvicorn's keep-alive timeout applies; the next request re-arms
        self._disarm()


def guarded_protocol(header_timeout: float, max_header_bytes: int = MAX_HEADER_BYTES) -> type:
    """The protocol class for ``uvicorn.run(http=...)`` with these limits."""
    return type(
        "GuardedHTTPProtocol",
        (_Guarded,),
        {"header_timeout": header_timeout, "max_header_bytes": max_header_bytes},
    )
