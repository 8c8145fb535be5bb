"""Reading back what the audit trail wrote, straight from the storage (no API, no access rules)."""

from __future__ import annotations

import time
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from fhir_server.interactions.context import Principal, RequestContext
from fhir_server.model.json import loads
from fhir_server.model.validation import validate
from fhir_server.storage.history import HistoryQuery
from fhir_server.storage.repository import SqlStorage
from fhir_server.storage.schema import deferred_record
from tests.conftest import BASE_URL


def context(principal: Principal | None = None, request_id: str = "req-1") -> RequestContext:
    """A request context on the tests' base URL."""
    return RequestContext(
        BASE_URL, "es", ZoneInfo("America/Guayaquil"), request_id=request_id, principal=principal or Principal()
    )


def written(storage: SqlStorage, type_name: str) -> list[dict[str, Any]]:
    """Every stored AuditEvent or Provenance, oldest first, each checked to be valid R4.

    Records committed with writes are indexed by the trail's drain; run it first, and wait for the
    application's own trail when it holds some of them (its drain skips rows another one locked).
    """
    deadline = time.monotonic() + 30
    while True:
        while storage.drain_deferred(10_000):
            pass
        with storage.engine.connect() as connection:
            if not connection.execute(sa.select(sa.func.count()).select_from(deferred_record)).scalar_one():
                break
        assert time.monotonic() < deadline, "the outbox did not empty"
        time.sleep(0.01)
    rows = storage.history(HistoryQuery(type=type_name, count=10_000)).rows
    found = [loads(row.content) for row in reversed(rows) if row.content is not None]
    for resource in found:
        validate(resource)
    return found


def codes(codings: list[dict[str, Any]]) -> list[str]:
    return [c.get("code", c.get("display", "")) for c in codings]


def agent(event: dict[str, Any], code: str) -> dict[str, Any]:
    """The agent whose type has this code."""
    return next(a for a in event["agent"] if any(c["code"] == code for c in a["type"]["coding"]))


def entities(event: dict[str, Any], role: str) -> list[dict[str, Any]]:
    """The entities of one object-role code (1 patient, 4 domain resource, 24 query)."""
    return [e for e in event.get("entity", []) if e.get("role", {}).get("code") == role]


def patient_ids(event: dict[str, Any]) -> list[str]:
    return [e["what"]["reference"].removeprefix("Patient/") for e in entities(event, "1")]


def request_ids(event: dict[str, Any]) -> list[str]:
    return [e["what"]["identifier"]["value"] for e in event.get("entity", []) if e["type"]["code"] == "XrequestId"]


def targets(provenance: dict[str, Any]) -> list[str]:
    return [t["reference"] for t in provenance["target"]]
