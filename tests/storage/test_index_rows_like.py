"""Index rows taken over from a like resource (the one written before it) equal the rows computed afresh."""

from __future__ import annotations

import copy
import uuid
from collections import Counter
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from fhir_server.audit.events import Access, Actor, rest_events
from fhir_server.interactions.bundle_refs import rewrite
from fhir_server.interactions.vitals_form import VitalsForm, observations
from fhir_server.model.meta import stamp
from fhir_server.storage.indexing import IndexRows, index_rows
from fhir_server.storage.params.common import ExtractContext

CONTEXT = ExtractContext(ZoneInfo("America/Guayaquil"), "http://127.0.0.1:8080/fhir")
SERVER = "http://127.0.0.1:8080/fhir"
DOCTOR = Actor(kind="user", user="Practitioner/dr1", account="a1", name="Dra. Ana Pérez", role="doctor",
               client_id="app-1", address="10.0.0.7")  # fmt: skip
NURSE = Actor(kind="user", user="Practitioner/enf1", role="enfermera", client_id="app-1", address="10.0.0.8")
BACKEND = Actor(kind="client", client_id="lab-export")


def canonical(rows: IndexRows) -> Counter[tuple[str, tuple[tuple[str, str], ...]]]:
    return Counter((kind, tuple(sorted((k, repr(v)) for k, v in row.items()))) for kind, found in rows.items()
                   for row in found)  # fmt: skip


def accesses() -> list[Access]:
    made = []
    for n, actor in enumerate((DOCTOR, NURSE, BACKEND, Actor())):
        recorded = 1_700_000_000_000_000 + n
        made += [
            Access("search-type", 200, recorded, actor, SERVER, uuid.uuid4().hex, "Patient",
                   patients=tuple(f"p{n}-{k}" for k in range(10)), query="family=P%C3%A9rez&_count=10"),
            Access("read", 200, recorded, actor, SERVER, uuid.uuid4().hex, "Patient", "p1", 3, patients=("p1",)),
            Access("read", 200, recorded + 1, actor, SERVER, uuid.uuid4().hex, "Observation", "o1",
                   patients=("p1",)),
            Access("create", 201, recorded, actor, SERVER, uuid.uuid4().hex, "Observation", "o2", 1,
                   patients=("p2",)),
            Access("operation", 200, recorded, actor, SERVER, uuid.uuid4().hex, "Patient", "p3",
                   patients=("p3",), operation="$everything", query="_count=50"),
            Access("search-type", 403, recorded, actor, SERVER, "-", "Condition", query="patient=p9",
                   detail="forbidden"),
            Access("delete", 204, recorded, actor, SERVER, uuid.uuid4().hex, "Appointment", "a1", 2,
                   patients=("p4", "p5")),
        ]  # fmt: skip
    return made


def stamped_events() -> list[dict[str, Any]]:
    return [stamp(event, str(uuid.uuid4()), 1, 1_700_000_000_000_000) for a in accesses() for event in rest_events(a)]


def test_rows_taken_from_the_event_before_equal_rows_computed_afresh() -> None:
    events = stamped_events()
    like = None
    reused = 0
    for event in events:
        rows = index_rows(event, CONTEXT, like=like)
        assert canonical(rows) == canonical(index_rows(event, CONTEXT)), event
        if like is not None:
            before = {id(row) for found in like[1].values() for row in found}
            reused += sum(id(row) in before for found in rows.values() for row in found)
        like = (event, rows)
    # The events of one search and of one caller share their parts: rows were taken over, not walked.
    assert reused > len(events)


def test_a_changed_part_is_walked_again() -> None:
    event = stamped_events()[0]
    first = index_rows(event, CONTEXT)
    changed = copy.deepcopy(event)
    changed["agent"][-1]["network"]["address"] = "http://otro-servidor/fhir"
    changed["type"] = {**changed["type"], "code": "other"}
    rows = index_rows(changed, CONTEXT, like=(event, first))
    assert canonical(rows) == canonical(index_rows(changed, CONTEXT))
    assert canonical(rows) != canonical(first)


def test_resources_sharing_some_parts_and_another_type() -> None:
    code = {"coding": [{"system": "http://loinc.org", "code": "8867-4"}], "text": "Frecuencia cardiaca"}
    category = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                             "code": "vital-signs"}]}]  # fmt: skip

    def observation(n: int) -> dict[str, Any]:
        return stamp({"resourceType": "Observation", "status": "final", "code": code, "category": category,
                      "subject": {"reference": f"Patient/p{n}"}, "effectiveDateTime": f"2024-01-0{n}T10:00:00-05:00",
                      "valueQuantity": {"value": 60 + n, "unit": "/min", "system": "http://unitsofmeasure.org",
                                        "code": "/min"}}, f"o{n}", 1, 1_700_000_000_000_000)  # fmt: skip

    first, second = observation(1), observation(2)
    patient = stamp({"resourceType": "Patient", "name": [{"family": "Pérez"}]}, "p1", 1, 1)
    first_rows = index_rows(first, CONTEXT)
    for resource, like in ((second, (first, first_rows)), (patient, (first, first_rows))):
        assert canonical(index_rows(resource, CONTEXT, like=like)) == canonical(index_rows(resource, CONTEXT))


def test_a_vital_signs_form_through_the_transaction_rewrite() -> None:
    """The form's Observations share subject, encounter, performer, time and category, and the transaction's
    reference rewrite keeps them shared: most of their rows are taken over, and equal the fresh ones."""
    values = {"temperatura": Decimal("36.5"), "pulso": Decimal(72), "frecuencia_respiratoria": Decimal(16),
              "peso": Decimal("70.5"), "talla": Decimal(165), "sistolica": Decimal(120), "diastolica": Decimal(80)}  # fmt: skip
    when = "2024-03-01T10:00:00-05:00"
    common = {"subject": {"reference": "urn:uuid:paciente"}, "effectiveDateTime": when,
              "encounter": {"reference": "Encounter/e1"}, "performer": [{"reference": "Practitioner/enf1"}]}  # fmt: skip
    mapping = {"urn:uuid:paciente": "Patient/p1"}
    made = [
        stamp(rewrite(o, mapping), o["id"], 1, 1_700_000_000_000_000)
        for o in observations(VitalsForm(values, when), common)
    ]
    like = None
    taken = 0
    for resource in made:
        rows = index_rows(resource, CONTEXT, like=like)
        assert canonical(rows) == canonical(index_rows(resource, CONTEXT))
        if like is not None:
            before = {id(row) for found in like[1].values() for row in found}
            taken += sum(id(row) in before for found in rows.values() for row in found)
        like = (resource, rows)
    assert {r["subject"]["reference"] for r in made} == {"Patient/p1"}
    assert taken >= 5 * (len(made) - 1)


def test_a_composite_read_from_the_resource_is_walked_again_when_its_first_component_differs() -> None:
    """code-value-quantity reads code and value: sharing the value object alone must not carry the rows over."""
    value = {"value": 72, "unit": "/min", "system": "http://unitsofmeasure.org", "code": "/min"}

    def observation(code: str) -> dict[str, Any]:
        body = {"resourceType": "Observation", "status": "final", "valueQuantity": value,
                "code": {"coding": [{"system": "http://loinc.org", "code": code}]}}  # fmt: skip
        return stamp(body, f"o-{code}", 1, 1_700_000_000_000_000)

    pulse, rate = observation("8867-4"), observation("9279-1")
    rows = index_rows(rate, CONTEXT, like=(pulse, index_rows(pulse, CONTEXT)))
    assert canonical(rows) == canonical(index_rows(rate, CONTEXT))
