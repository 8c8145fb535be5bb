"""Reference parameters narrowed to one type (``patient`` = ``subject.where(resolve() is Patient)``) store no rows:
their members' rows of that type answer them, for every form a reference takes, and rows an earlier release
stored under the narrowed code still answer."""

from __future__ import annotations

import json
import re
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from fhir_server.model.r4_types import SERVED_TYPES
from fhir_server.search.registry import AUDIT_PARAMETERS, expression_for, r4_registry, split_union
from fhir_server.search.typed_paths import compile_for_type
from fhir_server.storage.indexing import index_rows
from fhir_server.storage.params import reference
from fhir_server.storage.schema import idx_reference, resource
from tests.conftest import BASE_URL
from tests.fhir_helpers import FHIR_JSON
from tests.storage.test_index_rows_golden import CONTEXT, corpus

NARROWED = re.compile(r"^(.+)\.where\(resolve\(\) is ([A-Za-z]+)\)$")
OTHER_SERVER = "http://otro.example.org/fhir"
CEDULA = {"system": "urn:cedula", "value": "1710034065"}


def _spec_parts(r4_spec: Any) -> dict[tuple[str, str], tuple[str, frozenset[str]]]:
    """(type, code) -> (parameter type, the alternatives of its expression) in R4's own definitions."""
    bundle = json.loads((r4_spec / "search-parameters.json").read_text())
    found = {}
    for entry in bundle["entry"]:
        definition = entry["resource"]
        for type_name in SERVED_TYPES:
            expression = expression_for(definition.get("expression"), type_name)
            limited = AUDIT_PARAMETERS.get(type_name)
            if type_name in definition["base"] and expression and (limited is None or definition["code"] in limited):
                found[type_name, definition["code"]] = (definition["type"], frozenset(split_union(expression)))
    return found


def test_narrowings_match_the_specification(r4_spec):
    registry = r4_registry()
    narrowed = {
        (t, p.code): (p.narrows, p.narrow_type)
        for t in SERVED_TYPES
        for p in registry.for_type(t).values()
        if p.narrows
    }
    assert narrowed["Observation", "patient"] == (("subject",), "Patient")
    assert narrowed["AuditEvent", "patient"] == (("agent", "entity"), "Patient")
    assert narrowed["Appointment", "practitioner"] == (("actor",), "Practitioner")
    assert narrowed["Encounter", "practitioner"] == (("participant",), "Practitioner")
    assert narrowed["Provenance", "patient"] == (("target",), "Patient")
    spec = _spec_parts(r4_spec)
    for (type_name, code), (members, narrow_type) in narrowed.items():
        # In R4's definitions the parameter is its members' alternatives, each narrowed to the type.
        expected = {f"{part}.where(resolve() is {narrow_type})" for m in members for part in spec[type_name, m][1]}
        assert spec[type_name, code][1] == expected, (type_name, code)
    # Conversely, each reference parameter made only of narrowed whole parameters is narrowed.
    for (type_name, code), (kind, parts) in spec.items():
        matches = [NARROWED.match(part) for part in parts]
        if kind != "reference" or None in matches:
            continue
        paths = {m[1] for m in matches if m}
        wholes = {
            p for (t, other), (k, other_parts) in spec.items() if t == type_name and k == kind for p in other_parts
        }
        if len({m[2] for m in matches if m}) == 1 and paths <= wholes:
            assert (type_name, code) in narrowed, (type_name, code)
    assert ("EpisodeOfCare", "care-manager") not in narrowed  # no parameter is EpisodeOfCare.careManager itself


