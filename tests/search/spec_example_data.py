"""A small, hand-made clinic dataset for the R4 search examples (tests/search/test_spec_examples.py).

Every resource has a client-assigned id (loaded with PUT) and ids are unique across types, so the
expected results of a query can be written as plain ids. ``EARLIER_VERSIONS`` are loaded first and
then replaced, so their old values must no longer match; ``DELETED`` lists resources that are loaded
and then deleted: they must never appear in any result.

Dates without an offset are read in the server's zone, America/Guayaquil (UTC-5, no daylight
saving), so ``2013-01-31T23:30:00-05:00`` and ``2013-02-01T03:00:00Z`` are both on 31 January
there, while ``2013-02-01T00:30:00-05:00`` is on 1 February.
"""

from __future__ import annotations

from typing import Any

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ATC = "http://www.whocc.no/atc"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CEDULA = "https://registrocivil.gob.ec/cedula"
HOSPITAL_MRN = "http://hospital-metropolitano.ec/mrn"
PASSPORT = "http://example.org/passport"
TAGS = "http://example.org/tags"
LAB_PROFILE = "http://example.org/fhir/StructureDefinition/lab-result"
CORE_PROFILE = "http://hl7.org/fhir/StructureDefinition/"
ASTHMA_VS = "http://example.org/fhir/ValueSet/asthma"
GLUCOSE_VS = "http://example.org/fhir/ValueSet/glucose"
SERVER_BASE = "http://testserver/fhir"

Resource = dict[str, Any]


def _ref(target: str) -> dict[str, str]:
    return {"reference": target}


def _identifier(system: str | None, value: str, type_code: str | None = None, text: str | None = None) -> Resource:
    identifier: Resource = {"value": value}
    if system is not None:
        identifier["system"] = system
    if type_code is not None or text is not None:
        identifier_type: Resource = {}
        if type_code is not None:
            identifier_type["coding"] = [{"system": V2_0203, "code": type_code}]
        if text is not None:
            identifier_type["text"] = text
        identifier["type"] = identifier_type
    return identifier


def _concept(system: str, code: str, display: str | None = None, text: str | None = None) -> Resource:
    coding: Resource = {"system": system, "code": code}
    if display is not None:
        coding["display"] = display
    concept: Resource = {"coding": [coding]}
    if text is not None:
        concept["text"] = text
    return concept


def _quantity(value: float | int, code: str) -> Resource:
    return {"value": value, "unit": code, "system": UCUM, "code": code}


def _category(code: str) -> list[Resource]:
    return [_concept(OBS_CATEGORY, code)]


# --- Organizations: org3 is part of org2, which is part of org1 ---------------------------------

ORGANIZATIONS: list[Resource] = [
    {
        "resourceType": "Organization",
        "id": "org1",
        "identifier": [{"system": "http://sri.gob.ec/ruc", "value": "1760001550001"}],
        "name": "Ministerio de Salud Pública",
    },
    {
        "resourceType": "Organization",
        "id": "org2",
        "name": "Hospital Metropolitano",
        "alias": ["HM"],
        "partOf": _ref("Organization/org1"),
    },
    {
        "resourceType": "Organization",
        "id": "org3",
        "name": "Laboratorio Clínico Central",
        "partOf": _ref("Organization/org2"),
    },
]

PRACTITIONERS: list[Resource] = [
    {
        "resourceType": "Practitioner",
        "id": "pr1",
        "identifier": [{"system": "http://senescyt.gob.ec/registro", "value": "1001"}],
        "active": True,
        "name": [{"family": "Andrade", "given": ["Carlos"], "prefix": ["Dr."]}],
        "gender": "male",
    },
    {
        "resourceType": "Practitioner",
        "id": "pr2",
        "name": [{"family": "Mendoza", "given": ["Lucía"]}],
        "gender": "female",
    },
    {
        "resourceType": "Practitioner",
        "id": "pr3",
        "name": [{"family": "Pérez", "given": ["José", "Luis"]}],
        "gender": "male",
    },
]

# --- Patients: p4 before p3 (p3 links to p4); p6 is deleted after loading ----------------------

