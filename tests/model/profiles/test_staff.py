"""ec-practitioner, ec-practitionerrole, ec-organization, ec-consultorio."""

from __future__ import annotations

from fhir_server.model import canonical as c
from fhir_server.model.profiles import validate_against
from fhir_server.model.profiles.identifiers import RUC_SYSTEM
from tests.model.profiles.support import CEDULA, MemoryPort, coded, fresh

PRACTITIONER = {
    "resourceType": "Practitioner",
    "identifier": [
        {"use": "official", "type": coded(c.V2_0203, "NI"), "system": c.CEDULA_SYSTEM, "value": CEDULA},
    ],
    "active": True,
    "name": [{"family": "Andrade", "given": ["María"]}],
    "qualification": [{"identifier": [{"value": "MSP-1234"}], "code": {"text": "Médica cardióloga"}}],
}

ROLE = {
    "resourceType": "PractitionerRole",
    "active": True,
    "practitioner": {"reference": "Practitioner/dr"},
    "organization": {"reference": "Organization/clinica"},
    "code": [
        {"coding": [{"system": c.CS_ROL_USUARIO, "code": "doctor"}, {"system": c.PRACTITIONER_ROLE, "code": "doctor"}]}
    ],
    "specialty": [{"coding": [{"system": c.CS_ESPECIALIDAD, "code": "cardiologia-adultos"}]}],
    "location": [{"reference": "Location/c1"}],
}

ORGANIZATION = {
    "resourceType": "Organization",
    "active": True,
    "name": "Cardiovasc",
    "identifier": [{"system": RUC_SYSTEM, "value": CEDULA + "001"}],
}

BUILDING = {
    "resourceType": "Location",
    "id": "edificio",
    "status": "active",
    "name": "Edificio principal",
    "physicalType": coded(c.LOCATION_PHYSICAL_TYPE, "bu"),
}

ROOM = {
    "resourceType": "Location",
    "identifier": [{"system": c.CONSULTORIO_NUMBER_SYSTEM, "value": "3"}],
    "status": "active",
    "name": "Consultorio 3",
    "mode": "instance",
    "physicalType": coded(c.LOCATION_PHYSICAL_TYPE, "ro"),
    "partOf": {"reference": "Location/edificio"},
    "managingOrganization": {"reference": "Organization/clinica"},
}


def _building_port() -> MemoryPort:
    return MemoryPort().store(fresh(BUILDING)).store(dict(fresh(ROOM), id="otro"))


def test_valid_staff_and_places():
    assert validate_against(fresh(PRACTITIONER), [c.PROFILE_PRACTITIONER], MemoryPort()) == []
    assert validate_against(fresh(ROLE), [c.PROFILE_PRACTITIONER_ROLE], MemoryPort()) == []
    assert validate_against(fresh(ORGANIZATION), [c.PROFILE_ORGANIZATION], MemoryPort()) == []
    assert validate_against(fresh(ROOM), [c.PROFILE_CONSULTORIO], _building_port()) == []


def test_practitioner_needs_a_valid_cedula_and_a_name():
    practitioner = fresh(PRACTITIONER)
    practitioner["identifier"] = [{"system": c.PASSPORT_SYSTEM, "value": "X1"}]
    del practitioner["name"]
    issues = validate_against(practitioner, [c.PROFILE_PRACTITIONER], MemoryPort())
    assert sorted((i.message, i.expression[0]) for i in issues) == [
        ("prof-required", "Practitioner.name"),
        ("prof-slice-missing", "Practitioner.identifier"),
    ]
    practitioner = fresh(PRACTITIONER)
    practitioner["identifier"][0]["value"] = "1710034064"
    issues = validate_against(practitioner, [c.PROFILE_PRACTITIONER], MemoryPort())
    assert [(i.message, i.expression[0], i.params["rule"]) for i in issues] == [
        ("cedula-check-digit", "Practitioner.identifier[0].value", "ec-prac-1")
    ]


