"""S13 (EHR half): a messy legacy EHR on the real PostgreSQL imported into the FHIR server, on both engines."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa

from fhir_server.auth.accounts import LoginResult, check_login, find_account
from fhir_server.auth.grant import TokenAuthenticator
from fhir_server.auth.mail import undelivered
from fhir_server.auth.throttle import LoginLimits
from fhir_server.cli import main
from fhir_server.mappings.legacy.ehr.common import rid
from fhir_server.mappings.legacy.ehr.source import open_ehr_source
from fhir_server.mappings.legacy.report import ImportReport
from fhir_server.mappings.legacy.runner import run_import
from fhir_server.model import canonical as c
from fhir_server.model.json import loads
from fhir_server.settings import Settings
from fhir_server.storage.repository import SqlStorage
from fhir_server.storage.schema import metadata, resource
from tests.auth.test_reset_flow import reset_site
from tests.clinic.conftest import load_clinic
from tests.mappings.legacy.conftest import LegacyEhr, stored_dpa
from tests.security.logins import PASSWORD as LOGIN_PASSWORD
from tests.security.logins import login
from tests.storage.layouts import versions_by_type

CLINICAL_TYPES = ("Patient", "Practitioner", "Appointment", "Encounter", "Observation", "ClinicalImpression",
                  "Condition", "MedicationRequest", "FamilyMemberHistory", "Coverage", "List")  # fmt: skip


def _import(storage: SqlStorage, settings: Settings, legacy: LegacyEhr, **options: Any) -> ImportReport:
    source = open_ehr_source(legacy.url, dpa=stored_dpa(storage))
    try:
        return run_import(source, storage, settings=settings, **options)
    finally:
        source.close()


def _versions(storage: SqlStorage, but: str = "") -> int:
    with storage.engine.connect() as connection:
        return sum(count for type_name, count in versions_by_type(connection).items() if type_name != but)


def _provenance_targets(storage: SqlStorage) -> list[str]:
    """Every version a Provenance names, repeats kept, in order."""
    query = sa.select(resource.c.content).where(resource.c.res_type == "Provenance", resource.c.content.is_not(None))
    with storage.engine.connect() as connection:
        contents = connection.execute(query).scalars().all()
    return sorted(target["reference"] for content in contents for target in loads(content)["target"])


def _snapshot(storage: SqlStorage) -> dict[tuple[str, str], Any]:
    """Every live resource's content without versionId/lastUpdated (what a clean run must reproduce)."""
    with storage.engine.connect() as connection:
        rows = connection.execute(sa.select(resource.c.res_type, resource.c.res_id, resource.c.content)).all()
    found = {}
    for type_name, res_id, content in rows:
        if content is None or type_name in ("AuditEvent", "Provenance"):
            continue
        body = loads(content)
        body["meta"] = {k: v for k, v in body.get("meta", {}).items() if k not in ("versionId", "lastUpdated")}
        found[(type_name, res_id)] = body
    return found


def _read(storage: SqlStorage, type_name: str, res_id: str) -> dict[str, Any]:
    stored = storage.read(type_name, res_id)
    assert stored is not None and stored.content is not None, f"{type_name}/{res_id} missing"
    body: dict[str, Any] = loads(stored.content)
    return body


def _legacy(legacy: LegacyEhr, sql: str) -> dict[str, Any]:
    with psycopg.connect(legacy.url, row_factory=psycopg.rows.dict_row) as conn:
        row = conn.execute(sql).fetchone()
    assert row is not None
    return row


