"""The EHR import's insurance, diagnoses and "no family history", read back through the FHIR API.

Patients.tipo_seguro becomes a Coverage paid by an insurer Organization (or by the patient), the
Encounter of a consultation lists its Conditions, and "sin antecedentes" becomes an empty family-history
List saying none are known.
"""

from __future__ import annotations

from typing import Any

import psycopg
from fastapi.testclient import TestClient

from fhir_server.mappings.legacy.ehr.common import rid
from fhir_server.model import canonical as c
from fhir_server.settings import Settings
from fhir_server.storage.repository import SqlStorage
from tests.mappings.legacy.conftest import LegacyEhr
from tests.mappings.legacy.test_ehr_import import _all, _import

NIL_KNOWN = "http://terminology.hl7.org/CodeSystem/list-empty-reason"
# Legacy text (stripped) -> (tipo-seguro code, who pays: an insurer key of the aseguradora table, or "patient").
EXPECTED: dict[str, tuple[str | None, str | None]] = {
    "IESS": ("iess", "iess"),
    "iess": ("iess", "iess"),
    "Seguro Social Campesino": ("iess-campesino", "iess"),
    "ISSFA": ("issfa", "issfa"),
    "isspol": ("isspol", "isspol"),
    "Policía": ("isspol", "isspol"),
    "Privado": ("privado", "privado"),
    "Seguro privado": ("privado", "privado"),
    "ninguno": ("ninguno", "patient"),
    "Particular": ("ninguno", "patient"),
    "Convenio municipal": (None, None),  # unrecognised: text only, payor named by the text
    "IESS / privado": (None, None),  # two kinds at once
}


def _legacy_rows(legacy: LegacyEhr, sql: str) -> list[dict[str, Any]]:
    with psycopg.connect(legacy.url, row_factory=psycopg.rows.dict_row) as conn:
        return conn.execute(sql).fetchall()


def _search(client: TestClient, type_name: str, **params: str) -> list[dict[str, Any]]:
    response = client.get(f"/fhir/{type_name}", params={**params, "_count": "200"})
    assert response.status_code == 200, response.text
    return [entry["resource"] for entry in response.json().get("entry", [])]


def _get(client: TestClient, reference: str) -> dict[str, Any]:
    response = client.get(f"/fhir/{reference}")
    assert response.status_code == 200, reference
    body: dict[str, Any] = response.json()
    return body


def test_each_insured_patient_has_a_coverage_paid_by_its_insurer_or_by_the_patient(
    clinic_target: SqlStorage, settings: Settings, legacy_ehr: LegacyEhr, client: TestClient
) -> None:
    report = _import(clinic_target, settings, legacy_ehr)

    assert report.reconciles()
    patients = _legacy_rows(legacy_ehr, 'SELECT id, tipo_seguro FROM "Patients" ORDER BY id')
    insured = [(p["id"], p["tipo_seguro"].strip()) for p in patients if (p["tipo_seguro"] or "").strip()]
    assert len(insured) < len(patients)  # empty and NULL values: no Coverage
    assert report.types["Coverage"].created == len(insured)
    for key, text in insured:
        code, payor = EXPECTED[text]
        found = _search(client, "Coverage", beneficiary=f"Patient/{rid('Patients', key)}")
        assert len(found) == 1, text
        coverage = found[0]
        assert coverage["id"] == rid("Patients", key, "coverage") and coverage["status"] == "active"
        assert {"use": "old", "system": f"{c.CANONICAL_BASE}/sid/legacy/ehr/Patients.tipo_seguro",
                "value": str(key)} in coverage["identifier"]  # fmt: skip
        assert coverage["type"]["text"] == text
        if code is None:
            assert "coding" not in coverage["type"] and coverage["payor"] == [{"display": text}]
            continue
        assert coverage["type"]["coding"][0]["system"] == c.CS_TIPO_SEGURO
        assert coverage["type"]["coding"][0]["code"] == code
        if payor == "patient":
            assert coverage["payor"] == [{"reference": f"Patient/{rid('Patients', key)}"}]
        else:
            assert coverage["payor"] == [{"reference": f"Organization/{rid('aseguradora', payor)}"}]
    # Insurers: one Organization each, with the legacy identifier, and a Coverage search by payor finds theirs.
    assert report.tables["aseguradora"].read == report.tables["aseguradora"].imported == 4
    iess = _get(client, f"Organization/{rid('aseguradora', 'iess')}")
    assert iess["alias"] == ["IESS"] and iess["type"][0]["coding"][0]["code"] == "ins"
    assert {"use": "old", "system": f"{c.CANONICAL_BASE}/sid/legacy/ehr/aseguradora", "value": "iess"} in iess[
        "identifier"
    ]
    paid_by_iess = _search(client, "Coverage", payor=f"Organization/{iess['id']}")
    assert len(paid_by_iess) == sum(1 for _, text in insured if EXPECTED[text][1] == "iess")
    private = _get(client, f"Organization/{rid('aseguradora', 'privado')}")
    assert private["name"] == "Aseguradora privada"
    # Unrecognised values are findings, worded in both languages.
    unknown = [f for f in report.findings if f.code == "seguro-desconocido"]
    assert {f.row for f in unknown} == {f"id={key}" for key, text in insured if EXPECTED[text][0] is None}
    assert all(f.outcome == "kept" for f in unknown)
    assert any("Convenio municipal" in f.message_es and "Convenio municipal" in f.message_en for f in unknown)

    # A second run writes no insurer or Coverage again.
    again = _import(clinic_target, settings, legacy_ehr)
    assert again.types["Coverage"].unchanged == len(insured) and again.types["Coverage"].created == 0
    assert again.types["Organization"].created == again.types["Organization"].updated == 0


