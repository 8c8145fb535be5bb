"""Bulk Data $import over HTTP: kick-off, polling, manifest, error files, cancel, and what may be imported.

Only files of this server are accepted ($export output of the same client, or the import folder);
every other URL answers 400 before anything is read, and only callers allowed to write every imported
type may start an import.
"""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from fhir_server.api.app import create_app
from fhir_server.auth.accounts import create_account
from fhir_server.auth.clients import create_client
from fhir_server.auth.common import new_id
from fhir_server.auth.tokens import LaunchContext, new_token_values, store_tokens
from fhir_server.storage.import_jobs import ImportJobs
from fhir_server.storage.repository import SqlStorage
from tests.api.test_auth_backend import _jwks, _keys, assertion, token_request
from tests.api.test_bulk_export import ASYNC, finish, kickoff, local, system_token
from tests.audit.helpers import codes, written
from tests.auth.fixtures import FHIR_BASE, ORIGIN, auth_db  # noqa: F401
from tests.conftest import make_settings
from tests.security import world

NDJSON = "application/fhir+ndjson"
JSON_HEADERS = {**ASYNC, "Content-Type": "application/fhir+json"}


@pytest.fixture
def import_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "import"
    (folder / "lote").mkdir(parents=True)
    return folder


def _settings(database_url: str, tmp_path: Path, import_dir: Path, **overrides: Any) -> Any:
    return make_settings(
        database_url, base_url=FHIR_BASE, auth_enabled=True, bulk_dir=tmp_path / "bulk", bulk_batch_size=2,
        bulk_poll_seconds=0.05, import_dir=import_dir, import_batch_size=2, **overrides,
    )  # fmt: skip


@pytest.fixture
def http(
    storage: SqlStorage,
    auth_db: sa.Engine,  # noqa: F811
    database_url: str,
    tmp_path: Path,
    import_dir: Path,
) -> Iterator[TestClient]:
    world.build(storage)
    app = create_app(_settings(database_url, tmp_path, import_dir), storage=storage)
    with TestClient(app, base_url=ORIGIN, raise_server_exceptions=False) as client:
        yield client


def parameters(*inputs: tuple[str, str], **extra: str) -> dict[str, Any]:
    params: list[dict[str, Any]] = [
        {"name": "inputFormat", "valueCode": extra.get("inputFormat", NDJSON)},
        {"name": "inputSource", "valueUri": "https://ehr.example.org/fhir"},
        {"name": "storageDetail", "part": [{"name": "type", "valueCode": "https"}]},
    ]
    params += [
        {"name": "input", "part": [{"name": "type", "valueCode": t}, {"name": "url", "valueUri": u}]} for t, u in inputs
    ]
    return {"resourceType": "Parameters", "parameter": params}


def start(http: TestClient, token: dict[str, str], body: dict[str, Any], expected: int = 202) -> str:
    response = http.post("/fhir/$import", headers={**JSON_HEADERS, **token}, json=body)
    assert response.status_code == expected, response.text
    if expected != 202:
        assert response.json()["resourceType"] == "OperationOutcome"
        return ""
    assert response.headers["content-location"].startswith(f"{FHIR_BASE}/$import-status/")
    return response.headers["content-location"]


def without_meta(resource: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in resource.items() if k != "meta"}


def write_lines(path: Path, lines: list[dict[str, Any] | str]) -> str:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines), encoding="utf-8")
    return f"{FHIR_BASE}/$import-file/{path.relative_to(path.parents[1]).as_posix()}"