PATIENTS: list[Resource] = [
    {
        "resourceType": "Patient",
        "id": "p1",
        "identifier": [
            _identifier(CEDULA, "1710034065", "NI", "Cédula de identidad"),
            _identifier(HOSPITAL_MRN, "MRN-001", "MR"),
        ],
        "active": True,
        "name": [{"use": "official", "family": "Núñez", "given": ["José", "Antonio"]}],
        "telecom": [
            {"system": "phone", "value": "02 234 5678", "use": "home"},
            {"system": "email", "value": "jose.nunez@example.ec"},
        ],
        "gender": "male",
        "birthDate": "1980-04-01",
        "address": [
            {
                "line": ["Av. Amazonas N34-451"],
                "city": "Quito",
                "state": "Pichincha",
                "postalCode": "170135",
                "country": "EC",
            }
        ],
        "generalPractitioner": [_ref("Practitioner/pr1")],
        "managingOrganization": _ref("Organization/org2"),
    },
    {
        "resourceType": "Patient",
        "id": "p2",
        "identifier": [
            _identifier(CEDULA, "0102030405", "NI", "Cédula de identidad"),
            _identifier(HOSPITAL_MRN, "MRN-002", "MR"),
        ],
        "active": True,
        "name": [{"family": "Guamán", "given": ["María", "Fernanda"]}],
        "telecom": [{"system": "phone", "value": "07 283 1234"}],
        "gender": "female",
        "birthDate": "1975-12-31",
        "address": [{"line": ["Calle Larga 7-11, piso 2"], "city": "Cuenca", "state": "Azuay", "country": "EC"}],
        "generalPractitioner": [_ref("Practitioner/pr2")],
        "managingOrganization": _ref("Organization/org3"),
    },
    {
        "resourceType": "Patient",
        "id": "p4",
        "name": [{"family": "Nunez", "given": ["Pedro"]}],
        "birthDate": "2013",
    },
    {
        "resourceType": "Patient",
        "id": "p3",
        "identifier": [_identifier(None, "MRN-003", "MR")],
        "active": False,
        "name": [{"family": "Pérez", "given": ["Josefina"]}],
        "gender": "female",
        "birthDate": "2013-01-15",
        "link": [{"other": _ref("Patient/p4"), "type": "seealso"}],
    },
    {
        "resourceType": "Patient",
        "id": "p5",
        "identifier": [_identifier(PASSPORT, "A1234567", "PPN")],
        "active": True,
        "name": [{"family": "Torres", "given": ["Ana", "Lucía"]}],
        "telecom": [{"system": "email", "value": "ana.torres@example.ec"}],
        "gender": "female",
        "birthDate": "1990-06-15",
        "address": [{"city": "Guayaquil", "state": "Guayas", "country": "EC"}],
        "generalPractitioner": [_ref("Practitioner/pr1")],
    },
    {
        "resourceType": "Patient",
        "id": "p6",
        "identifier": [_identifier(CEDULA, "9999999999", "NI", "Cédula de identidad")],
        "active": True,
        "name": [{"family": "Borrado", "given": ["José"]}],
        "gender": "male",
        "birthDate": "2013-01-15",
        "address": [{"city": "Quito", "state": "Pichincha"}],
        "generalPractitioner": [_ref("Practitioner/pr3")],
    },
]

ENCOUNTERS: list[Resource] = [
    {
        "resourceType": "Encounter",
        "id": "enc1",
        "status": "finished",
        "class": {"system": ACT_CODE, "code": "AMB"},
        "subject": _ref("Patient/p1"),
        "participant": [{"individual": _ref("Practitioner/pr1")}],
        "period": {"start": "2013-01-10T09:00:00-05:00", "end": "2013-01-10T10:00:00-05:00"},
        "serviceProvider": _ref("Organization/org2"),
    },
    {
        "resourceType": "Encounter",
        "id": "enc2",
        "status": "in-progress",
        "class": {"system": ACT_CODE, "code": "AMB"},
        "subject": _ref("Patient/p2"),
        "period": {"start": "2024-03-01T08:00:00-05:00"},
    },
]


def _observation(obs_id: str, status: str, code: Resource, subject: str, **fields: Any) -> Resource:
    resource: Resource = {
        "resourceType": "Observation",
        "id": obs_id,
        "status": status,
        "code": code,
        "subject": _ref(subject),
    }
    resource.update(fields)
    return resource