def _references() -> list[dict[str, Any]]:
    """Every form a Reference takes, with and without Reference.type."""
    return [
        {"reference": "Patient/p1"},
        {"reference": "Patient/p1/_history/2"},
        {"reference": f"{CONTEXT.base_url}/Patient/p2"},
        {"reference": f"{OTHER_SERVER}/Patient/x9"},
        {"reference": f"{OTHER_SERVER}/Practitioner/x9", "type": "Patient"},  # the text's type wins
        {"reference": "http://otro.example.org/expedientes/77", "type": "Patient"},
        {"reference": "http://otro.example.org/expedientes/78"},
        {"identifier": CEDULA, "type": "Patient"},
        {"identifier": CEDULA},
        {"identifier": CEDULA, "type": "http://hl7.org/fhir/StructureDefinition/Patient"},
        {"identifier": CEDULA, "type": "paciente con un tipo que no es un nombre de recurso"},
        {"reference": "Group/g1"},
        {"reference": "Group/g1", "type": "Patient"},
        {"reference": "#contenido", "type": "Patient"},
        {"reference": "urn:uuid:7f1b3f0e-0000-4000-8000-000000000001", "type": "Patient"},
        {"reference": "Patient?identifier=urn:cedula|1710034065"},
        {"display": "solo un nombre", "type": "Patient"},
        {"reference": "Practitioner/dr1"},
        {"reference": "Location/consultorio-1"},
    ]


def _edge_resources() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for n, ref in enumerate(_references()):
        found.append({"resourceType": "Observation", "id": f"o{n}", "status": "final", "subject": ref})
        found.append({"resourceType": "Encounter", "id": f"e{n}", "subject": ref, "participant": [{"individual": ref}]})
        found.append(
            {"resourceType": "Appointment", "id": f"a{n}", "participant": [{"actor": ref, "status": "accepted"}]}
        )
        found.append({"resourceType": "AuditEvent", "id": f"ae{n}", "agent": [{"who": ref}], "entity": [{"what": ref}]})
    return found


def _values(rows: list[dict[str, Any]]) -> set[tuple[Any, ...]]:
    return {tuple(sorted((k, v) for k, v in row.items() if k != "param")) for row in rows}


def test_member_rows_of_the_type_are_exactly_the_narrowed_rows():
    registry = r4_registry()
    checked = 0
    for item in [*corpus(), *_edge_resources()]:
        type_name = item["resourceType"]
        stored = index_rows(item, CONTEXT).get("reference", [])
        for param in registry.for_type(type_name).values():
            if not param.narrows:
                continue
            assert param.expression is not None
            assert not [row for row in stored if row["param"] == param.code], "a narrowed parameter stored rows"
            # What the parameter's own expression selects, extracted as an earlier release stored it.
            nodes = compile_for_type(param.expression, type_name)((item, type_name), {})
            own = reference.extract(nodes, CONTEXT)
            members = [r for r in stored if r["param"] in param.narrows and r["target_type"] == param.narrow_type]
            assert _values(members) == _values(own), (type_name, item.get("id"), param.code)
            checked += bool(own)
    assert checked > 300


def _put(client: TestClient, body: dict[str, Any]) -> None:
    answer = client.put(f"/fhir/{body['resourceType']}/{body['id']}", json=body, headers=FHIR_JSON)
    assert answer.status_code in (200, 201), answer.text


def _ids(client: TestClient, query: str) -> list[str]:
    answer = client.get(f"/fhir/{query}", headers={"Prefer": "handling=strict"})
    assert answer.status_code == 200, answer.text
    return sorted(entry["resource"]["id"] for entry in answer.json().get("entry", []))


def _observation(res_id: str, subject: dict[str, Any]) -> dict[str, Any]:
    code = {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]}
    return {"resourceType": "Observation", "id": res_id, "status": "final", "code": code, "subject": subject}


def _clinic(client: TestClient) -> None:
    _put(client, {"resourceType": "Patient", "id": "p1", "name": [{"family": "Guamán"}]})
    _put(client, {"resourceType": "Patient", "id": "p2", "name": [{"family": "Quishpe"}]})
    _put(client, {"resourceType": "Practitioner", "id": "dr1"})
    _put(client, {"resourceType": "Group", "id": "g1", "type": "person", "actual": True})
    subjects: dict[str, dict[str, Any]] = {
        "rel": {"reference": "Patient/p1"},
        "local": {"reference": f"{BASE_URL}/Patient/p2"},
        "ext": {"reference": f"{OTHER_SERVER}/Patient/x9"},
        "ext-typed": {"reference": "http://otro.example.org/expedientes/77", "type": "Patient"},
        "ident": {"identifier": CEDULA, "type": "Patient"},
        "ident-untyped": {"identifier": CEDULA},
        "group": {"reference": "Group/g1"},
    }
    for res_id, subject in subjects.items():
        _put(client, _observation(res_id, subject))
    for res_id, who in (("enc-p1", "Practitioner/dr1"), ("enc-group", "PractitionerRole/r1")):
        participant = [{"individual": {"reference": who}}]
        subject = {"reference": "Patient/p1" if res_id == "enc-p1" else "Group/g1"}
        _put(client, {"resourceType": "Encounter", "id": res_id, "status": "finished", "class": {"code": "AMB"},
                      "subject": subject, "participant": participant})  # fmt: skip


