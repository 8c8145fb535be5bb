"""Bulk Data $export over HTTP with Backend Services tokens: kick-off, polling, manifest, files, cancel.

The NDJSON files must hold exactly what a search by the same client returns, type by type.
"""

from __future__ import annotations

import json
import time
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
from fhir_server.storage.repository import SqlStorage
from tests.api.test_auth_backend import _jwks, _keys, assertion, token_request
from tests.auth.fixtures import FHIR_BASE, ORIGIN, auth_db  # noqa: F401
from tests.conftest import make_settings
from tests.security import world
from tests.security.conftest import seed

VITALS = f"{world.VITALS}|vital-signs"
ASYNC = {"Prefer": "respond-async", "Accept": "application/fhir+json"}
TEXTS: list[str] = []  # every NDJSON file downloaded, for checks on content
AUDIT_TYPES = ("AuditEvent", "Provenance")  # the server's own records of the test's requests


@pytest.fixture
def bulk_dir(tmp_path: Path) -> Path:
    return tmp_path / "bulk"


@pytest.fixture
def http(storage: SqlStorage, auth_db: sa.Engine, database_url: str, bulk_dir: Path) -> Iterator[TestClient]:  # noqa: F811
    world.build(storage)
    seed(storage, {"resourceType": "Group", "id": "referidos", "type": "person", "actual": True,
                   "member": [{"entity": {"reference": "Patient/ana"}}]})  # fmt: skip
    settings = make_settings(
        database_url, base_url=FHIR_BASE, auth_enabled=True, bulk_dir=bulk_dir, bulk_batch_size=2,
        bulk_poll_seconds=0.05,
    )  # fmt: skip
    with TestClient(create_app(settings, storage=storage), base_url=ORIGIN, raise_server_exceptions=False) as client:
        yield client


def system_token(auth_db: sa.Engine, scope: str, client_id: str | None = None) -> dict[str, str]:  # noqa: F811
    """A Backend Services access token (no user) for a registered backend client."""
    client_id = client_id or f"ehr-{uuid.uuid4().hex[:8]}"
    create_client(auth_db, "backend", name="Otro EHR", client_id=client_id, jwks=_jwks(*_keys()[:1]), scope=scope)
    issued = new_token_values(False)
    store_tokens(auth_db, issued, family_id=new_id(), client_id=client_id, account_id=None, scope=scope,
                 context=LaunchContext(), audience=FHIR_BASE, access_seconds=300, refresh_seconds=0)  # fmt: skip
    return {"Authorization": f"Bearer {issued.access_token}"}


def local(url: str) -> str:
    return url.removeprefix(ORIGIN)


