"""An in-memory ValidationPort from explicit synthetic codes, and valid example resources.

The port stands in for the terminology service and the write path's reference resolver: every
code it knows is written here, so each test says exactly what the server "has loaded".
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from fhir_server.i18n import translate
from fhir_server.model import canonical as c
from fhir_server.model.profiles.cedula import check_digit
from fhir_server.model.profiles.port import ConceptInfo


@dataclass
class MemoryPort:
    concepts: dict[tuple[str, str], ConceptInfo] = field(default_factory=dict)
    complete: set[str] = field(default_factory=set)
    value_sets: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, system: str, code: str, **info: Any) -> MemoryPort:
        self.concepts[(system, code)] = ConceptInfo(system, code, **info)
        return self

    def concept(self, system: str, code: str) -> ConceptInfo | None:
        return self.concepts.get((system, code))

    def knows_system(self, system: str) -> bool:
        return system in self.complete

    def in_value_set(self, value_set: str, system: str | None, code: str) -> bool | None:
        members = self.value_sets.get(value_set)
        if members is None:
            return None
        return any(code == member_code and system in (None, member_system) for member_system, member_code in members)

    def resolve(self, reference: str) -> dict[str, Any] | None:
        return self.resources.get(reference)

    def store(self, resource: dict[str, Any]) -> MemoryPort:
        self.resources[f"{resource['resourceType']}/{resource['id']}"] = resource
        return self


def cedula(first_nine: str) -> str:
    """A cédula with the right check digit."""
    return first_nine + str(check_digit(first_nine))


def rendered(issues: list[Any], language: str = "es") -> list[tuple[str, str, str]]:
    """(severity, expression, text) of each issue, for readable assertions."""
    return [
        (i.severity, i.expression[0] if i.expression else "", translate(i.message, language, i.params)) for i in issues
    ]


def by_expression(issues: list[Any]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for issue in issues:
        found.setdefault(issue.expression[0], []).append(issue.message)
    return found


def coded(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


def ext_coding(url: str, code: str) -> dict[str, Any]:
    return {"url": url, "valueCoding": {"system": c.CS_DPA, "code": code}}


# Valid examples --------------------------------------------------------------------------------

CEDULA = cedula("171003406")  # Pichincha, natural person

PATIENT: dict[str, Any] = {
    "resourceType": "Patient",
    "id": "p1",
    "extension": [
        {"url": c.EXT_GRUPO_CULTURAL, "valueCodeableConcept": coded(c.CS_ETNIA, "mestizo")},
        {
            "url": c.EXT_NATIONALITY,
            "extension": [{"url": "code", "valueCodeableConcept": coded(c.ISO3166, "EC")}],
        },
        {"url": c.EXT_NIVEL_INSTRUCCION, "valueCodeableConcept": coded(c.CS_NIVEL_INSTRUCCION, "superior")},
    ],
    "identifier": [
        {
            "use": "official",
            "type": coded(c.V2_0203, "NI"),
            "system": c.CEDULA_SYSTEM,
            "value": CEDULA,
        }
    ],
    "name": [
        {
            "use": "official",
            "family": "Pérez López",
            "_family": {
                "extension": [
                    {"url": c.EXT_FATHERS_FAMILY, "valueString": "Pérez"},
                    {"url": c.EXT_MOTHERS_FAMILY, "valueString": "López"},
                ]
            },
            "given": ["Juan", "Carlos"],
        }
    ],
    "gender": "male",
    "birthDate": "1980-04-12",
    "address": [
        {
            "use": "home",
            "extension": [
                ext_coding(c.EXT_PROVINCIA, "17"),
                ext_coding(c.EXT_CANTON, "1701"),
                ext_coding(c.EXT_PARROQUIA, "170150"),
                {"url": c.EXT_PRECINCT, "valueString": "La Floresta"},
            ],
            "line": ["Av. 12 de Octubre N24-00"],
            "city": "Quito",
            "state": "Pichincha",
            "country": "EC",
        }
    ],
}


def vital(loinc: str, value: Any, unit: str, code: str, **more: Any) -> dict[str, Any]:
    observation: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "category": [coded(c.OBSERVATION_CATEGORY, "vital-signs")],
        "code": coded(c.LOINC, loinc),
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2024-05-02T09:30:00-05:00",
        "valueQuantity": {"value": value, "unit": unit, "system": c.UCUM, "code": code},
    }
    observation.update(more)
    return observation


def blood_pressure(systolic: Any, diastolic: Any) -> dict[str, Any]:
    observation = vital("85354-9", 0, "", "")
    del observation["valueQuantity"]
    observation["component"] = [
        {
            "code": coded(c.LOINC, loinc),
            "valueQuantity": {"value": value, "unit": "mmHg", "system": c.UCUM, "code": "mm[Hg]"},
        }
        for loinc, value in (("8480-6", systolic), ("8462-4", diastolic))
    ]
    return observation


def fresh(resource: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(resource)


def dpa_port(*, complete: bool = True) -> MemoryPort:
    """Pichincha / Quito / a few parishes, and Guayas / Guayaquil (synthetic subset with real codes)."""
    port = MemoryPort()
    port.add(c.CS_DPA, "17", display="PICHINCHA").add(c.CS_DPA, "09", display="GUAYAS")
    port.add(c.CS_DPA, "1701", display="QUITO", parents=("17",)).add(
        c.CS_DPA, "0901", display="GUAYAQUIL", parents=("09",)
    )
    port.add(c.CS_DPA, "170150", display="QUITO", parents=("1701",))
    port.add(c.CS_DPA, "170151", display="ALANGASÍ", parents=("1701",))
    port.add(c.CS_DPA, "090150", display="GUAYAQUIL", parents=("0901",))
    if complete:
        port.complete.add(c.CS_DPA)
    return port
