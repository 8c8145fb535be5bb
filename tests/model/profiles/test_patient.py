"""ec-patient: identity, names, gender, geography, extensions, and every issue reported at once."""

from __future__ import annotations

import csv
from typing import Any

import pytest

from fhir_server.i18n import translate
from fhir_server.model import canonical as c
from fhir_server.model.profiles import validate_against
from tests.conftest import IN_CI
from tests.model.profiles.support import (
    PATIENT,
    MemoryPort,
    by_expression,
    cedula,
    coded,
    dpa_port,
    ext_coding,
    fresh,
    rendered,
)
from tests.terminology.helpers import DPA_CSV

PROFILE = [c.PROFILE_PATIENT]


def _terminology() -> MemoryPort:
    port = dpa_port()
    port.value_sets[c.VS_ETNIA] = {(c.CS_ETNIA, "mestizo"), (c.CS_ETNIA, "montubio"), (c.CS_ETNIA, "indigena")}
    port.add(c.CS_NIVEL_INSTRUCCION, "superior").add(c.CS_NIVEL_INSTRUCCION, "basica")
    port.complete.add(c.CS_NIVEL_INSTRUCCION)
    return port


def test_valid_patient_without_terminology():
    assert validate_against(fresh(PATIENT), PROFILE, MemoryPort()) == []


def test_valid_patient_with_complete_terminology():
    assert validate_against(fresh(PATIENT), PROFILE, _terminology()) == []


def test_passport_instead_of_cedula():
    patient = fresh(PATIENT)
    patient["identifier"] = [{"type": coded(c.V2_0203, "PPN"), "system": c.PASSPORT_SYSTEM, "value": "AB123456"}]
    assert validate_against(patient, PROFILE, MemoryPort()) == []


def test_wrong_check_digit():
    patient = fresh(PATIENT)
    patient["identifier"][0]["value"] = "1710034064"
    issues = validate_against(patient, PROFILE, MemoryPort())
    assert rendered(issues) == [
        (
            "error",
            "Patient.identifier[0].value",
            "Patient.identifier[0].value: el dígito verificador de la cédula 1710034064 no es correcto",
        )
    ]
    assert issues[0].params["rule"] == "ec-pat-2"


def test_province_25_prefix():
    patient = fresh(PATIENT)
    patient["identifier"][0]["value"] = "2510034065"
    issues = validate_against(patient, PROFILE, MemoryPort())
    assert [(i.message, i.expression) for i in issues] == [("cedula-province", ("Patient.identifier[0].value",))]
    assert "01–24 or 30" in translate(issues[0].message, "en", issues[0].params)


def test_cedula_slice_needs_type_ni():
    patient = fresh(PATIENT)
    patient["identifier"][0]["type"] = coded(c.V2_0203, "PPN")
    issues = validate_against(patient, PROFILE, MemoryPort())
    assert [(i.message, i.expression[0]) for i in issues] == [("prof-pattern", "Patient.identifier[0].type")]


def test_no_cedula_or_passport():
    patient = fresh(PATIENT)
    patient["identifier"] = [{"system": "urn:oid:1.2.3", "value": "x"}]
    issues = validate_against(patient, PROFILE, MemoryPort())
    assert [(i.message, i.expression[0]) for i in issues] == [("prof-patient-identifier", "Patient.identifier")]


def test_two_cedulas_are_too_many():
    patient = fresh(PATIENT)
    patient["identifier"].append(dict(patient["identifier"][0], value=cedula("090000000")))
    issues = validate_against(patient, PROFILE, MemoryPort())
    assert [(i.message, i.expression[0]) for i in issues] == [("prof-max", "Patient.identifier")]


def test_missing_gender_says_male_or_female():
    patient = fresh(PATIENT)
    del patient["gender"]
    issues = validate_against(patient, PROFILE, MemoryPort())
    assert [i.expression[0] for i in issues] == ["Patient.gender"]
    english = translate(issues[0].message, "en", issues[0].params)
    spanish = translate(issues[0].message, "es", issues[0].params)
    assert "male" in english and "female" in english
    assert "male (hombre)" in spanish and "female (mujer)" in spanish


def test_surnames():
    patient = fresh(PATIENT)
    del patient["name"][0]["_family"]
    issues = validate_against(patient, PROFILE, MemoryPort())
    assert by_expression(issues) == {"Patient.name[0].family.extension": ["prof-fathers-family"]}

    patient = fresh(PATIENT)
    patient["name"][0]["family"] = "Pérez"
    issues = validate_against(patient, PROFILE, MemoryPort())
    assert [(i.severity, i.message, i.expression[0]) for i in issues] == [
        ("warning", "prof-family-surnames", "Patient.name[0].family")
    ]