def test_s13_counts_reconcile_and_every_trap_is_reported(
    clinic_target: SqlStorage, settings: Settings, legacy_ehr: LegacyEhr
) -> None:
    report = _import(clinic_target, settings, legacy_ehr)

    assert report.reconciles()
    for table, count in legacy_ehr.planted.counts.items():
        assert report.tables[table].read == count, table
    reported = {(f.code, f.table, f.row) for f in report.findings}
    assert legacy_ehr.planted.findings <= reported, legacy_ehr.planted.findings - reported
    # The text report summarises each kind of finding with its count before listing every row.
    summary = report.text("es").split("Hallazgos por tipo", 1)[1].split("Hallazgos (", 1)[0]
    for code in {f.code for f in report.findings}:
        times = sum(1 for f in report.findings if f.code == code)
        shown = [line.split() for line in summary.splitlines() if line.split()[:1] == [code]]
        assert sum(int(parts[-1]) for parts in shown) == times, code
    # Per FHIR type: what the report says was created is what the database holds.
    for type_name in CLINICAL_TYPES:
        assert len(clinic_target.versions([type_name])) == report.types[type_name].created, type_name
    tables = report.tables
    assert report.types["Patient"].created == tables["Patients"].imported
    assert report.types["ClinicalImpression"].created == tables["Evoluciones"].imported
    assert report.types["Condition"].created == tables["diagnosticos"].imported
    assert report.types["MedicationRequest"].created == tables["Prescripciones"].imported
    panels = [o for o in _all(clinic_target, "Observation") if o["code"]["coding"][0]["code"] == "85353-1"]
    assert len(panels) == tables["VitalSigns"].imported
    # Every migrated resource carries its legacy identifier (use=old).
    for type_name in CLINICAL_TYPES:
        for body in _all(clinic_target, type_name):
            assert any(i.get("use") == "old" for i in body.get("identifier", [])), body["id"]
    # Staff accounts: linked to their Practitioner, inactive until a password reset.
    account = find_account(clinic_target.engine, "dr.garcia")
    assert account is not None and not account.active and account.fhir_user == f"Practitioner/{rid('Users', 2)}"
    assert find_account(clinic_target.engine, "dra.lucia.paz") is not None
    _spot_check(clinic_target, legacy_ehr)

    # Running it again leaves the FHIR database as it was.
    before, snapshot = _versions(clinic_target), _snapshot(clinic_target)
    again = _import(clinic_target, settings, legacy_ehr)
    assert _versions(clinic_target) == before
    assert _snapshot(clinic_target) == snapshot
    assert all(t.created == t.updated == 0 for t in again.types.values())
    assert again.accounts_created == 0 and again.accounts_existing > 0


def _spot_check(clinic_target: SqlStorage, legacy_ehr: LegacyEhr) -> None:
    """A legacy evolución reads back with the same texts, CIE-10 code and Spanish name, prescription text."""
    key = legacy_ehr.planted.spot_evolucion
    evolucion = _legacy(legacy_ehr, f'SELECT * FROM "Evoluciones" WHERE id = {key}')
    impression = _read(clinic_target, "ClinicalImpression", rid("Evoluciones", key))
    assert impression["description"] == evolucion["enfermedad_actual"]
    assert c.PROFILE_EVOLUCION in impression["meta"]["profile"]
    encounter = _read(clinic_target, "Encounter", impression["encounter"]["reference"].split("/")[1])
    assert encounter["reasonCode"][0]["text"] == evolucion["motivo_consulta"]
    diagnosis = _legacy(
        legacy_ehr, f"SELECT d.id, c.codigo, c.nombre FROM diagnosticos d JOIN cie c ON c.id = d.cieid "
        f"WHERE d.evolucionid = {key} ORDER BY d.id LIMIT 1"
    )  # fmt: skip
    condition = _read(clinic_target, "Condition", rid("diagnosticos", diagnosis["id"]))
    coding = condition["code"]["coding"][0]
    assert coding["system"] == c.ICD10 and coding["code"].replace(".", "") == diagnosis["codigo"].replace(".", "")
    assert coding["display"] == diagnosis["nombre"] == condition["code"]["text"]
    assert {"reference": f"Condition/{condition['id']}"} in impression["problem"]
    prescription = _legacy(
        legacy_ehr, f'SELECT * FROM "Prescripciones" WHERE "evolucionId" = {key} ORDER BY id LIMIT 1'
    )
    request = _read(clinic_target, "MedicationRequest", rid("Prescripciones", prescription["id"]))
    assert request["medicationCodeableConcept"]["text"].startswith(prescription["nombre_generico"])
    text = request["dosageInstruction"][0]["text"]
    for column in ("dosis", "frecuencia", "duracion_tratamiento", "indicaciones_adicionales"):
        assert prescription[column] in text


def _all(storage: SqlStorage, type_name: str) -> list[dict[str, Any]]:
    return [_read(storage, type_name, res_id) for _, res_id, _, _ in storage.versions([type_name])]


class _Stop(Exception):
    pass


def test_interrupted_run_resumes_to_the_clean_result(
    clinic_target: SqlStorage, settings: Settings, legacy_ehr: LegacyEhr
) -> None:
    chunks = 0

    def stop_midway(table: str, done: int, total: int) -> None:
        nonlocal chunks
        chunks += done > 0
        if table == "VitalSigns" and done > 0:
            raise _Stop

    with pytest.raises(_Stop):
        _import(clinic_target, settings, legacy_ehr, chunk_size=15, progress=stop_midway)
    assert chunks > 3
    _import(clinic_target, settings, legacy_ehr, chunk_size=15)
    resumed = _snapshot(clinic_target)
    resumed_named, resumed_clinical = _provenance_targets(clinic_target), _versions(clinic_target, but="Provenance")

    with clinic_target.engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())
    load_clinic(clinic_target)
    _import(clinic_target, settings, legacy_ehr)

    assert _snapshot(clinic_target) == resumed
    # The same versions, each named by one Provenance; only the number of Provenances (one per chunk) differs.
    assert _provenance_targets(clinic_target) == resumed_named
    assert _versions(clinic_target, but="Provenance") == resumed_clinical


