"""Two patients, a doctor with a nurse and a secretary, and some clinical records of each patient."""

from __future__ import annotations

from typing import Any

from fhir_server.storage.repository import SqlStorage
from tests.security.conftest import seed

VITALS = "http://terminology.hl7.org/CodeSystem/observation-category"


def observation(
    res_id: str, patient: str, category: str = "vital-signs", performer: str | None = None
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": res_id,
        "status": "final",
        "category": [{"coding": [{"system": VITALS, "code": category}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
        "subject": {"reference": f"Patient/{patient}"},
        "valueQuantity": {"value": 72, "unit": "/min", "system": "http://unitsofmeasure.org", "code": "/min"},
    }
    if performer:
        resource["performer"] = [{"reference": performer}]
    return resource


def condition(res_id: str, patient: str) -> dict[str, Any]:
    return {"resourceType": "Condition", "id": res_id, "subject": {"reference": f"Patient/{patient}"},
            "code": {"text": "faringitis"}}  # fmt: skip


def build(storage: SqlStorage) -> None:
    seed(
        storage,
        {"resourceType": "Patient", "id": "ana", "name": [{"family": "Pérez", "given": ["Ana"]}]},
        {"resourceType": "Patient", "id": "beto", "name": [{"family": "Guamán", "given": ["Beto"]}]},
        {"resourceType": "Practitioner", "id": "dra", "name": [{"family": "Andrade"}]},
        {"resourceType": "Practitioner", "id": "drb", "name": [{"family": "Borja"}]},
        {"resourceType": "PractitionerRole", "id": "dra-rol", "practitioner": {"reference": "Practitioner/dra"}},
        observation("obs-ana", "ana", performer="Practitioner/dra"),
        observation("obs-beto", "beto", performer="Practitioner/dra"),
        observation("lab-ana", "ana", category="laboratory"),
        condition("cond-ana", "ana"),
        condition("cond-beto", "beto"),
        # dra cares for ana (an appointment through her role), nobody cares for beto.
        {"resourceType": "Appointment", "id": "cita-ana", "status": "booked",
         "start": "2026-11-30T09:00:00-05:00", "end": "2026-11-30T09:30:00-05:00",
         "participant": [{"actor": {"reference": "Patient/ana"}, "status": "accepted"},
                         {"actor": {"reference": "PractitionerRole/dra-rol"}, "status": "accepted"}]},
    )  # fmt: skip