def test_official_name_required():
    patient = fresh(PATIENT)
    patient["name"][0]["use"] = "usual"
    issues = validate_against(patient, PROFILE, MemoryPort())
    assert [(i.message, i.expression[0], i.params["slice"]) for i in issues] == [
        ("prof-slice-missing", "Patient.name", "official")
    ]


def test_given_required():
    patient = fresh(PATIENT)
    del patient["name"][0]["given"]
    issues = validate_against(patient, PROFILE, MemoryPort())
    assert [(i.message, i.expression[0]) for i in issues] == [("prof-required", "Patient.name[0].given")]


def _address(*codes: tuple[str, str]) -> dict[str, Any]:
    return {"extension": [ext_coding(url, code) for url, code in codes]}


def test_parish_outside_its_canton():
    patient = fresh(PATIENT)
    patient["address"] = [_address((c.EXT_PROVINCIA, "09"), (c.EXT_CANTON, "0901"), (c.EXT_PARROQUIA, "170150"))]
    issues = validate_against(patient, PROFILE, dpa_port())
    assert rendered(issues) == [
        (
            "error",
            "Patient.address[0].extension[2].valueCoding.code",
            "Patient.address[0].extension[2].valueCoding.code: parroquia 170150 no pertenece a canton 0901",
        )
    ]
    assert issues[0].params["rule"] == "ec-pat-4"


def test_canton_outside_its_province_without_terminology():
    patient = fresh(PATIENT)
    patient["address"] = [_address((c.EXT_PROVINCIA, "17"), (c.EXT_CANTON, "0901"))]
    issues = validate_against(patient, PROFILE, MemoryPort())
    assert [(i.message, i.expression[0]) for i in issues] == [
        ("prof-dpa-nesting", "Patient.address[0].extension[1].valueCoding.code")
    ]


def test_parish_checked_against_province_when_canton_is_absent():
    patient = fresh(PATIENT)
    patient["address"] = [_address((c.EXT_PROVINCIA, "17"), (c.EXT_PARROQUIA, "090150"))]
    assert [i.message for i in validate_against(patient, PROFILE, MemoryPort())] == ["prof-dpa-nesting"]


def test_unknown_codes_with_complete_and_fragment_catalogues():
    patient = fresh(PATIENT)
    patient["address"] = [_address((c.EXT_PROVINCIA, "17"), (c.EXT_CANTON, "1799"))]
    issues = validate_against(patient, PROFILE, dpa_port(complete=True))
    assert [(i.message, i.expression[0]) for i in issues] == [
        ("prof-dpa-unknown", "Patient.address[0].extension[1].valueCoding.code")
    ]
    # A fragment proves nothing by absence.
    assert validate_against(patient, PROFILE, dpa_port(complete=False)) == []


def test_catalogue_parent_disagrees():
    port = dpa_port(complete=False).add(c.CS_DPA, "170152", parents=("1702",))
    patient = fresh(PATIENT)
    patient["address"] = [_address((c.EXT_CANTON, "1701"), (c.EXT_PARROQUIA, "170152"))]
    issues = validate_against(patient, PROFILE, port)
    assert [(i.message, i.params["actual"]) for i in issues] == [("prof-dpa-parent", "1702")]


def test_dpa_code_shape():
    patient = fresh(PATIENT)
    patient["address"] = [_address((c.EXT_PROVINCIA, "170"))]
    issues = validate_against(patient, PROFILE, MemoryPort())
    assert [(i.message, i.params["digits"]) for i in issues] == [("prof-dpa-format", 2)]


def test_dpa_extension_needs_the_dpa_system():
    patient = fresh(PATIENT)
    patient["address"][0]["extension"][0]["valueCoding"]["system"] = "urn:other"
    issues = validate_against(patient, PROFILE, MemoryPort())
    assert [(i.message, i.expression[0]) for i in issues] == [
        ("prof-fixed", "Patient.address[0].extension[0].valueCoding.system")
    ]


