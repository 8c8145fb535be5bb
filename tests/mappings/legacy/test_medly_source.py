"""The Medly source against a real MariaDB and a generated expedientes export: every table read, every
planted trap reported with its row, every resource accepted by the server's write path."""

from __future__ import annotations

from collections import Counter
from datetime import UTC
from typing import Any

import pytest

from fhir_server.interactions.bundle_entries import parse_entry
from fhir_server.interactions.context import Principal, RequestContext
from fhir_server.interactions.transaction import process
from fhir_server.mappings.legacy.medly import open_medly_source
from fhir_server.mappings.legacy.medly.extjson import as_int, decode
from fhir_server.mappings.legacy.records import Mapped
from fhir_server.model.json import loads
from fhir_server.storage.repository import SqlStorage
from tests.mappings.legacy.medly_data import TODAY, ZONE
from tests.mappings.legacy.medly_fixtures import MedlyDump, medly_dump  # noqa: F401 - the fixture
from tests.storage.layouts import versions_by_type

EVERY_CONSULTATION = ("consulta-sin-medico", "signos-vitales-perdidos")


def _read(dump: MedlyDump) -> dict[str, list[Mapped]]:
    source = open_medly_source(dump.url, dump.expedientes, today=TODAY)
    try:
        tables: dict[str, list[Mapped]] = {}
        for run in source.tables():
            rows = list(run.rows)
            assert len(rows) == run.total, run.table
            tables[run.table] = rows
        return tables
    finally:
        source.close()


@pytest.fixture(scope="module")
def medly_tables(medly_dump: MedlyDump) -> dict[str, list[Mapped]]:  # noqa: F811
    return _read(medly_dump)


def test_every_table_is_read_in_dependency_order(medly_dump, medly_tables):  # noqa: F811
    assert list(medly_tables) == [
        "roles", "especialidades", "usuarios", "medicos_especialidades", "agenda_medica", "citas",
        "expedientes", "historial_consultas",
    ]  # fmt: skip
    assert {table: len(rows) for table, rows in medly_tables.items()} == medly_dump.planted.counts


def test_every_planted_trap_is_a_finding_with_its_row(medly_dump, medly_tables):  # noqa: F811
    findings = [f for rows in medly_tables.values() for m in rows for f in m.findings]
    found = {(f.code, f.table, f.row) for f in findings if f.code not in EVERY_CONSULTATION}
    assert found == medly_dump.planted.findings
    assert all(f.message_es and f.message_en and f.message_es != f.message_en for f in findings)
    # Doctor id and vital signs were stripped from every consultation by the legacy app.
    per_code = Counter(f.code for f in findings)
    consultations = len(medly_tables["historial_consultas"])
    orphans = sum(1 for m in medly_tables["historial_consultas"] if m.skipped)
    assert per_code["consulta-sin-medico"] == per_code["signos-vitales-perdidos"] == consultations - orphans


def test_skipped_rows_write_nothing_and_kept_rows_write(medly_tables):
    for rows in medly_tables.values():
        for mapped in rows:
            if mapped.skipped:
                assert mapped.resources == [] and mapped.accounts == []


def test_counts_by_type(medly_dump, medly_tables):  # noqa: F811
    planted = medly_dump.planted
    types = Counter(r["resourceType"] for rows in medly_tables.values() for m in rows for r in m.resources)
    assert types["Patient"] == planted.patients
    assert types["Practitioner"] == planted.doctors + 1  # the administrator too
    assert types["Schedule"] == planted.doctors
    assert types["ClinicalImpression"] == planted.consultations
    assert types["MedicationRequest"] == planted.prescriptions
    assert types["AllergyIntolerance"] == planted.allergies


def test_accounts_carry_no_password_and_point_at_their_fhir_user(medly_tables):
    accounts = [a for m in medly_tables["usuarios"] for a in m.accounts]
    ids = {f"{r['resourceType']}/{r['id']}" for m in medly_tables["usuarios"] for r in m.resources}
    assert accounts and all(a.fhir_user in ids for a in accounts)
    assert {a.role for a in accounts} == {"administrador", "doctor", "paciente"}
    assert all("$2" not in repr(a) for a in accounts)  # no bcrypt hash travels


def _ctx() -> RequestContext:
    return RequestContext("http://testserver/fhir", "es", ZONE, principal=Principal(kind="system"))


def _write(storage: SqlStorage, rows: list[Mapped]) -> None:
    ctx = _ctx()
    raws = [
        {"resource": r, "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}}
        for m in rows
        for r in m.resources
    ]
    if raws:
        entries = [parse_entry(i, raw, ctx, in_transaction=True) for i, raw in enumerate(raws)]
        results = process(storage, ctx, entries)
        assert all(result.status in (200, 201) for result in results.values())


def _versions(storage: SqlStorage) -> dict[str, int]:
    with storage.engine.connect() as connection:
        return versions_by_type(connection)


def test_every_resource_is_accepted_by_the_write_path_and_references_resolve(storage, medly_tables, medly_dump):  # noqa: F811
    for rows in medly_tables.values():
        _write(storage, rows)  # the write path checks claimed profiles and that references resolve
    versions = _versions(storage)
    for rows in _read(medly_dump).values():  # a second run: same ids, same content, nothing new
        _write(storage, rows)
    assert _versions(storage) == versions
    spot = medly_dump.planted.spot["consulta"]
    consultas = {m.row.split("_id=")[-1]: m for m in medly_tables["historial_consultas"]}
    impression = next(r for r in consultas[str(spot["_id"])].resources if r["resourceType"] == "ClinicalImpression")
    stored = storage.read("ClinicalImpression", impression["id"])
    assert stored is not None and stored.content is not None
    body: dict[str, Any] = loads(stored.content)
    assert body["summary"] == spot["diagnostico"]
    assert body["identifier"][0]["use"] == "old"
    encounter = storage.read("Encounter", body["encounter"]["reference"].split("/")[1])
    assert encounter is not None and loads(encounter.content or b"{}")["status"] == "finished"


def test_extended_json_canonical_and_relaxed_forms():
    canonical = decode(
        '{"_id": {"$oid": "65a1f0c2e4b0a1b2c3d4e5f6"}, "n": {"$numberInt": "7"}, "l": {"$numberLong": "9"},'
        ' "d": {"$numberDouble": "36.5"}, "t": {"$date": {"$numberLong": "1733065200000"}}}'
    )
    relaxed = decode('{"_id": {"$oid": "65a1f0c2e4b0a1b2c3d4e5f6"}, "n": 7, "t": {"$date": "2024-12-01T15:00:00Z"}}')
    assert canonical["_id"] == relaxed["_id"] == "65a1f0c2e4b0a1b2c3d4e5f6"
    assert canonical["n"] == relaxed["n"] == 7 and canonical["l"] == 9 and canonical["d"] == 36.5
    assert canonical["t"] == relaxed["t"] and canonical["t"].tzinfo is not None
    assert canonical["t"].astimezone(UTC).hour == 15
    assert as_int(7.0) == 7 and as_int("12") == 12 and as_int(True) is None and as_int(7.5) is None
    with pytest.raises(ValueError):
        decode('{"_id": {"$oid": "zz"}')
