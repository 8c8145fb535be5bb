"""Pure ASGI middleware: request id and request body limit (the access log is api/access_log.py)."""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fhir_server.errors import PayloadTooLarge
from fhir_server.i18n import pick_language
from fhir_server.model.ids import new_token
from fhir_server.model.json import dumps

_SAFE_ID = re.compile(r"[A-Za-z0-9\-_.]{1,64}")


def header_value(scope: Scope, name: bytes) -> str | None:
    """The first value of a request header (``name`` in lower case), read without decoding the others."""
    for key, value in scope["headers"]:
        if key == name or (len(key) == len(name) and key.lower() == name):
            return str(value.decode("latin-1"))
    return None


class FhirMiddleware:
    """Gives each request an id (X-Request-ID) and caps bodies."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, default_language: str) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.default_language = default_language

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = header_value(scope, b"x-request-id") or ""
        request_id = incoming if _SAFE_ID.fullmatch(incoming) else new_token()
        scope.setdefault("state", {})["request_id"] = request_id

        length = header_value(scope, b"content-length") or ""
        if length.isdigit() and int(length) > self.max_body_bytes:
            await self._too_large(send, header_value(scope, b"accept-language"), request_id)
            return

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    # Rendered as a 413 OperationOutcome by the FhirError handler.
                    raise PayloadTooLarge("body-too-large", limit=self.max_body_bytes)
            return message

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        await self.app(scope, limited_receive, send_with_id)

    async def _too_large(self, send: Send, accept_language: str | None, request_id: str) -> None:
        language = pick_language(accept_language, self.default_language)
        body = dumps(PayloadTooLarge("body-too-large", limit=self.max_body_bytes).outcome(language))
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/fhir+json; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"x-request-id", request_id.encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
