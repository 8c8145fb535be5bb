"""A minimal HTTP/1.1 keep-alive client for load generators that share the machine with the server.

``http.client`` parses every response's headers with the email package, which costs the soak's client
processes about as much CPU per request as PostgreSQL spends: CPU the server under test then lacks.
This client writes the request bytes itself and reads the status line, the few headers it needs and
the body (Content-Length or chunked). Loopback only; no TLS, no redirects, no proxies.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass


class ConnectionLost(OSError):
    """The server closed the connection or sent something that is not HTTP/1.1."""


@dataclass(slots=True)
class Response:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes


class LeanConnection:
    def __init__(self, host: str, port: int, timeout: float = 30) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.sock: socket.socket | None = None
        self.buffer = b""

    def _connect(self) -> socket.socket:
        if self.sock is None:
            self.sock = socket.create_connection((self.host, self.port), self.timeout)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.buffer = b""
        return self.sock

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock = None

    def request(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> Response:
        sock = self._connect()
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if body is not None:
            lines.append(f"Content-Length: {len(body)}")
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b""))
        return self._response()

    def _fill(self) -> None:
        assert self.sock is not None
        data = self.sock.recv(262144)
        if not data:
            raise ConnectionLost("connection closed by the server")
        self.buffer += data

    def _take(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self._fill()
        taken, self.buffer = self.buffer[:size], self.buffer[size:]
        return taken

    def _line(self) -> bytes:
        while (end := self.buffer.find(b"\r\n")) < 0:
            self._fill()
        line, self.buffer = self.buffer[:end], self.buffer[end + 2 :]
        return line

    def _response(self) -> Response:
        while (end := self.buffer.find(b"\r\n\r\n")) < 0:
            self._fill()
        head, self.buffer = self.buffer[:end].decode("latin-1"), self.buffer[end + 4 :]
        status_line, *header_lines = head.split("\r\n")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
            raise ConnectionLost(f"not an HTTP/1.1 response: {status_line[:80]!r}")
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self._line().split(b";", 1)[0], 16):
                chunks.append(self._take(size))
                self._take(2)
            while self._line():  # trailers end with an empty line
                pass
            body = b"".join(chunks)
        else:
            body = self._take(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            self.close()
        return Response(int(parts[1]), headers, body)