GLUCOSE_MOLAR = _concept(LOINC, "15074-8", "Glucose [Moles/volume] in Blood")
GLUCOSE_MASS = _concept(LOINC, "2345-7", "Glucose [Mass/volume] in Serum or Plasma")
BLOOD_PRESSURE = _concept(LOINC, "85354-9", "Blood pressure panel with all children optional")


def _bp_components(systolic: int, diastolic: int) -> list[Resource]:
    return [
        {"code": _concept(LOINC, "8480-6", "Systolic blood pressure"), "valueQuantity": _quantity(systolic, "mm[Hg]")},
        {
            "code": _concept(LOINC, "8462-4", "Diastolic blood pressure"),
            "valueQuantity": _quantity(diastolic, "mm[Hg]"),
        },
    ]


OBSERVATIONS: list[Resource] = [
    _observation(
        "obs1",
        "final",
        GLUCOSE_MOLAR,
        "Patient/p1",
        meta={"tag": [{"system": TAGS, "code": "research"}], "profile": [LAB_PROFILE]},
        category=_category("laboratory"),
        encounter=_ref("Encounter/enc1"),
        effectiveDateTime="2013-01-10T09:30:00-05:00",
        valueQuantity=_quantity(5.4, "mmol/L"),
    ),
    _observation(
        "obs2",
        "final",
        GLUCOSE_MASS,
        "Patient/p2",
        meta={"profile": [LAB_PROFILE]},
        category=_category("laboratory"),
        effectiveDateTime="2013-01-31T23:30:00-05:00",
        valueQuantity=_quantity(100, "mg/dL"),
    ),
    _observation(
        "obs3",
        "final",
        _concept(LOINC, "29463-7", "Body weight"),
        "Patient/p3",
        meta={"profile": [CORE_PROFILE + "bodyweight"]},
        category=_category("vital-signs"),
        effectiveDateTime="2013-02-01T03:00:00Z",
        valueQuantity=_quantity(1500, "g"),
    ),
    _observation(
        "obs4",
        "final",
        BLOOD_PRESSURE,
        "Patient/p1",
        meta={"profile": [CORE_PROFILE + "bp"]},
        category=_category("vital-signs"),
        effectivePeriod={"start": "2024-05-10T08:00:00-05:00", "end": "2024-05-10T08:15:00-05:00"},
        component=_bp_components(150, 95),
    ),
    _observation(
        "obs5",
        "final",
        BLOOD_PRESSURE,
        "Patient/p2",
        meta={"profile": [CORE_PROFILE + "bp"], "security": [{"system": CONFIDENTIALITY, "code": "R"}]},
        category=_category("vital-signs"),
        effectiveDateTime="2024-05-11",
        component=_bp_components(120, 80),
    ),
    _observation(
        "obs6",
        "final",
        GLUCOSE_MOLAR,
        "Patient/p5",
        meta={"tag": [{"system": TAGS, "code": "research"}]},
        category=_category("laboratory"),
        effectiveDateTime="2023-06-15T10:00:00-05:00",
        valueQuantity=_quantity(5.41, "mmol/L"),
    ),
    _observation(
        "obs7",
        "amended",
        GLUCOSE_MOLAR,
        "Patient/p5",
        category=_category("laboratory"),
        effectiveDateTime="2023-07-01",
        valueQuantity=_quantity(5.46, "mmol/L"),
    ),
    {
        "resourceType": "Observation",
        "id": "obs8",
        "status": "final",
        "category": _category("laboratory"),
        "code": _concept(LOINC, "883-9", "ABO group [Type] in Blood"),
        "subject": {"reference": "Patient/p2", "identifier": {"system": CEDULA, "value": "0102030405"}},
        "effectiveDateTime": "2024-05-11T00:30:00Z",
        "valueCodeableConcept": _concept(SNOMED, "112144000", "Blood group A (finding)"),
    },
    _observation(
        "obs9",
        "preliminary",
        _concept(LOINC, "48767-8", "Annotation comment [Interpretation] Narrative"),
        "Patient/p1",
        effectiveDateTime="2013-02-01T00:30:00-05:00",
        valueString="Paciente en ayunas",
    ),
    _observation("obs10", "cancelled", GLUCOSE_MOLAR, "Patient/p3", category=_category("laboratory")),
    _observation(
        "obs11",
        "final",
        _concept(LOINC, "8310-5", "Body temperature"),
        f"{SERVER_BASE}/Patient/p4",
        meta={"profile": [CORE_PROFILE + "bodytemp"]},
        category=_category("vital-signs"),
        effectivePeriod={"start": "2024-05-12T10:00:00-05:00"},
        valueQuantity=_quantity(37.5, "Cel"),
    ),
    _observation(
        "obs12",
        "final",
        _concept(LOINC, "718-7", "Hemoglobin [Mass/volume] in Blood"),
        "Patient/p6",
        category=_category("laboratory"),
        effectiveDateTime="2024-01-05",
        valueQuantity=_quantity(13.5, "g/dL"),
    ),
    _observation(
        "obs-del",
        "final",
        _concept(LOINC, "2093-3", "Cholesterol [Mass/volume] in Serum or Plasma"),
        "Patient/p1",
        meta={"tag": [{"system": TAGS, "code": "research"}], "profile": [LAB_PROFILE]},
        category=_category("laboratory"),
        effectiveDateTime="2013-01-15",
        valueQuantity=_quantity(5.4, "mmol/L"),
    ),
]


