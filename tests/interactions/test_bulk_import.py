"""Bulk import on both engines: NDJSON and bundles land validated, indexed and audited; failures are isolated."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from fhir_server.interactions.bulk_import import runner, sources
from fhir_server.interactions.bulk_import.report import Report
from fhir_server.interactions.context import Principal, RequestContext
from fhir_server.interactions.search import search
from fhir_server.model.json import dumps, loads
from fhir_server.storage.repository import SqlStorage
from fhir_server.storage.schema import resource, resource_version
from tests.conftest import BASE_URL
from tests.storage.layouts import versions_by_type

CEDULA = "https://www.registrocivil.gob.ec/cedula"
CTX = RequestContext(BASE_URL, "en", ZoneInfo("America/Guayaquil"), principal=Principal(kind="system"))


def patient(res_id: str | None, family: str, **extra: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"resourceType": "Patient", "name": [{"family": family, "given": ["Ana"]}], **extra}
    if res_id is not None:
        found["id"] = res_id
    return found


def observation(subject: str, **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
        "subject": {"reference": subject},
        "valueQuantity": {"value": 57.8, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"},
        **extra,
    }


def write_ndjson(path: Path, lines: list[dict[str, Any] | str]) -> Path:
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    return path


def transaction(entries: list[tuple[str, dict[str, Any]]], kind: str = "transaction") -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": kind,
        "entry": [
            {"fullUrl": urn, "resource": body, "request": {"method": "POST", "url": body["resourceType"]}}
            for urn, body in entries
        ],
    }


def run_import(database_url: str, paths: list[Path], workers: int = 1, batch: int = 500) -> Report:
    config = runner.Config(database_url, BASE_URL, "America/Guayaquil")
    return runner.run(config, sources.discover(paths), workers=workers, batch=batch)


def found(storage: SqlStorage, type_name: str, params: list[tuple[str, str]]) -> list[dict[str, Any]]:
    body = search(storage, CTX, type_name, params).body
    assert isinstance(body, dict)
    return [entry["resource"] for entry in loads(dumps(body)).get("entry", [])]


def count(storage: SqlStorage, table: sa.Table, type_name: str | None = None) -> int:
    """Rows of a table, or versions (copied or current) when the table is resource_version."""
    with storage.engine.connect() as connection:
        if table is resource_version:
            versions = versions_by_type(connection)
            return versions.get(type_name, 0) if type_name is not None else sum(versions.values())
        stmt = sa.select(sa.func.count()).select_from(table)
        if type_name is not None:
            stmt = stmt.where(table.c.res_type == type_name)
        return int(connection.execute(stmt).scalar_one())


def test_ndjson_lands_searchable_and_reports_bad_lines(storage: SqlStorage, database_url: str, tmp_path: Path) -> None:
    path = write_ndjson(
        tmp_path / "Patient.ndjson",
        [
            patient("p1", "Núñez"),
            patient("p2", "Guamán"),
            "{not json",
            patient("p3", "Pérez", gender="H"),  # not a gender code: 400 on the REST path, skipped here
            "",
            observation("Patient/p1"),  # no id: the server gives one
        ],
    )
    report = run_import(database_url, [path], batch=2)
    assert report.written == {"Patient": 2, "Observation": 1}
    assert sorted(f.line or 0 for f in report.failures) == [3, 4]
    assert all(f.file == str(path) and f.text for f in report.failures)
    assert "gender" in next(f.text for f in report.failures if f.line == 4)
    assert storage.read("Patient", "p1") is not None and storage.read("Patient", "p3") is None
    # Index rows were written: search finds them, accent-folded, and through the reference.
    assert [r["id"] for r in found(storage, "Patient", [("family", "nunez")])] == ["p1"]
    assert len(found(storage, "Observation", [("subject", "Patient/p1")])) == 1
    # One Provenance per committed batch, naming every version it wrote.
    provenances = found(storage, "Provenance", [("target", "Patient/p1/_history/1")])
    assert len(provenances) == 1 and provenances[0]["agent"]


def test_rerun_with_ids_changes_nothing(storage: SqlStorage, database_url: str, tmp_path: Path) -> None:
    path = write_ndjson(tmp_path / "a.ndjson", [patient(f"p{n}", "Tapia") for n in range(5)])
    assert run_import(database_url, [path]).total_written == 5
    versions = count(storage, resource_version)
    again = run_import(database_url, [path])
    assert again.total_written == 0 and again.unchanged == {"Patient": 5}
    assert count(storage, resource_version) == versions  # not even a Provenance
    changed = write_ndjson(tmp_path / "a.ndjson", [patient("p0", "Caiza")])
    assert run_import(database_url, [changed]).written == {"Patient": 1}  # PUT semantics: version 2
    stored = storage.read("Patient", "p0")
    assert stored is not None and stored.version == 2


def test_transaction_bundle_resolves_urns_and_conditional_references(
    storage: SqlStorage, database_url: str, tmp_path: Path
) -> None:
    shared = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": "urn:uuid:5e7c4c8e-0001-4000-8000-000000000001",
                "resource": {"resourceType": "Practitioner", "identifier": [{"system": CEDULA, "value": "1719000018"}]},
                "request": {"method": "POST", "url": "Practitioner", "ifNoneExist": f"identifier={CEDULA}|1719000018"},
            }
        ],
    }
    (tmp_path / "practitionerInformation1.json").write_text(json.dumps(shared))
    urn = "urn:uuid:5e7c4c8e-0002-4000-8000-000000000002"
    performer = [{"reference": f"Practitioner?identifier={CEDULA}|1719000018"}]
    bundle = transaction([(urn, patient(None, "Zambrano")), ("urn:uuid:x-obs", observation(urn, performer=performer))])
    (tmp_path / "a-patient.json").write_text(json.dumps(bundle))
    report = run_import(database_url, [tmp_path])
    assert report.failures == []
    assert report.written == {"Practitioner": 1, "Patient": 1, "Observation": 1}
    [obs] = found(storage, "Observation", [])
    [pat] = found(storage, "Patient", [("family", "zambrano")])
    [prac] = found(storage, "Practitioner", [])
    assert obs["subject"]["reference"] == f"Patient/{pat['id']}"
    assert obs["performer"][0]["reference"] == f"Practitioner/{prac['id']}"


def test_failing_transaction_writes_nothing_of_itself(storage: SqlStorage, database_url: str, tmp_path: Path) -> None:
    good = transaction([("urn:uuid:g1", patient(None, "Andrade"))])
    bad = transaction(
        [("urn:uuid:b1", patient(None, "Chávez")), ("urn:uuid:b2", observation("urn:uuid:b1", status="x"))]
    )
    (tmp_path / "good.json").write_text(json.dumps(good))
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    report = run_import(database_url, [tmp_path])
    [failure] = report.failures
    assert failure.file.endswith("bad.json") and failure.entry == 1 and failure.line is None
    assert found(storage, "Patient", [("family", "chavez")]) == []
    assert len(found(storage, "Patient", [("family", "andrade")])) == 1


def test_reference_to_a_later_file_is_retried(storage: SqlStorage, database_url: str, tmp_path: Path) -> None:
    later = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": patient("late", "León", identifier=[{"system": CEDULA, "value": "0131047300"}])}],
    }
    (tmp_path / "z-later.json").write_text(json.dumps(later))
    early = transaction([("urn:uuid:o1", observation(f"Patient?identifier={CEDULA}|0131047300"))])
    (tmp_path / "a-early.json").write_text(json.dumps(early))
    report = run_import(database_url, [tmp_path])
    assert report.failures == []
    [obs] = found(storage, "Observation", [])
    assert obs["subject"]["reference"] == "Patient/late"  # the collection kept the entry's id


def test_dry_run_writes_nothing(storage: SqlStorage, database_url: str, tmp_path: Path) -> None:
    path = write_ndjson(tmp_path / "a.ndjson", [patient("p1", "Muñoz"), patient("p2", "Tapia", gender="H")])
    config = runner.Config(database_url, BASE_URL, "America/Guayaquil", dry_run=True)
    report = runner.run(config, [path], workers=1, batch=10)
    assert report.written == {"Patient": 1} and len(report.failures) == 1
    assert count(storage, resource) == 0


@pytest.mark.slow
def test_parallel_workers_write_no_duplicates(storage: SqlStorage, database_url: str, tmp_path: Path) -> None:
    lines: list[dict[str, Any] | str] = [patient(f"p{n:03d}", "Quishpe") for n in range(120)]
    write_ndjson(tmp_path / "one.ndjson", lines)
    write_ndjson(tmp_path / "two.ndjson", list(reversed(lines)))  # the same ids, met in the other order
    for n in range(4):
        bundle = transaction([(f"urn:uuid:w{n}", patient(None, "Yánez"))])
        (tmp_path / f"b{n}.json").write_text(json.dumps(bundle))
    report = run_import(database_url, [tmp_path], workers=2, batch=7)
    assert report.failures == []
    assert report.written["Patient"] + report.unchanged["Patient"] == 244
    assert count(storage, resource, "Patient") == 124
    assert count(storage, resource_version, "Patient") == 124  # the second sight of an id wrote nothing
