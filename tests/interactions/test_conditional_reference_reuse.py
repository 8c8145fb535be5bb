"""A conditional reference resolved again in a later transaction sees what changed since (its parsed criteria are reused)."""

from __future__ import annotations

import uuid
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from fhir_server.errors import FhirError, NotFound, PreconditionFailed
from fhir_server.interactions.bundle_refs import resolve_conditional
from fhir_server.interactions.context import Principal, RequestContext
from fhir_server.storage.repository import SqlStorage
from tests.conftest import BASE_URL

CTX = RequestContext(BASE_URL, "en", ZoneInfo("America/Guayaquil"), principal=Principal(kind="system"))
SYSTEM = "https://www.registrocivil.gob.ec/cedula"


def _practitioner(value: str) -> dict[str, Any]:
    return {"resourceType": "Practitioner", "identifier": [{"system": SYSTEM, "value": value}]}


def _resolve(storage: SqlStorage, reference: str) -> str:
    return storage.write(lambda writer: resolve_conditional(writer, CTX, reference))


def test_reused_resolution_sees_new_and_deleted_matches(storage: SqlStorage) -> None:
    value = uuid.uuid4().hex
    reference = f"Practitioner?identifier={SYSTEM}|{value}"
    with pytest.raises(NotFound):
        _resolve(storage, reference)

    first = str(uuid.uuid4())
    storage.write(lambda writer: writer.create_many([(_practitioner(value), first, "POST")]))
    assert _resolve(storage, reference) == f"Practitioner/{first}"
    assert _resolve(storage, reference) == f"Practitioner/{first}"

    second = str(uuid.uuid4())
    storage.write(lambda writer: writer.create_many([(_practitioner(value), second, "POST")]))
    with pytest.raises(PreconditionFailed) as many:
        _resolve(storage, reference)
    assert many.value.issues[0].params["count"] == 2

    def delete_second(writer: Any) -> None:
        current = writer.current("Practitioner", second)
        assert current is not None
        writer.delete(current)

    storage.write(delete_second)
    assert _resolve(storage, reference) == f"Practitioner/{first}"


def test_bad_criteria_fail_every_time(storage: SqlStorage) -> None:
    for _ in range(2):
        with pytest.raises(FhirError):
            _resolve(storage, "Practitioner?no-such-parameter=1")