def _condition(cond_id: str, code: Resource, subject: str, clinical: str | None, **fields: Any) -> Resource:
    resource: Resource = {"resourceType": "Condition", "id": cond_id, "code": code, "subject": _ref(subject)}
    if clinical is not None:
        resource["clinicalStatus"] = _concept(CLINICAL, clinical)
    resource.update(fields)
    return resource


CONDITIONS: list[Resource] = [
    _condition(
        "c1",
        _concept(ICD10, "J45", "Asthma", text="Asma bronquial"),
        "Patient/p1",
        "active",
        verificationStatus=_concept(VERIFICATION, "confirmed"),
        onsetDateTime="2010-03-15",
    ),
    _condition(
        "c2",
        _concept(ICD10, "J45.0", "Asma predominantemente alérgica"),
        "Patient/p2",
        "active",
        onsetDateTime="2013-01-20T10:00:00-05:00",
    ),
    _condition(
        "c3",
        _concept(ICD10, "J45.9", "Asthma, unspecified", text="Asma no especificada"),
        "Patient/p3",
        "resolved",
        onsetDateTime="2015",
        abatementDateTime="2016",
    ),
    _condition(
        "c4",
        _concept(ICD10, "E11.9", "Type 2 diabetes mellitus without complications"),
        "Patient/p1",
        "active",
        onsetDateTime="2018-07",
    ),
    _condition("c5", _concept(ICD10, "J46", "Estado asmático"), "Patient/p5", "inactive"),
    _condition(
        "c6",
        _concept(ICD10, "E11.9", text="Diabetes"),
        "Patient/p4",
        None,
        verificationStatus=_concept(VERIFICATION, "provisional"),
        onsetDateTime="2020-02-29",
    ),
    _condition(
        "c7",
        _concept(SNOMED, "38341003", "Hypertensive disorder", text="Hipertensión arterial"),
        "Patient/p2",
        "active",
        onsetDateTime="2019-05-01",
    ),
]

APPOINTMENTS: list[Resource] = [
    {
        "resourceType": "Appointment",
        "id": "ap1",
        "status": "booked",
        "start": "2024-06-01T09:00:00-05:00",
        "end": "2024-06-01T09:30:00-05:00",
        "participant": [
            {"actor": _ref("Patient/p1"), "status": "accepted"},
            {"actor": _ref("Practitioner/pr1"), "status": "accepted"},
        ],
    },
    {
        "resourceType": "Appointment",
        "id": "ap2",
        "status": "cancelled",
        "start": "2024-06-02T10:00:00-05:00",
        "end": "2024-06-02T10:30:00-05:00",
        "participant": [{"actor": _ref("Patient/p2"), "status": "declined"}],
    },
]

LAB_REPORT = _concept(LOINC, "11502-2", "Laboratory report")

