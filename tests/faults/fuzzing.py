"""What the fuzz tests share: the schema of the running server and the checks on every answer."""

from __future__ import annotations

import warnings
from functools import cache
from typing import Any

import httpx
import schemathesis

from fhir_server.api.app import create_app
from fhir_server.settings import Settings
from tests.faults.server import FULL, is_outcome

EXAMPLES = 300 if FULL else 25
TIMEOUT = 15.0  # a request still running after this is a hang: the test fails


@cache
def openapi_document() -> dict[str, Any]:
    """The server's OpenAPI document, as /fhir/openapi.json serves it (built once, warnings aside)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        document: dict[str, Any] = create_app(Settings(database_url="sqlite://")).openapi()
    return document


class Checked:
    """An httpx client whose every answer must be below 500, an OperationOutcome when it is an error,
    and conform to the server's own OpenAPI document (schemathesis' response checks)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = httpx.Client(timeout=TIMEOUT)
        self.schema: Any = schemathesis.openapi.from_dict(openapi_document())

    def close(self) -> None:
        self.http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self.http.request(method, f"{self.base}{path}", **kwargs)
        where = f"{method} {path} {kwargs}"[:1500]
        assert response.status_code < 500, f"{where}\n-> {response.status_code} {response.text[:1500]}"
        if response.status_code >= 400:
            assert is_outcome(response), f"{where}\n-> {response.status_code} {response.text[:1500]}"
        operation = self.schema.find_operation_by_path(method, response.request.url.path)
        assert operation is not None, f"{where}: no documented operation"
        operation.validate_response(response)
        return response
