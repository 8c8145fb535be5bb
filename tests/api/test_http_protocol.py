"""The served protocol joins a response's writes: byte streams stay whole and ordered, one write each.

Over a real uvicorn server (``live_server`` runs ``CoalescingHttpToolsProtocol``, as ``fhir-server
serve`` does) and over a real asyncio socket transport.
"""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any
from urllib.parse import urlsplit

from fhir_server.api.http_protocol import _JOIN_LIMIT, CoalescingTransport


def _connect(base: str) -> socket.socket:
    parts = urlsplit(base)
    return socket.create_connection((parts.hostname, parts.port), timeout=10)


def _read_response(stream: Any) -> tuple[int, dict[str, str], bytes]:
    status_line = stream.readline().decode()
    status = int(status_line.split()[1])
    headers: dict[str, str] = {}
    while (line := stream.readline().decode()) not in ("\r\n", ""):
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    return status, headers, stream.read(length)


def test_pipelined_requests_get_whole_responses_in_order(live_server: str) -> None:
    path = urlsplit(live_server).path
    with _connect(live_server) as sock, sock.makefile("rb") as stream:
        requests = [
            f"GET {path}/metadata HTTP/1.1\r\nHost: x\r\nAccept: application/fhir+json\r\n\r\n",
            f"GET {path}/Patient/none HTTP/1.1\r\nHost: x\r\n\r\n",
            f"HEAD {path}/metadata HTTP/1.1\r\nHost: x\r\n\r\n",
            f"GET {path}/Patient?_count=1 HTTP/1.1\r\nHost: x\r\n\r\n",
        ]
        sock.sendall("".join(requests).encode())
        status, _, body = _read_response(stream)
        assert status == 200
        capability = json.loads(body)
        assert capability["resourceType"] == "CapabilityStatement"
        assert len(body) > _JOIN_LIMIT  # the large-write path: sent through, not joined
        status, _, body = _read_response(stream)
        assert (status, json.loads(body)["resourceType"]) == (404, "OperationOutcome")
        status, head_headers, _ = _head(stream)
        # Not served (405), but its answer has no body whatever its length says: the next one parses.
        assert status == 405 and int(head_headers["content-length"]) > 0
        status, _, body = _read_response(stream)
        assert (status, json.loads(body)["resourceType"]) == (200, "Bundle")


def _head(stream: Any) -> tuple[int, dict[str, str], bytes]:
    # A HEAD response announces a length but carries no body.
    status_line = stream.readline().decode()
    headers: dict[str, str] = {}
    while (line := stream.readline().decode()) not in ("\r\n", ""):
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, b""


def test_connection_close_sends_the_whole_response_first(live_server: str) -> None:
    path = urlsplit(live_server).path
    with _connect(live_server) as sock:
        sock.sendall(f"GET {path}/Patient?_count=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        received = b""
        while chunk := sock.recv(65536):  # the server closes after the response: recv returns b""
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and b"connection: close" in head.lower()
    assert json.loads(body)["resourceType"] == "Bundle"


def test_writes_of_one_loop_step_leave_in_one_write_in_order() -> None:
    async def scenario() -> tuple[list[int], bytes]:
        loop = asyncio.get_running_loop()
        left, right = socket.socketpair()
        transport, _ = await loop.connect_accepted_socket(asyncio.Protocol, left)
        sent: list[int] = []
        real_write = transport.write

        def counting_write(data: Any) -> None:
            sent.append(len(data))
            real_write(data)

        transport.write = counting_write  # type: ignore[method-assign]
        joined = CoalescingTransport(transport, loop)
        joined.write(b"HTTP/1.1 200 OK\r\n\r\n")
        joined.write(b"first body")
        assert sent == [] and joined.get_write_buffer_size() == 29
        await asyncio.sleep(0)  # the step ends: one write
        joined.write(b"x" * (_JOIN_LIMIT + 1))  # too large to join: sent at once
        joined.write(b"tail")
        joined.close()  # sends what waits before closing
        right.setblocking(False)
        received = b""
        while len(received) < 29 + _JOIN_LIMIT + 1 + 4:
            received += await loop.sock_recv(right, 1 << 20)
        right.close()
        return sent, received

    sent, received = asyncio.run(scenario())
    assert sent == [29, _JOIN_LIMIT + 1, 4]
    assert received == b"HTTP/1.1 200 OK\r\n\r\nfirst body" + b"x" * (_JOIN_LIMIT + 1) + b"tail"