def test_export_then_import_restores_deleted_and_changed_resources(http, auth_db):  # noqa: F811
    scope = "system/Patient.cruds system/Observation.cruds"
    ec, _rsa = _keys()
    create_client(auth_db, "backend", name="Respaldo", client_id="respaldo", jwks=_jwks(ec), scope=scope)
    token_url = f"{ORIGIN}/auth/token"
    issued = token_request(http, token_url, assertion(ec, "ES384", token_url, client_id="respaldo"), scope=scope)
    assert issued.status_code == 200, issued.text
    token = {"Authorization": f"Bearer {issued.json()['access_token']}"}

    export = finish(http, kickoff(http, "$export?_type=Patient,Observation", token), token)
    saved: dict[str, dict[str, Any]] = {}
    for output in export["output"]:
        for line in http.get(local(output["url"]), headers=token).text.splitlines():
            resource = json.loads(line)
            saved[f"{resource['resourceType']}/{resource['id']}"] = resource
    assert {"Patient/ana", "Patient/beto", "Observation/obs-ana", "Observation/lab-ana"} <= set(saved)

    # Lose some data: two deletions and a change.
    assert http.delete("/fhir/Patient/ana", headers=token).status_code in (200, 204)
    assert http.delete("/fhir/Observation/obs-ana", headers=token).status_code in (200, 204)
    changed = {**without_meta(saved["Patient/beto"]), "name": [{"family": "Otro"}]}
    assert http.put("/fhir/Patient/beto", headers={**token, "Content-Type": "application/fhir+json"},
                    json=changed).status_code == 200  # fmt: skip
    assert http.get("/fhir/Patient/ana", headers=token).status_code == 410

    assert http.post("/fhir/$import", headers={**token, "Content-Type": "application/fhir+json"},
                     json=parameters()).status_code == 400  # no Prefer: respond-async  # fmt: skip
    inputs = [(o["type"], o["url"]) for o in export["output"]]
    status_url = start(http, token, parameters(*inputs))
    assert http.get(local(status_url)).status_code == 401
    assert http.get(local(status_url), headers=system_token(auth_db, scope)).status_code == 404  # not theirs
    manifest = finish(http, status_url, token)
    assert manifest["request"] == f"{FHIR_BASE}/$import" and manifest["requiresAccessToken"] is True
    assert manifest["error"] == []
    assert [(o["type"], o["inputUrl"], o["count"]) for o in manifest["output"]] == [
        (o["type"], o["url"], o["count"]) for o in export["output"]
    ]
    for key, resource in saved.items():
        now = http.get(f"/fhir/{key}", headers=token)
        assert now.status_code == 200, key
        assert without_meta(now.json()) == without_meta(resource), key
    found = http.get("/fhir/Patient?family=Pérez", headers=token).json()
    assert [e["resource"]["id"] for e in found["entry"]] == ["ana"]
    found = http.get("/fhir/Observation?subject=Patient/ana", headers=token).json()
    assert {e["resource"]["id"] for e in found["entry"]} == {"obs-ana", "lab-ana"}

    # Importing the same files again changes nothing (PUT semantics).
    version = http.get("/fhir/Patient/ana", headers=token).json()["meta"]["versionId"]
    assert finish(http, start(http, token, parameters(*inputs)), token)["error"] == []
    assert http.get("/fhir/Patient/ana", headers=token).json()["meta"]["versionId"] == version
    assert http.delete(local(status_url), headers=token).status_code == 202  # a finished job's record goes
    assert http.get(local(status_url), headers=token).status_code == 404


def test_import_folder_with_bad_lines(http, auth_db, import_dir):  # noqa: F811
    token = system_token(auth_db, "system/*.cud system/*.rs")
    patients = write_lines(import_dir / "lote" / "pacientes.ndjson", [
        {"resourceType": "Patient", "id": "carla", "name": [{"family": "Carrión"}]},
        "{no es json",
        world.observation("obs-x", "carla"),
        {"resourceType": "Patient", "id": "malo", "gender": "H"},
        {"resourceType": "Patient", "name": [{"family": "Sinid"}]},
        "",
        {"resourceType": "Patient", "id": "dario", "name": [{"family": "Dávila"}]},
    ])  # fmt: skip
    with gzip.open(import_dir / "lote" / "mas.ndjson.gz", "wt", encoding="utf-8") as out:
        out.write(json.dumps({"resourceType": "Patient", "id": "eva", "name": [{"family": "Espinoza"}]}) + "\n")
    packed = f"{FHIR_BASE}/$import-file/lote/mas.ndjson.gz"
    # The proposal's plain JSON form of the kick-off, too.
    body = {"inputFormat": NDJSON, "inputSource": "https://legacy.example.org",
            "input": [{"type": "Patient", "url": patients}, {"type": "Patient", "url": packed}]}  # fmt: skip
    response = http.post("/fhir/$import", headers={**ASYNC, **token, "Content-Type": "application/json"}, json=body)
    assert response.status_code == 202, response.text
    manifest = finish(http, response.headers["content-location"], token)
    assert [(o["inputUrl"], o["count"]) for o in manifest["output"]] == [(patients, 3), (packed, 1)]
    [error] = manifest["error"]
    assert (error["type"], error["inputUrl"], error["count"]) == ("OperationOutcome", patients, 3)
    assert http.get(local(error["url"])).status_code == 401
    errors = http.get(local(error["url"]), headers={**token, "Accept-Language": "en"})
    assert errors.status_code == 200 and errors.headers["content-type"].startswith(NDJSON)
    outcomes = [json.loads(line) for line in errors.text.splitlines()]
    assert all(o["resourceType"] == "OperationOutcome" for o in outcomes)
    texts = [o["issue"][0]["diagnostics"] for o in outcomes]
    assert [t.split(": ", 1)[0] for t in texts] == [f"{patients}, line {n}" for n in (2, 3, 4)]
    assert "Observation" in texts[1]
    for res_id in ("carla", "dario", "eva"):
        assert http.get(f"/fhir/Patient/{res_id}", headers=token).status_code == 200
    assert http.get("/fhir/Patient/malo", headers=token).status_code == 404
    found = http.get("/fhir/Patient?family=Sinid", headers=token).json()
    assert len(found["entry"]) == 1  # a line without an id got a server id