def test_searches_through_the_narrowed_rows(client):
    _clinic(client)
    assert _ids(client, "Observation?patient=p1") == ["rel"]
    assert _ids(client, "Observation?patient=Patient/p2") == ["local"]
    assert _ids(client, f"Observation?patient={OTHER_SERVER}/Patient/x9") == ["ext"]
    assert _ids(client, "Observation?patient=http://otro.example.org/expedientes/77") == ["ext-typed"]
    assert _ids(client, "Observation?patient:identifier=urn:cedula|1710034065") == ["ident"]
    assert _ids(client, "Observation?subject:identifier=urn:cedula|1710034065") == ["ident", "ident-untyped"]
    assert _ids(client, "Observation?patient:missing=false") == ["ext", "ext-typed", "ident", "local", "rel"]
    assert _ids(client, "Observation?patient:missing=true") == ["group", "ident-untyped"]
    assert _ids(client, "Observation?patient.family=Guamán") == ["rel"]
    assert _ids(client, "Observation?patient:Patient.family=Quishpe") == ["local"]
    assert _ids(client, "Patient?_has:Observation:patient:code=8867-4") == ["p1", "p2"]
    assert _ids(client, "Observation?_id=rel,group&_include=Observation:patient") == ["group", "p1", "rel"]
    assert _ids(client, "Patient?_id=p1&_revinclude=Observation:patient") == ["p1", "rel"]
    assert _ids(client, "Patient/p1/Encounter") == ["enc-p1"]  # Encounter's compartment parameter is `patient`
    assert _ids(client, "Encounter?practitioner=dr1") == ["enc-p1"]
    assert _ids(client, "Encounter?practitioner:missing=true") == ["enc-group"]
    assert [
        e["resource"]["id"] for e in client.get("/fhir/Observation?_sort=patient&patient:missing=false").json()["entry"]
    ][:2] == ["rel", "local"]  # p1 < p2; references to other servers have no id and sort last
    count = client.get("/fhir/Observation", params={"patient:missing": "false", "_summary": "count"}).json()
    assert count["total"] == 5


def test_rows_an_earlier_release_stored_still_answer(client, storage):
    """Earlier releases stored ``patient`` rows of their own, and left the type off rows without an id."""
    _clinic(client)
    with storage.engine.begin() as connection:
        pk = connection.execute(
            sa.select(resource.c.pk).where(resource.c.res_type == "Observation", resource.c.res_id == "ident")
        ).scalar_one()
        rows = connection.execute(sa.select(idx_reference).where(idx_reference.c.resource_pk == pk)).mappings().all()
        assert [(r["param"], r["target_type"]) for r in rows] == [("subject", "Patient")]
        connection.execute(idx_reference.update().where(idx_reference.c.resource_pk == pk).values(target_type=None))
        connection.execute(idx_reference.insert().values({**rows[0], "param": "patient", "target_type": None}))
        # Beside every relative reference it stored the same row twice, as `subject` and as `patient`.
        rel = (
            connection.execute(
                sa.select(idx_reference)
                .join(resource, resource.c.pk == idx_reference.c.resource_pk)
                .where(resource.c.res_id == "rel")
            )
            .mappings()
            .one()
        )
        connection.execute(idx_reference.insert().values({**rel, "param": "patient"}))
    assert _ids(client, "Observation?patient:identifier=urn:cedula|1710034065") == ["ident"]
    assert _ids(client, "Observation?subject:identifier=urn:cedula|1710034065") == ["ident", "ident-untyped"]
    assert _ids(client, "Observation?patient:missing=true") == ["group", "ident-untyped"]
    assert _ids(client, "Observation?patient=p1") == ["rel"]
    assert _ids(client, "Patient?_id=p1&_revinclude=Observation:patient") == ["p1", "rel"]