def finish(http: TestClient, status_url: str, token: dict[str, str]) -> dict[str, Any]:
    """Poll the status URL until the manifest is there."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        response = http.get(local(status_url), headers=token)
        if response.status_code == 200:
            manifest: dict[str, Any] = response.json()
            return manifest
        assert response.status_code == 202, response.text
        assert response.headers["retry-after"] and response.headers["x-progress"]
        time.sleep(0.05)
    raise AssertionError("export did not finish")


def kickoff(http: TestClient, path: str, token: dict[str, str], **kwargs: Any) -> str:
    method = "POST" if "json" in kwargs else "GET"
    headers = {**ASYNC, **token, **({"Content-Type": "application/fhir+json"} if method == "POST" else {})}
    response = http.request(method, f"/fhir/{path}", headers=headers, **kwargs)
    assert response.status_code == 202, response.text
    return response.headers["content-location"]


def exported(http: TestClient, path: str, token: dict[str, str], **kwargs: Any) -> dict[str, set[str]]:
    """Run an export to the end; ids per type from its NDJSON files."""
    manifest = finish(http, kickoff(http, path, token, **kwargs), token)
    assert manifest["requiresAccessToken"] is True and manifest["error"] == []
    found: dict[str, set[str]] = {}
    for output in manifest["output"]:
        response = http.get(local(output["url"]), headers=token)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/fhir+ndjson")
        lines = [json.loads(line) for line in response.text.splitlines()]
        assert len(lines) == output["count"] and all(r["resourceType"] == output["type"] for r in lines)
        ids = [r["id"] for r in lines]
        assert len(ids) == len(set(ids)), "duplicates in the file"
        found[output["type"]] = set(ids)
        TEXTS.append(response.text)
    return found


def searched(http: TestClient, type_name: str, token: dict[str, str], query: str = "") -> set[str]:
    response = http.get(f"/fhir/{type_name}?_count=1000{query}", headers=token)
    assert response.status_code == 200, response.text
    return {entry["resource"]["id"] for entry in response.json().get("entry", [])}


def test_backend_services_export_holds_what_a_search_returns(http, auth_db, bulk_dir):  # noqa: F811
    scope = "system/Patient.rs system/Observation.rs system/Condition.rs"
    ec, _rsa = _keys()
    create_client(auth_db, "backend", name="Otro EHR", client_id="ehr", jwks=_jwks(ec), scope=scope)
    token_url = f"{ORIGIN}/auth/token"
    issued = token_request(http, token_url, assertion(ec, "ES384", token_url), scope=scope)
    assert issued.status_code == 200, issued.text
    token = {"Authorization": f"Bearer {issued.json()['access_token']}"}

    assert http.get("/fhir/$export", headers=token).status_code == 400  # no Prefer: respond-async
    assert http.get("/fhir/$export", headers=ASYNC).status_code == 401
    status_url = kickoff(http, "$export", token)
    manifest = finish(http, status_url, token)
    assert manifest["request"].endswith("/fhir/$export")
    files = exported(http, "$export", token)
    assert set(files) == {"Patient", "Observation", "Condition"}  # Practitioner, Appointment: not in scope
    for type_name, ids in files.items():
        assert ids == searched(http, type_name, token), type_name

    # Another client can neither poll nor download; no token at all is 401.
    other = system_token(auth_db, scope)
    assert http.get(local(status_url), headers=other).status_code == 404
    file_url = local(manifest["output"][0]["url"])
    assert http.get(file_url, headers=other).status_code == 404
    assert http.delete(local(status_url), headers=other).status_code == 404
    assert http.get(file_url).status_code == 401
    assert http.get(file_url, headers=token).status_code == 200

    # Cancelling (deleting) a finished export removes its files; its URLs are gone.
    job_id = status_url.rsplit("/", 1)[1]
    assert any((bulk_dir / job_id).iterdir())
    assert http.delete(local(status_url), headers=token).status_code == 202
    assert not (bulk_dir / job_id).exists()
    assert http.get(local(status_url), headers=token).status_code == 404
    assert http.get(file_url, headers=token).status_code == 404


def test_granular_scopes_type_filter_and_since(http, storage, auth_db):  # noqa: F811
    token = system_token(auth_db, f"system/Patient.rs system/Observation.rs?category={VITALS}")
    files = exported(http, "$export?_type=Observation", token)
    assert files == {"Observation": {"obs-ana", "obs-beto"}} == {"Observation": searched(http, "Observation", token)}
    files = exported(http, "$export?_typeFilter=Observation%3Fsubject%3DPatient%2Fana", token)
    assert files["Observation"] == {"obs-ana"} == searched(http, "Observation", token, "&subject=Patient/ana")
    assert files["Patient"] == {"ana", "beto"}
    # _since: only what changed after the instant.
    # The Group is the last resource the fixture wrote.
    cutoff = storage.read("Group", "referidos").last_updated
    cutoff = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(cutoff // 1_000_000)) + f".{cutoff % 1_000_000:06d}Z"
    time.sleep(0.01)
    seed(storage, world.observation("obs-nuevo", "beto"))
    assert exported(http, f"$export?_type=Observation,Patient&_since={cutoff}", token) == {"Observation": {"obs-nuevo"}}
    # Asking for a type outside the scopes fails the request.
    response = http.get("/fhir/$export?_type=Condition", headers={**ASYNC, **token})
    assert response.status_code == 403
    assert response.json()["resourceType"] == "OperationOutcome"


def test_patient_and_group_exports_stay_inside_the_compartments(http, auth_db):  # noqa: F811
    token = system_token(auth_db, "system/*.rs")
    TEXTS.clear()
    group = exported(http, "Group/referidos/$export", token)
    assert not any("Patient/beto" in text or '"beto"' in text for text in TEXTS)
    assert {k: v for k, v in group.items() if k not in AUDIT_TYPES} == {
        "Patient": {"ana"}, "Observation": {"obs-ana", "lab-ana"}, "Condition": {"cond-ana"},
        "Appointment": {"cita-ana"}, "Group": {"referidos"}}  # fmt: skip
    every = exported(http, "Patient/$export?_type=Patient,Observation,Practitioner", token)
    assert every == {"Patient": {"ana", "beto"}, "Observation": {"obs-ana", "obs-beto", "lab-ana"}}
    body = {"resourceType": "Parameters", "parameter": [
        {"name": "patient", "valueReference": {"reference": "Patient/beto"}},
        {"name": "_type", "valueString": "Patient,Condition"}]}  # fmt: skip
    assert exported(http, "Patient/$export", token, json=body) == {"Patient": {"beto"}, "Condition": {"cond-beto"}}
    assert http.get("/fhir/Group/nadie/$export", headers={**ASYNC, **token}).status_code == 404


def test_kickoff_parameters(http, auth_db):  # noqa: F811
    token = {**ASYNC, **system_token(auth_db, "system/*.rs")}
    assert http.get("/fhir/$export?_outputFormat=ndjson", headers=token).status_code == 202
    assert http.get("/fhir/$export?_outputFormat=text/csv", headers=token).status_code == 400
    assert http.get("/fhir/$export?_type=Nada", headers=token).status_code == 400
    assert http.get("/fhir/$export?includeAssociatedData=LatestProvenanceResources", headers=token).status_code == 400
    lenient = {**token, "Prefer": "respond-async, handling=lenient"}
    assert http.get("/fhir/$export?includeAssociatedData=x", headers=lenient).status_code == 202
    assert http.get("/fhir/$export?_typeFilter=Observation%3Fnope%3D1", headers=token).status_code == 400
    assert http.get("/fhir/$export?_typeFilter=Observation%3F_include%3D*", headers=token).status_code == 400
    rest = http.get("/fhir/metadata").json()["rest"][0]
    assert rest["operation"][0]["definition"] == "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"
    group = next(r for r in rest["resource"] if r["type"] == "Group")
    assert {"name": "export", "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export"} in (
        group["operation"]
    )


def test_cancel_of_a_running_export_leaves_no_files(storage, auth_db, database_url, bulk_dir):  # noqa: F811
    seed(storage, *({"resourceType": "Patient", "id": f"p{i}"} for i in range(30)))
    settings = make_settings(database_url, base_url=FHIR_BASE, auth_enabled=True, bulk_dir=bulk_dir,
                             bulk_batch_size=1, bulk_poll_seconds=0.05)  # fmt: skip
    token = system_token(auth_db, "system/*.rs")
    with TestClient(create_app(settings, storage=storage), base_url=ORIGIN) as http:
        status_url = kickoff(http, "$export?_type=Patient", token)
        job_id = status_url.rsplit("/", 1)[1]
        deadline = time.monotonic() + 30
        while not (bulk_dir / job_id).exists() and time.monotonic() < deadline:
            time.sleep(0.005)
        assert http.delete(local(status_url), headers=token).status_code == 202
        assert http.get(local(status_url), headers=token).status_code == 404
        time.sleep(0.3)  # the worker notices at its next batch and removes what it wrote since
        assert not (bulk_dir / job_id).exists()
    assert not bulk_dir.exists() or not any(bulk_dir.iterdir())


def test_a_user_token_may_not_export(http, auth_db):  # noqa: F811
    client_id = f"app-{uuid.uuid4().hex[:8]}"
    create_client(auth_db, "public", name="app", client_id=client_id, redirect_uris=("http://127.0.0.1:9/cb",))
    account = create_account(auth_db, f"u{uuid.uuid4().hex[:8]}", "una-clave-muy-larga-1", "administrador", None)
    issued = new_token_values(False)
    store_tokens(auth_db, issued, family_id=new_id(), client_id=client_id, account_id=account.id,
                 scope="user/Patient.rs", context=LaunchContext(), audience=FHIR_BASE, access_seconds=300,
                 refresh_seconds=0)  # fmt: skip
    response = http.get("/fhir/$export", headers={**ASYNC, "Authorization": f"Bearer {issued.access_token}"})
    assert response.status_code == 403
    assert response.json()["resourceType"] == "OperationOutcome"