def test_an_import_job_audits_per_batch_not_per_resource(http, storage, auth_db, import_dir):  # noqa: F811
    token = system_token(auth_db, "system/*.cud system/*.rs")
    lines: list[dict[str, Any] | str] = [
        {"resourceType": "Patient", "id": f"p{n}", "name": [{"family": "Auditada"}]} for n in range(6)
    ]
    url = write_lines(import_dir / "lote" / "auditados.ndjson", lines)
    finish(http, start(http, {**ASYNC, **token}, parameters(("Patient", url))), token)
    provenances = written(storage, "Provenance")
    # import_batch_size=2: three batches, each one Provenance naming its two versions.
    assert sorted(len(p["target"]) for p in provenances) == [2, 2, 2]
    assert {t["reference"] for p in provenances for t in p["target"]} == {f"Patient/p{n}/_history/1" for n in range(6)}
    events = written(storage, "AuditEvent")
    assert not [e for e in events if "create" in codes(e["subtype"])]  # no per-resource AuditEvent


def test_urls_outside_this_servers_files_are_refused(http, auth_db, import_dir, tmp_path):  # noqa: F811
    token = system_token(auth_db, "system/*.cruds")
    write_lines(import_dir / "lote" / "ok.ndjson", [{"resourceType": "Patient", "id": "x"}])
    (import_dir / "lote" / "notas.txt").write_text("{}\n")
    secret = tmp_path / "secret.ndjson"
    secret.write_text('{"resourceType": "Patient", "id": "secreto"}\n')
    (import_dir / "fuera.ndjson").symlink_to(secret)
    other = system_token(auth_db, "system/*.cruds")
    theirs = finish(http, kickoff(http, "$export?_type=Patient", other), other)["output"][0]["url"]
    mine = finish(http, kickoff(http, "$export?_type=Patient", token), token)["output"][0]["url"]
    refused = [
        "https://evil.example.org/Patient.ndjson",
        "http://127.0.0.1:8081/fhir/$import-file/lote/ok.ndjson",  # another port
        "http://user@127.0.0.1:8080/fhir/$import-file/lote/ok.ndjson",
        f"{FHIR_BASE}/$import-file/lote/ok.ndjson?x=1",
        f"{FHIR_BASE}/$import-file/../secret.ndjson",
        f"{FHIR_BASE}/$import-file/lote/%2e%2e/%2e%2e/secret.ndjson",
        f"{FHIR_BASE}/$import-file/lote%2F..%2F..%2Fsecret.ndjson",
        f"{FHIR_BASE}/$import-file//etc/passwd.ndjson",
        f"{FHIR_BASE}/$import-file/{secret}",
        f"{FHIR_BASE}/$import-file/fuera.ndjson",  # a symbolic link out of the folder
        f"{FHIR_BASE}/$import-file/lote/notas.txt",
        f"{FHIR_BASE}/$import-file/lote/nada.ndjson",
        f"{FHIR_BASE}/$export-file/{'0' * 32}/001-Patient.ndjson",  # no such job
        f"{FHIR_BASE}/$export-file/../001-Patient.ndjson",
        theirs,  # another client's export
        f"{FHIR_BASE}/Patient/ana",
        "/etc/passwd",
        "file:///etc/passwd",
        "../../etc/passwd",
    ]
    for url in refused:
        start(http, token, parameters(("Patient", url)), expected=400)
    start(http, token, parameters(("Patient", mine), ("Patient", f"{FHIR_BASE}/$import-file/lote/ok.ndjson")))
    # Parameters: required ones, the format, the types.
    start(http, token, parameters(("Patient", mine), inputFormat="text/csv"), expected=400)
    start(http, token, parameters(), expected=400)
    start(http, token, parameters(("AuditEvent", mine)), expected=400)
    start(http, token, parameters(("Nada", mine)), expected=400)
    start(http, token, {"resourceType": "Patient"}, expected=400)
    unknown = parameters(("Patient", mine))
    unknown["parameter"].append({"name": "mode", "valueCode": "merge"})
    start(http, token, unknown, expected=400)
    response = http.post("/fhir/$import", json=unknown,
                         headers={**JSON_HEADERS, **token, "Prefer": "respond-async, handling=lenient"})  # fmt: skip
    assert response.status_code == 202
    statement = http.get("/fhir/metadata").json()
    assert "import" in {o["name"] for o in statement["rest"][0]["operation"]}