def test_role_codes():
    role = fresh(ROLE)
    role["code"] = [coded(c.PRACTITIONER_ROLE, "doctor")]
    issues = validate_against(role, [c.PROFILE_PRACTITIONER_ROLE], MemoryPort())
    assert [(i.message, i.expression[0]) for i in issues] == [
        ("prof-binding-required", "PractitionerRole.code[0].coding[0].code")
    ]
    role["code"] = [coded(c.CS_ROL_USUARIO, "cirujano")]
    issues = validate_against(role, [c.PROFILE_PRACTITIONER_ROLE], MemoryPort())
    assert [i.params["code"] for i in issues] == ["cirujano"]
    role["code"] = [{"text": "médico"}]
    issues = validate_against(role, [c.PROFILE_PRACTITIONER_ROLE], MemoryPort())
    assert [(i.message, i.expression[0]) for i in issues] == [("prof-binding-no-coding", "PractitionerRole.code[0]")]


def test_role_specialty_is_extensible():
    port = MemoryPort().add(c.CS_ESPECIALIDAD, "cardiologia-adultos")
    port.complete.add(c.CS_ESPECIALIDAD)
    role = fresh(ROLE)
    role["specialty"].append(coded(c.SNOMED, "394579002"))  # other systems are fine
    assert validate_against(role, [c.PROFILE_PRACTITIONER_ROLE], port) == []
    role["specialty"].append(coded(c.CS_ESPECIALIDAD, "astrologia"))
    issues = validate_against(role, [c.PROFILE_PRACTITIONER_ROLE], port)
    assert [(i.message, i.expression[0]) for i in issues] == [
        ("prof-binding-extensible", "PractitionerRole.specialty[2].coding[0].code")
    ]


def test_role_references():
    role = fresh(ROLE)
    del role["practitioner"]
    role["location"] = [{"reference": "Organization/x"}]
    issues = validate_against(role, [c.PROFILE_PRACTITIONER_ROLE], MemoryPort())
    assert sorted((i.message, i.expression[0]) for i in issues) == [
        ("prof-reference-type", "PractitionerRole.location[0].reference"),
        ("prof-required", "PractitionerRole.practitioner"),
    ]


def test_organization_rules():
    organization = fresh(ORGANIZATION)
    organization["identifier"][0]["value"] = "171003406500"
    del organization["name"]
    issues = validate_against(organization, [c.PROFILE_ORGANIZATION], MemoryPort())
    assert sorted((i.message, i.expression[0]) for i in issues) == [
        ("prof-required", "Organization.name"),
        ("prof-ruc", "Organization.identifier[0].value"),
    ]


def test_consultorio_must_be_inside_a_building():
    room = fresh(ROOM)
    room["partOf"] = {"reference": "Location/otro"}
    issues = validate_against(room, [c.PROFILE_CONSULTORIO], _building_port())
    assert [(i.message, i.expression[0], i.params["rule"]) for i in issues] == [
        ("prof-consultorio-site", "Location.partOf", "ec-loc-1")
    ]
    room["partOf"] = {"reference": "Location/nowhere"}
    issues = validate_against(room, [c.PROFILE_CONSULTORIO], _building_port())
    assert [i.message for i in issues] == ["prof-reference-unresolved"]


def test_consultorio_structure():
    room = fresh(ROOM)
    room["mode"] = "kind"
    room["physicalType"] = coded(c.LOCATION_PHYSICAL_TYPE, "wa")
    del room["partOf"]
    del room["name"]
    issues = validate_against(room, [c.PROFILE_CONSULTORIO], _building_port())
    assert sorted((i.message, i.expression[0]) for i in issues) == [
        ("prof-fixed", "Location.mode"),
        ("prof-pattern", "Location.physicalType"),
        ("prof-required", "Location.name"),
        ("prof-required", "Location.partOf"),
    ]