DIAGNOSTIC_REPORTS: list[Resource] = [
    {
        "resourceType": "DiagnosticReport",
        "id": "dr1",
        "status": "final",
        "code": LAB_REPORT,
        "subject": _ref("Patient/p1"),
        "encounter": _ref("Encounter/enc1"),
        "issued": "2013-01-11T10:00:00-05:00",
        "result": [_ref("Observation/obs1"), _ref("Observation/obs9")],
    },
    {
        "resourceType": "DiagnosticReport",
        "id": "dr2",
        "status": "preliminary",
        "code": LAB_REPORT,
        "subject": _ref("Patient/p2"),
        "result": [_ref("Observation/obs2")],
    },
    {
        "resourceType": "DiagnosticReport",
        "id": "dr3",
        "status": "final",
        "code": LAB_REPORT,
        "subject": _ref("Patient/p1"),
        "result": [_ref("Observation/obs-del"), _ref("Observation/obs1")],
    },
]

MEDICATION_REQUESTS: list[Resource] = [
    {
        "resourceType": "MedicationRequest",
        "id": "mr1",
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": _concept(ATC, "A10BA02", "metformin"),
        "subject": _ref("Patient/p1"),
        "authoredOn": "2024-05-10T09:00:00-05:00",
        "requester": _ref("Practitioner/pr1"),
    },
    {
        "resourceType": "MedicationRequest",
        "id": "mr2",
        "status": "stopped",
        "intent": "order",
        "medicationCodeableConcept": _concept(ATC, "R03AC02", "salbutamol"),
        "subject": _ref("Patient/p5"),
        "authoredOn": "2023-01-15",
        "requester": _ref("Practitioner/pr2"),
    },
]

RISK_ASSESSMENTS: list[Resource] = [
    {
        "resourceType": "RiskAssessment",
        "id": "ra1",
        "status": "final",
        "subject": _ref("Patient/p1"),
        "prediction": [{"outcome": {"text": "Crisis asmática"}, "probabilityDecimal": 0.8}],
    },
    {
        "resourceType": "RiskAssessment",
        "id": "ra2",
        "status": "final",
        "subject": _ref("Patient/p2"),
        "prediction": [{"outcome": {"text": "Crisis asmática"}, "probabilityDecimal": 0.27}],
    },
]

LISTS: list[Resource] = [
    {
        "resourceType": "List",
        "id": "list1",
        "status": "current",
        "mode": "working",
        "title": "Pacientes en control",
        "entry": [
            {"item": _ref("Patient/p1")},
            {"item": _ref("Patient/p2")},
            {"item": _ref("Patient/p6")},
        ],
    }
]

VALUE_SETS: list[Resource] = [
    {
        "resourceType": "ValueSet",
        "id": "vs1",
        "url": ASTHMA_VS,
        "name": "AsthmaSubtypes",
        "status": "active",
        "compose": {"include": [{"system": ICD10, "concept": [{"code": "J45.0"}, {"code": "J45.9"}]}]},
    },
    {
        "resourceType": "ValueSet",
        "id": "vs2",
        "url": GLUCOSE_VS,
        "name": "GlucoseTests",
        "status": "active",
        "compose": {"include": [{"system": LOINC, "concept": [{"code": "15074-8"}, {"code": "2345-7"}]}]},
    },
    {
        "resourceType": "ValueSet",
        "id": "vs3",
        "url": "http://hl7.org.ec/fhir/ValueSet/hypertension",
        "name": "Hypertension",
        "status": "draft",
        "compose": {"include": [{"system": SNOMED, "concept": [{"code": "38341003"}]}]},
    },
]

# In load order: every reference points at a resource loaded before it.
RESOURCES: list[Resource] = [
    *ORGANIZATIONS,
    *PRACTITIONERS,
    *PATIENTS,
    *ENCOUNTERS,
    *OBSERVATIONS,
    *CONDITIONS,
    *APPOINTMENTS,
    *DIAGNOSTIC_REPORTS,
    *MEDICATION_REQUESTS,
    *RISK_ASSESSMENTS,
    *LISTS,
    *VALUE_SETS,
]

# Loaded first, then replaced by the versions above: only current versions are searched.
EARLIER_VERSIONS: list[Resource] = [
    {
        "resourceType": "Patient",
        "id": "p2",
        "name": [{"family": "Guamán Viejo", "given": ["María"]}],
        "gender": "male",
        "birthDate": "1975-12-30",
        "address": [{"city": "Loja"}],
    },
    {"resourceType": "Organization", "id": "org3", "name": "Laboratorio Antiguo"},
]

# Deleted once everything is loaded; still referenced by obs12, dr3 and list1.
DELETED: list[tuple[str, str]] = [("Patient", "p6"), ("Observation", "obs-del")]
