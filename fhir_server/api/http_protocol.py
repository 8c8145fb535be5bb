"""uvicorn's httptools protocol with a response's writes sent as one.

uvicorn writes a response's status line and headers, then its body, each with its own
``transport.write``; asyncio sends each at once (TCP_NODELAY), so every small response costs two
``send`` system calls and two TCP segments. Measured under the soak, those writes were 8.7 % of the
workers' GIL-held time. Here the writes of one step of the event loop are joined and sent together
once that step ends: a response whose body is ready goes out in one segment. Large writes and
everything that closes, aborts or pauses the transport send what waits first, so the byte order
never changes.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from fhir_server.api.loop_lag import take_shed

# Beyond this, joining would copy a large body only to save one system call.
_JOIN_LIMIT = 64 * 1024


class CoalescingTransport:
    """A transport whose writes within one event-loop step leave in one ``write``."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []
        self._pending_size = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if self._pending_size + len(data) > _JOIN_LIMIT:
            self.flush()
            self._transport.write(data)
            return
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(bytes(data))
        self._pending_size += len(data)

    def flush(self) -> None:
        """Send what waits (a no-op when nothing does)."""
        if not self._pending:
            return
        data = self._pending[0] if len(self._pending) == 1 else b"".join(self._pending)
        self._pending = []
        self._pending_size = 0
        if not self._transport.is_closing():
            self._transport.write(data)

    def writelines(self, chunks: Any) -> None:
        for chunk in chunks:
            self.write(chunk)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def get_write_buffer_size(self) -> int:
        return self._pending_size + self._transport.get_write_buffer_size()

    def __getattr__(self, name: str) -> Any:
        # is_closing, get_extra_info, pause_reading, resume_reading, abort, set_write_buffer_limits...
        return getattr(self._transport, name)


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol on a ``CoalescingTransport``, closing the connection after its answer
    when the worker's late event loop lets it go (``loop_lag.take_shed``, ADR 0020)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        wrapped: Any = CoalescingTransport(cast(asyncio.Transport, transport), self.loop)
        super().connection_made(wrapped)

    def on_headers_complete(self) -> None:
        previous = self.cycle
        super().on_headers_complete()
        # Only a request that got a cycle of its own (not an upgrade) is answered and can carry the close.
        if self.cycle is not previous and take_shed():
            self.cycle.keep_alive = False  # answered with "Connection: close", then closed