def _user_token(auth_db: sa.Engine, role: str, scope: str) -> dict[str, str]:  # noqa: F811
    client_id = f"app-{uuid.uuid4().hex[:8]}"
    create_client(auth_db, "public", name="app", client_id=client_id, redirect_uris=("http://127.0.0.1:9/cb",))
    account = create_account(auth_db, f"u{uuid.uuid4().hex[:8]}", "una-clave-muy-larga-1", role,
                             None if role == "administrador" else "Practitioner/dra")  # fmt: skip
    issued = new_token_values(False)
    store_tokens(auth_db, issued, family_id=new_id(), client_id=client_id, account_id=account.id, scope=scope,
                 context=LaunchContext(), audience=FHIR_BASE, access_seconds=300, refresh_seconds=0)  # fmt: skip
    return {"Authorization": f"Bearer {issued.access_token}"}


def test_only_callers_who_may_write_every_type_may_import(http, auth_db, import_dir):  # noqa: F811
    patients = write_lines(import_dir / "lote" / "p.ndjson", [{"resourceType": "Patient", "id": "p1"}])
    staff = write_lines(import_dir / "lote" / "s.ndjson", [{"resourceType": "Practitioner", "id": "s1"}])
    both = parameters(("Patient", patients), ("Practitioner", staff))
    response = http.post("/fhir/$import", headers=JSON_HEADERS, json=both)
    assert response.status_code == 401
    for scope in ("system/*.rs", "system/Patient.cud", "system/*.c system/*.rs", "system/*.cud?gender=female"):
        start(http, system_token(auth_db, scope), both, expected=403)
    start(http, system_token(auth_db, "system/Patient.write system/Practitioner.write"), both)
    # Users: an administrator may import what their token lets them create and update; nobody else.
    admin = _user_token(auth_db, "administrador", "user/Practitioner.cruds")
    start(http, admin, parameters(("Practitioner", staff)))
    start(http, admin, both, expected=403)
    start(http, _user_token(auth_db, "doctor", "user/Patient.cruds user/Practitioner.cruds"), both, expected=403)


def test_cancel(storage, auth_db, database_url, tmp_path, import_dir):  # noqa: F811
    url = write_lines(import_dir / "lote" / "p.ndjson", [{"resourceType": "Patient", "id": f"c{i}"} for i in range(5)])
    # No worker in this process: the job stays queued until cancelled.
    app = create_app(_settings(database_url, tmp_path, import_dir, import_workers=0), storage=storage)
    token = system_token(auth_db, "system/*.cruds")
    with TestClient(app, base_url=ORIGIN, raise_server_exceptions=False) as http:
        status_url = start(http, token, parameters(("Patient", url)))
        polled = http.get(local(status_url), headers=token)
        assert polled.status_code == 202 and polled.headers["x-progress"] == "queued"
        assert http.delete(local(status_url), headers=system_token(auth_db, "system/*.cruds")).status_code == 404
        assert http.delete(local(status_url), headers=token).status_code == 202
        assert http.get(local(status_url), headers=token).status_code == 404
        assert http.delete(local(status_url), headers=token).status_code == 404
        assert http.get("/fhir/Patient/c0", headers=token).status_code == 404
    # The cancelled job stays (flagged) until its worker, or the clean-up, removes it.
    job = ImportJobs(storage.engine).get(status_url.rsplit("/", 1)[1])
    assert job is not None and job.cancelled
