"""S13, Medly half: the import runner over a real MariaDB + expedientes export, into SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from fhir_server.mappings.legacy.medly import open_medly_source
from fhir_server.mappings.legacy.medly.common import rid
from fhir_server.mappings.legacy.report import ImportReport
from fhir_server.mappings.legacy.runner import run_import
from fhir_server.model.json import loads
from fhir_server.storage.repository import SqlStorage
from tests.mappings.legacy.medly_data import TODAY
from tests.mappings.legacy.medly_fixtures import MedlyDump, medly_dump  # noqa: F401 - the fixture
from tests.storage.layouts import versions_by_type

PER_CONSULTATION = ("consulta-sin-medico", "signos-vitales-perdidos")


def _import(dump: MedlyDump, storage: SqlStorage, settings: Any) -> ImportReport:
    source = open_medly_source(dump.url, dump.expedientes, today=TODAY)
    try:
        return run_import(source, storage, settings=settings, chunk_size=25)
    finally:
        source.close()


def _versions(storage: SqlStorage) -> int:
    with storage.engine.connect() as connection:
        return sum(versions_by_type(connection).values())


def _read(storage: SqlStorage, type_name: str, res_id: str) -> dict[str, Any]:
    stored = storage.read(type_name, res_id)
    assert stored is not None and stored.content is not None
    body: dict[str, Any] = loads(stored.content)
    return body


def test_s13_medly_end_to_end(medly_dump, storage, settings):  # noqa: F811
    planted = medly_dump.planted
    report = _import(medly_dump, storage, settings)
    assert report.reconciles()
    assert {name: count.read for name, count in report.tables.items()} == planted.counts
    rejected = [f for f in report.findings if f.code not in {c for c, _, _ in planted.findings} | set(PER_CONSULTATION)]
    assert rejected == []  # no row refused by the write path
    found = {(f.code, f.table, f.row) for f in report.findings if f.code not in PER_CONSULTATION}
    assert found == planted.findings
    assert report.types["Patient"].created == planted.patients
    assert report.types["ClinicalImpression"].created == planted.consultations
    assert report.types["MedicationRequest"].created == planted.prescriptions
    assert report.types["AllergyIntolerance"].created == planted.allergies
    # Spot check: a consultation reads back with its diagnosis, notes and prescription text, and legacy identifiers.
    document, consulta = planted.spot["document"], planted.spot["consulta"]
    impression = _read(storage, "ClinicalImpression", rid("historial_consultas", str(consulta["_id"])))
    assert impression["summary"] == consulta["diagnostico"]
    assert impression["identifier"][0] == {
        "use": "old",
        "system": "https://fhir.consultorio.ec/fhir/sid/legacy/medly/historial_consultas",
        "value": str(consulta["_id"]),
    }
    if consulta["notas_adicionales"]:
        assert impression["note"][0]["text"] == consulta["notas_adicionales"]
    condition = _read(storage, "Condition", impression["problem"][0]["reference"].split("/")[1])
    assert condition["code"]["text"] == consulta["diagnostico"]
    for line in consulta["receta"]:
        prescription = _read(storage, "MedicationRequest", rid("receta", str(line["_id"])))
        assert prescription["medicationCodeableConcept"]["text"] == line["medicamento"]
        assert prescription["dosageInstruction"][0]["text"] == f"{line['dosis']}, {line['frecuencia']}"
    patient = _read(storage, "Patient", rid("usuarios", document["id_paciente_sql"]))
    assert patient["identifier"][0]["use"] == "old"


def test_importing_twice_changes_nothing(medly_dump, storage, settings):  # noqa: F811
    _import(medly_dump, storage, settings)
    versions = _versions(storage)
    again = _import(medly_dump, storage, settings)
    assert _versions(storage) == versions
    assert all(count.created == 0 and count.updated == 0 for count in again.types.values())