def test_cli_dry_run_reports_in_english_what_the_real_run_does(
    clinic_target: SqlStorage,
    settings: Settings,
    legacy_ehr: LegacyEhr,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("FHIR_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("FHIR_BASE_URL", settings.base_url)
    target = tmp_path / "informe.json"
    before = _versions(clinic_target)
    args = ["import-legacy", "ehr", "--source", legacy_ehr.url, "--dry-run", "--lang", "en", "--report", str(target)]

    assert main([*args, "--no-progress"]) == 0

    printed = capsys.readouterr().out
    assert "Import report: ehr" in printed and "Dry run" in printed
    data = json.loads(target.read_text("utf-8"))
    assert data["dryRun"] is True and data["language"] == "en"
    derived = data["tables"]["empresa"]["read"] + data["tables"]["aseguradora"]["read"]  # tables the importer makes
    assert data["totals"]["read"] == sum(legacy_ehr.planted.counts.values()) + derived
    codes = {(f["code"], f["table"], f["row"]) for f in data["findings"]}
    assert legacy_ehr.planted.findings <= codes
    assert any("cédula" in f["message"] or "cedula" in f["message"] for f in data["findings"])
    assert "$2a$" not in target.read_text("utf-8") and "$2a$" not in printed  # legacy hashes never surface
    assert _versions(clinic_target) == before  # the dry run wrote nothing
    assert find_account(clinic_target.engine, "dr.garcia") is None

    # The real run: on PostgreSQL from two writer processes, which must not change the outcome.
    workers = 2 if settings.database_url.startswith("postgresql") else 1
    real = _import(clinic_target, settings, legacy_ehr, workers=workers).as_json("en")

    for part in ("tables", "types", "accounts"):
        assert data[part] == real[part], part
    assert sorted(map(str, data["findings"])) == sorted(map(str, real["findings"]))
    assert data["totals"]["read"] == real["totals"]["read"]


def test_an_imported_staff_account_activates_through_its_link_and_logs_in_as_its_practitioner(
    clinic_target: SqlStorage,
    settings: Settings,
    legacy_ehr: LegacyEhr,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _import(clinic_target, settings, legacy_ehr)
    imported = find_account(clinic_target.engine, "dr.garcia")
    assert imported is not None and imported.state == "pending" and imported.email == "dr.garcia@clinica.ec"
    practitioner = f"Practitioner/{rid('Users', 2)}"
    with reset_site(clinic_target, clinic_target.engine, settings.database_url) as site:
        monkeypatch.setenv("FHIR_DATABASE_URL", settings.database_url)
        monkeypatch.setenv("FHIR_BASE_URL", site.base)
        capsys.readouterr()
        assert main(["send-activation", "--all-pending"]) == 0
        printed = capsys.readouterr().out
        assert "sent: dr.garcia" in printed
        assert "needs an administrator (no e-mail; use set-email, then send again): dr.viejo" in printed
        assert "enf.ines" not in printed  # inactive in the legacy system: created deactivated, no link
        assert find_account(clinic_target.engine, "enf.ines").state == "deactivated"  # type: ignore[union-attr]
        mails = {mail.recipient: mail for mail in undelivered(clinic_target.engine)}
        link = re.findall(r"^(http\S+)$", mails["dr.garcia@clinica.ec"].body, re.MULTILINE)[0]
        assert site.reset(link, LOGIN_PASSWORD).status_code == 200
        headers = login(site.http, clinic_target.engine, site.base, "dr.garcia", "user/*.rs")
        grant = TokenAuthenticator(clinic_target.engine, site.base).authenticate(headers["Authorization"][7:])
        assert grant is not None and grant.fhir_user == practitioner and grant.role == "doctor"
        assert _read(clinic_target, "Practitioner", rid("Users", 2))["id"] == rid("Users", 2)
    # Importing again leaves the activated account (and every other one) as it is.
    again = _import(clinic_target, settings, legacy_ehr)
    assert again.accounts_created == 0
    after = find_account(clinic_target.engine, "dr.garcia")
    assert after is not None and after.state == "active" and after.fhir_user == practitioner
    assert (
        check_login(clinic_target.engine, "dr.garcia", LOGIN_PASSWORD, "10.0.0.9", LoginLimits())[0] is LoginResult.OK
    )