def test_the_encounter_lists_its_conditions_and_no_family_history_is_a_nil_known_list(
    clinic_target: SqlStorage, settings: Settings, legacy_ehr: LegacyEhr, client: TestClient
) -> None:
    report = _import(clinic_target, settings, legacy_ehr)

    # The spot evolución's Encounter lists its diagnoses in the order the doctor entered them.
    key = legacy_ehr.planted.spot_evolucion
    impression = _get(client, f"ClinicalImpression/{rid('Evoluciones', key)}")
    encounter = _get(client, impression["encounter"]["reference"])
    diagnoses = _legacy_rows(legacy_ehr, f"SELECT id FROM diagnosticos WHERE evolucionid = {key} ORDER BY id")
    assert encounter["diagnosis"] == [
        {"condition": {"reference": f"Condition/{rid('diagnosticos', d['id'])}"}, "rank": rank}
        for rank, d in enumerate(diagnoses, 1)
    ]
    for listed in encounter["diagnosis"]:
        condition = _get(client, listed["condition"]["reference"])
        assert condition["encounter"] == impression["encounter"]
    # Every imported Condition is listed by the Encounter it points to.
    encounters = {e["id"]: e for e in _all(clinic_target, "Encounter")}
    for condition in _all(clinic_target, "Condition"):
        listed = encounters[condition["encounter"]["reference"].split("/")[1]].get("diagnosis", [])
        assert {"reference": f"Condition/{condition['id']}"} in [d["condition"] for d in listed]

    # "Sin antecedentes" alone: a List saying none are known, and no FamilyMemberHistory.
    nil = legacy_ehr.planted.nil_family
    impression = _get(client, f"ClinicalImpression/{rid('Evoluciones', nil)}")
    patient = impression["subject"]["reference"]
    found = _search(client, "List", subject=patient, code=f"{c.LOINC}|10157-6")
    nil_lists = [x for x in found if x["id"] == rid("Evoluciones", nil, "familia-sin_antecedentes")]
    assert len(nil_lists) == 1
    family = nil_lists[0]
    assert family["status"] == "current" and family["mode"] == "snapshot" and "entry" not in family
    assert family["emptyReason"]["coding"] == [{"system": NIL_KNOWN, "code": "nilknown", "display": "Nil Known"}]
    assert family["encounter"] == impression["encounter"] and family["subject"] == impression["subject"]
    assert {"use": "old", "system": f"{c.CANONICAL_BASE}/sid/legacy/ehr/Evoluciones",
            "value": f"{nil}-sin_antecedentes"} in family["identifier"]  # fmt: skip
    histories = _search(client, "FamilyMemberHistory", patient=patient)
    assert not [h for h in histories if h["identifier"][0]["value"].startswith(f"{nil}-")]
    assert len(impression["investigation"]) == 1  # vital signs only
    by_reason = _search(client, "List", **{"empty-reason": f"{NIL_KNOWN}|nilknown"})
    evoluciones = _legacy_rows(legacy_ehr, 'SELECT id, antecedentes_familiares AS f FROM "Evoluciones"')
    nothing_else = [
        e["id"]
        for e in evoluciones
        if isinstance(e["f"], dict)
        and e["f"].get("sin_antecedentes") is True
        and not any(v for k, v in e["f"].items() if k != "sin_antecedentes")
    ]
    assert sorted(x["id"] for x in by_reason) == sorted(rid("Evoluciones", e, "familia-sin_antecedentes")
                                                          for e in nothing_else)  # fmt: skip
    assert report.types["List"].created == len(nothing_else)

    # "Sin antecedentes" with a ticked box: the box wins, reported; no List.
    (contradiction,) = [f for f in report.findings if f.code == "antecedentes-contradictorios"]
    odd = int(contradiction.row.removeprefix("id="))
    assert "Diabetes" in contradiction.message_es and "Diabetes" in contradiction.message_en
    assert _get(client, f"FamilyMemberHistory/{rid('Evoluciones', odd, 'familia-diabetes')}")["status"] == "completed"
    assert client.get(f"/fhir/List/{rid('Evoluciones', odd, 'familia-sin_antecedentes')}").status_code == 404
    assert report.as_json("en")["types"]["List"]["created"] == len(nothing_else)