def test_grupo_cultural_binding():
    patient = fresh(PATIENT)
    patient["extension"][0]["valueCodeableConcept"] = coded(c.CS_ETNIA, "marciano")
    issues = validate_against(patient, PROFILE, _terminology())
    assert [(i.message, i.expression[0]) for i in issues] == [
        ("prof-binding-required", "Patient.extension[0].valueCodeableConcept.coding[0].code")
    ]
    # Without the value set loaded, the code cannot be judged.
    assert validate_against(patient, PROFILE, MemoryPort()) == []


def test_grupo_cultural_needs_a_codeable_concept():
    patient = fresh(PATIENT)
    patient["extension"][0] = {"url": c.EXT_GRUPO_CULTURAL, "valueString": "mestizo"}
    issues = validate_against(patient, PROFILE, MemoryPort())
    assert by_expression(issues) == {"Patient.extension[0].valueString": ["prof-type"]}


def test_nivel_instruccion_unknown_code_in_complete_system():
    patient = fresh(PATIENT)
    patient["extension"][2]["valueCodeableConcept"] = coded(c.CS_NIVEL_INSTRUCCION, "doctorado-honoris")
    issues = validate_against(patient, PROFILE, _terminology())
    assert [(i.message, i.expression[0]) for i in issues] == [
        ("prof-binding-extensible", "Patient.extension[2].valueCodeableConcept.coding[0].code")
    ]


def test_nationality_iso_alpha_2():
    patient = fresh(PATIENT)
    patient["extension"][1]["extension"][0]["valueCodeableConcept"] = coded(c.ISO3166, "ECU")
    issues = validate_against(patient, PROFILE, MemoryPort())
    assert [(i.message, i.expression[0]) for i in issues] == [
        ("prof-nationality", "Patient.extension[1].extension[0].valueCodeableConcept.coding[0].code")
    ]


def test_every_issue_at_once():
    patient = fresh(PATIENT)
    patient["identifier"][0]["value"] = "1710034064"
    del patient["gender"]
    del patient["birthDate"]
    patient["name"][0]["family"] = "Perez"
    patient["address"][0]["extension"][2]["valueCoding"]["code"] = "090150"
    issues = validate_against(patient, PROFILE, dpa_port())
    assert sorted((i.severity, i.expression[0], i.message) for i in issues) == [
        ("error", "Patient.address[0].extension[2].valueCoding.code", "prof-dpa-nesting"),
        ("error", "Patient.birthDate", "prof-required"),
        ("error", "Patient.gender", "prof-gender-required"),
        ("error", "Patient.identifier[0].value", "cedula-check-digit"),
        ("warning", "Patient.name[0].family", "prof-family-surnames"),
    ]
    assert all(i.params["element"] == i.expression[0] for i in issues)
    for language in ("es", "en"):
        assert all(translate(i.message, language, i.params).startswith(i.expression[0] + ": ") for i in issues)


def _inec_port() -> MemoryPort:
    """The complete INEC DPA (the verified copy tests may read), as the terminology service would hold it."""
    path = DPA_CSV
    if not path.exists():
        if IN_CI:
            pytest.fail(f"{path} not found")
        pytest.skip(f"{path} not found")
    port = MemoryPort()
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            parents = (row["parent_code"],) if row["parent_code"] else ()
            port.add(c.CS_DPA, row["code"], display=row["name"], parents=parents)
    port.complete.add(c.CS_DPA)
    return port


def test_every_inec_parish_nests_in_its_canton_and_province():
    port = _inec_port()
    parishes = [info for (_, code), info in port.concepts.items() if len(code) == 6]
    assert len(parishes) > 1000
    patient = fresh(PATIENT)
    for parish in parishes:
        canton = parish.parents[0]
        province = port.concepts[(c.CS_DPA, canton)].parents[0]
        patient["address"] = [
            _address((c.EXT_PROVINCIA, province), (c.EXT_CANTON, canton), (c.EXT_PARROQUIA, parish.code))
        ]
        assert validate_against(patient, PROFILE, port) == [], parish.code


def test_inec_parish_of_another_canton():
    patient = fresh(PATIENT)
    # 090150 is Guayaquil (Guayas); Quito is 1701 (Pichincha).
    patient["address"] = [_address((c.EXT_PROVINCIA, "17"), (c.EXT_CANTON, "1701"), (c.EXT_PARROQUIA, "090150"))]
    issues = validate_against(patient, PROFILE, _inec_port())
    assert [(i.message, i.expression[0]) for i in issues] == [
        ("prof-dpa-nesting", "Patient.address[0].extension[2].valueCoding.code")
    ]
