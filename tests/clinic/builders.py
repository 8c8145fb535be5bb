"""Clinic resources as a clinic client writes them (FHIR JSON claiming the clinic profiles)."""

from __future__ import annotations

import json
from typing import Any

from fhir_server.model import canonical as c
from tests.fhir_helpers import FHIR_JSON


def coded(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    coding = {"system": system, "code": code, **({"display": display} if display else {})}
    return {"coding": [coding]}


def dpa(url: str, code: str) -> dict[str, Any]:
    return {"url": url, "valueCoding": {"system": c.CS_DPA, "code": code}}


def ec_patient(cedula: str, **fields: Any) -> dict[str, Any]:
    """S3's patient: Ana María Pérez Gómez, Cuenca (Azuay), mestiza, unión libre."""
    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "meta": {"profile": [c.PROFILE_PATIENT]},
        "extension": [
            {"url": c.EXT_NATIONALITY, "extension": [{"url": "code", "valueCodeableConcept": coded(c.ISO3166, "EC")}]},
            {"url": c.EXT_GRUPO_CULTURAL, "valueCodeableConcept": {**coded(c.CS_ETNIA, "mestizo"), "text": "mestizo"}},
        ],
        "identifier": [{"use": "official", "type": coded(c.V2_0203, "NI"), "system": c.CEDULA_SYSTEM, "value": cedula}],
        "active": True,
        "name": [
            {
                "use": "official",
                "text": "Ana María Pérez Gómez",
                "family": "Pérez Gómez",
                "_family": {
                    "extension": [
                        {"url": c.EXT_FATHERS_FAMILY, "valueString": "Pérez"},
                        {"url": c.EXT_MOTHERS_FAMILY, "valueString": "Gómez"},
                    ]
                },
                "given": ["Ana", "María"],
            }
        ],
        "telecom": [{"system": "phone", "value": "+593991234567", "use": "mobile"}],
        "gender": "female",
        "birthDate": "1990-05-10",
        "maritalStatus": {**coded(c.V3_MARITAL, "T"), "text": "Unión libre"},
        "address": [
            {
                "use": "home",
                "type": "physical",
                "extension": [
                    dpa(c.EXT_PROVINCIA, "01"),
                    dpa(c.EXT_CANTON, "0101"),
                    dpa(c.EXT_PARROQUIA, "010101"),
                    {"url": c.EXT_PRECINCT, "valueString": "El Vergel"},
                ],
                "line": ["Av. Solano 2-45"],
                "district": "Bellavista",
                "city": "Cuenca",
                "state": "Azuay",
                "country": "EC",
            }
        ],
        "contact": [
            {
                "relationship": [
                    {
                        "coding": [{"system": c.V2_0131, "code": "C"}, {"system": c.V3_ROLE, "code": "MTH"}],
                        "text": "madre",
                    }
                ],
                "name": {"text": "Rosa Gómez"},
                "telecom": [{"system": "phone", "value": "+593987654321"}],
            },
            {"relationship": [coded(c.V2_0131, "E")], "name": {"text": "Almacenes del Austro"}},
        ],
    }
    patient.update(fields)
    return patient


def vital(patient_id: str, loinc: str, value: Any, unit: str, ucum: str, **more: Any) -> dict[str, Any]:
    """An Observation claiming the clinic's profile for that LOINC code."""
    return {
        "resourceType": "Observation",
        "meta": {"profile": [c.structure_definition(c.VITAL_SIGNS[loinc][1])]},
        "status": "final",
        "category": [coded(c.OBSERVATION_CATEGORY, "vital-signs")],
        "code": coded(c.LOINC, loinc),
        "subject": {"reference": f"Patient/{patient_id}"},
        "effectiveDateTime": "2026-11-30T09:10:00-05:00",
        "valueQuantity": {"value": value, "unit": unit, "system": c.UCUM, "code": ucum},
        **more,
    }


def post(client: Any, resource: dict[str, Any], **headers: str) -> Any:
    body = json.dumps(resource)
    return client.post(f"/fhir/{resource['resourceType']}", content=body, headers={**FHIR_JSON, **headers})


def created(client: Any, resource: dict[str, Any]) -> dict[str, Any]:
    response = post(client, resource)
    assert response.status_code == 201, response.text
    stored: dict[str, Any] = response.json()
    return stored


def expressions(response: Any) -> list[str]:
    return [e for issue in response.json()["issue"] for e in issue.get("expression", [])]
