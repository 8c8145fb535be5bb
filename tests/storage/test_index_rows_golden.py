"""Index rows of a fixed, varied corpus must stay exactly those recorded in the golden file.

Guards the speed work on extraction: any change to a single row (a value, a type, a missing or an
extra row) fails. Regenerate only on purpose: ``python -m tests.storage.test_index_rows_golden --write``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fhir_server.storage.indexing import index_rows
from fhir_server.storage.params.common import ExtractContext
from tests.clinic.builders import ec_patient, vital

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import synthea_like

GOLDEN = Path(__file__).parent / "fixtures" / "index_rows_golden.json"
BASE_URL = "https://clinica.example.ec/fhir"
CONTEXT = ExtractContext(ZoneInfo("America/Guayaquil"), BASE_URL)
UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"


def _concept(code: str, display: str | None = None, text: str | None = None) -> dict[str, Any]:
    coding: dict[str, Any] = {"system": LOINC, "code": code}
    if display is not None:
        coding["display"] = display
    return {"coding": [coding], **({"text": text} if text is not None else {})}


def _edge_cases() -> list[dict[str, Any]]:
    """Hand-written resources reaching the branches the generated data does not."""
    long_code = "X" * 300
    return [
        {
            "resourceType": "Observation",
            "id": "edge-obs-1",
            "meta": {"profile": ["http://example.ec/p|1.0"], "source": "urn:sistema", "tag": [{"code": "t"}]},
            "status": "final",
            "category": [{"coding": [{"code": "lab"}, "not-a-coding", None]}, {"text": "  "}],
            "code": _concept("2339-0", "Glucosa en sangre", "Glucosa Ñandú"),
            "subject": {"reference": f"{BASE_URL}/Patient/p1"},
            "performer": [
                {"reference": "#contenido"},
                {"identifier": {"system": "urn:cedula", "value": "1710034065"}},
                {"reference": "Practitioner/pr1/_history/3", "display": "Dra. Pérez"},
                {"reference": "http://otro.example.org/fhir/Organization/o9"},
                {"reference": "urn:uuid:7f1b3f0e-0000-4000-8000-000000000001"},
            ],
            "effectivePeriod": {"start": "2024-02-03", "end": "2024-02-03T10:00:00Z"},
            "issued": "2024-02-03T10:15:00.123Z",
            "valueQuantity": {"value": 1.50, "unit": "mg/dL", "comparator": "<"},
            "identifier": [
                {"system": "urn:lab", "value": long_code, "type": {"coding": [{"system": "urn:t", "code": "LN"}]}},
                {"value": "sin-sistema", "type": {"text": "Número de orden"}},
            ],
            "component": [
                {"code": _concept("8480-6"), "valueQuantity": {"value": 120, "system": UCUM, "code": "mm[Hg]"}},
                {"code": _concept("8462-4"), "valueQuantity": {"value": "80.0", "system": "urn:x", "code": "mmHg"}},
                {"code": _concept("x-1"), "valueCodeableConcept": _concept("pos", "Positivo")},
                {"code": _concept("x-2"), "valueString": "Ácido Úrico ALTO"},
                {"code": _concept("x-3"), "valueDateTime": "2024-02"},
                {"code": _concept("x-4"), "valuePeriod": {"start": "2024-01-01T00:00:00-05:00"}},
                {"code": _concept("x-5"), "valueBoolean": True},
                {"code": {"text": "solo texto"}, "valueQuantity": {"value": 3, "unit": "kg"}},
                {"code": _concept("x-6"), "dataAbsentReason": {"text": "no medido"}},
            ],
        },
        {
            "resourceType": "Observation",
            "id": "edge-obs-2",
            "status": "final",
            "code": _concept("x-7"),
            "subject": {"reference": "Group/g1"},
            "encounter": {"reference": "Encounter/e1"},
            "effectiveInstant": "2024-02-03T10:15:00Z",
            "valueCodeableConcept": {"coding": [{"system": "urn:s", "code": "neg", "display": "Negativo"}]},
            "hasMember": [{"reference": "Observation/o2"}, {"reference": "Observation/o2"}],
        },
        {
            "resourceType": "Observation",
            "id": "edge-obs-3",
            "status": "final",
            "code": _concept("x-8"),
            "effectiveTiming": {"event": ["2024-03-01", "bad-date"], "repeat": {"boundsPeriod": {"end": "2024-04"}}},
            "valueString": "Texto   con espacios",
        },
        {
            "resourceType": "Patient",
            "id": "edge-pat",
            "active": False,
            "gender": "female",
            "birthDate": "1980",
            "deceasedDateTime": "2020-05-05T05:05:05-05:00",
            "name": [
                {"family": "de la Torre  Ñúñez", "given": ["María", 7, "José"], "prefix": ["Dra."], "suffix": "x"},
                {"text": "Alias"},
            ],
            "telecom": [{"system": "phone", "value": "+593 99 123 4567", "use": "mobile"}, {"system": "email"}],
            "address": [{"line": ["Av. Amazonas N34", "Piso 2"], "city": "Quito", "country": "EC", "use": "home"}],
            "generalPractitioner": [{"reference": "Practitioner/pr1"}, {"reference": "Organization/o1"}],
            "managingOrganization": {"type": "Organization", "identifier": {"value": "RUC-1"}},
            "link": [{"other": {"reference": "RelatedPerson/r1"}, "type": "seealso"}],
            "communication": [{"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "es-EC"}]}}],
        },
        {
            "resourceType": "ServiceRequest",
            "id": "edge-sr",
            "status": "active",
            "intent": "order",
            "subject": {"reference": "Patient/p1"},
            "instantiatesUri": ["http://example.ec/protocolo", ""],
            "instantiatesCanonical": ["http://example.ec/PlanDefinition/pd|2"],
            "occurrenceTiming": {"event": ["2024-05-01T08:00:00-05:00"], "repeat": {"boundsPeriod": {"start": "2024"}}},
            "code": {"text": "Hemograma"},
        },
        {
            "resourceType": "Invoice",
            "id": "edge-inv",
            "status": "issued",
            "subject": {"reference": "Patient/p1"},
            "totalNet": {"value": 25.50, "currency": "USD"},
            "totalGross": {"value": "28.56"},
        },
        {
            "resourceType": "RiskAssessment",
            "id": "edge-risk",
            "status": "final",
            "subject": {"reference": "Patient/p1"},
            "prediction": [
                {"probabilityDecimal": 0.25},
                {"probabilityRange": {"low": {"value": 10}, "high": {"value": 20.5}}},
                {"probabilityDecimal": True},
            ],
        },
        {
            "resourceType": "Condition",
            "id": "edge-cond",
            "subject": {"reference": "Patient/p1"},
            "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "J45.0"}], "text": "Asma"},
            "onsetAge": {"value": 35, "unit": "a", "system": UCUM, "code": "a"},
            "abatementRange": {"low": {"value": 40, "unit": "a"}},
            "recordedDate": "2024-01-01T10:00:00",
            "evidence": [{"detail": [{"reference": "Observation/edge-obs-1"}]}],
        },
        {
            "resourceType": "Group",
            "id": "edge-group",
            "type": "person",
            "actual": True,
            "characteristic": [
                {"code": _concept("sexo"), "valueCodeableConcept": _concept("F"), "exclude": False},
                {
                    "code": _concept("edad"),
                    "valueQuantity": {"value": 40, "system": UCUM, "code": "a"},
                    "exclude": True,
                },
                {"code": _concept("activo"), "valueBoolean": True, "exclude": False},
            ],
            "member": [{"entity": {"reference": "Patient/p1"}}],
        },
        {
            "resourceType": "DocumentReference",
            "id": "edge-doc",
            "status": "current",
            "subject": {"reference": "Patient/p1"},
            "relatesTo": [{"code": "replaces", "target": {"reference": "DocumentReference/d0"}}],
            "content": [{"attachment": {"url": "http://example.ec/doc.pdf", "contentType": "application/pdf"}}],
            "date": "2024-01-01T10:00:00-05:00",
        },
        {
            "resourceType": "QuestionnaireResponse",
            "id": "edge-qr",
            "status": "completed",
            "questionnaire": "http://example.ec/Questionnaire/q|1.0",
            "subject": {"reference": "Patient/p1"},
            "authored": "2024-01-01",
        },
        {
            "resourceType": "ValueSet",
            "id": "edge-vs",
            "url": "http://example.ec/ValueSet/vs",
            "version": "1",
            "name": "Conjunto",
            "status": "active",
            "useContext": [{"code": {"code": "focus"}, "valueCodeableConcept": _concept("c")}],
        },
        {
            "resourceType": "Bundle",
            "id": "edge-bundle",
            "type": "document",
            "identifier": {"system": "urn:b", "value": "b1"},
            "timestamp": "2024-01-01T00:00:00Z",
            "entry": [
                {"resource": {"resourceType": "Composition", "id": "c1", "status": "final", "title": "Nota"}},
                {"resource": {"resourceType": "Patient", "id": "p9"}},
            ],
        },
        {
            "resourceType": "Encounter",
            "id": "edge-enc",
            "status": "finished",
            "class": {"system": "urn:c", "code": "AMB"},
            "subject": {"reference": "Patient/p1"},
            "period": {"end": "2024-01-01"},
            "length": {"value": 30, "system": UCUM, "code": "min"},
            "location": [{"location": {"reference": "Location/l1"}, "period": {"start": "2024-01-01"}}],
        },
    ]


def corpus() -> Iterator[dict[str, Any]]:
    """Synthea-like data for 3 patients (every 7th Observation), clinic examples and edge cases."""
    observation = 0
    for type_name, _, resource in synthea_like.generate(patients=3, seed=5):
        if type_name == "Observation":
            observation += 1
            if observation % 7 and "component" not in resource:
                continue
        yield resource
    patient = ec_patient("1710034065", id="clinic-pat")
    yield patient
    yield {**vital("clinic-pat", "29463-7", 70.5, "kg", "kg"), "id": "clinic-weight"}
    yield {**vital("clinic-pat", "8310-5", 36.6, "°C", "Cel"), "id": "clinic-temp"}
    yield from _edge_cases()


def _plain(value: Any) -> Any:
    # The type is kept in the text: an int that became a Decimal is a different row.
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        return f"Decimal:{value}"
    return f"{type(value).__name__}:{value}"


def snapshot() -> dict[str, Any]:
    result: dict[str, Any] = {}
    for resource in corpus():
        key = f"{resource['resourceType']}/{resource.get('id')}"
        tables = index_rows(resource, CONTEXT)
        result[key] = {
            kind: sorted(
                json.dumps({k: _plain(v) for k, v in row.items()}, sort_keys=True, ensure_ascii=False) for row in rows
            )
            for kind, rows in sorted(tables.items())
            if rows
        }
    return result


def test_index_rows_match_the_golden_file() -> None:
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    actual = snapshot()
    assert sorted(actual) == sorted(expected)
    differing = [key for key in expected if actual[key] != expected[key]]
    assert not differing, f"index rows changed for {differing[:5]}: {actual[differing[0]]} != {expected[differing[0]]}"


def test_the_corpus_is_varied() -> None:
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    kinds = {kind for tables in expected.values() for kind in tables}
    assert kinds == {"token", "string", "date", "number", "quantity", "reference", "uri", "composite"}
    assert len(expected) > 200


if __name__ == "__main__" and "--write" in sys.argv:
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(json.dumps(snapshot(), indent=0, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
