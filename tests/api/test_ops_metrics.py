"""/metrics: Prometheus text, requests by interaction/type/status without ids, pools, export jobs, access rules."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from fhir_server.api import metrics
from fhir_server.api.app import create_app
from fhir_server.api.metrics import job_counts
from fhir_server.api.route_label import label
from fhir_server.storage.repository import SqlStorage
from tests.conftest import make_settings

TOKEN = "metrics-token-for-tests"
SCRAPE = {"Authorization": f"Bearer {TOKEN}"}
FHIR = {"Content-Type": "application/fhir+json"}


@pytest.fixture
def ops_client(storage: SqlStorage, database_url: str) -> Iterator[TestClient]:
    app = create_app(make_settings(database_url, metrics_token=TOKEN), storage=storage)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(text: str) -> Samples:
    """Every sample of an exposition, by name and sorted labels (the parser also checks the format)."""
    found: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def requests_count(scraped: Samples, interaction: str, type_: str, status: str) -> float:
    key = ("fhir_requests_total", (("interaction", interaction), ("status", status), ("type", type_)))
    return scraped.get(key, 0.0)


@pytest.mark.parametrize(
    ("method", "path", "interaction", "type_", "route"),
    [
        ("GET", "/fhir/metadata", "capabilities", "", "/fhir/metadata"),
        ("GET", "/fhir/Patient/p-1", "read", "Patient", "/fhir/Patient/{id}"),
        ("GET", "/fhir/Patient/p-1/_history/3", "vread", "Patient", "/fhir/Patient/{id}/_history/{vid}"),
        ("GET", "/fhir/Patient/p-1/_history", "history", "Patient", "/fhir/Patient/{id}/_history"),
        ("GET", "/fhir/Patient/_history", "history", "Patient", "/fhir/Patient/_history"),
        ("GET", "/fhir/_history", "history", "", "/fhir/_history"),
        ("GET", "/fhir/Observation", "search", "Observation", "/fhir/Observation"),
        ("POST", "/fhir/Observation/_search", "search", "Observation", "/fhir/Observation/_search"),
        ("GET", "/fhir/Patient/p-1/Observation", "search", "Observation", "/fhir/Patient/{id}/Observation"),
        ("POST", "/fhir/Patient", "create", "Patient", "/fhir/Patient"),
        ("PUT", "/fhir/Patient/p-1", "update", "Patient", "/fhir/Patient/{id}"),
        ("PATCH", "/fhir/Patient/p-1", "patch", "Patient", "/fhir/Patient/{id}"),
        ("DELETE", "/fhir/Patient/p-1", "delete", "Patient", "/fhir/Patient/{id}"),
        ("POST", "/fhir", "bundle", "", "/fhir"),
        ("GET", "/fhir/$export", "operation", "", "/fhir/$export"),
        ("POST", "/fhir/Patient/p-1/$everything", "operation", "Patient", "/fhir/Patient/{id}/$everything"),
        ("GET", "/fhir/$export-file/job-1/Patient.ndjson", "operation", "", "/fhir/$export-file/{id}/{id}"),
        ("POST", "/auth/token", "auth", "", "/auth/token"),
        ("GET", "/fhir/NotAType/x", "read", "other", "/fhir/other/{id}"),
        ("GET", "/elsewhere/x", "other", "", "/other"),
        ("GET", "/healthz", "ops", "", "/healthz"),
    ],
)
def test_interaction_labels_never_carry_ids(method, path, interaction, type_, route) -> None:
    found = label(method, path)
    assert (found.interaction, found.resource_type, found.route) == (interaction, type_, route)


def test_requests_are_counted_by_interaction_type_and_status(ops_client: TestClient) -> None:
    before = samples(ops_client.get("/metrics", headers=SCRAPE).text)
    patient = {"resourceType": "Patient", "id": "metrics-secret-id", "name": [{"family": "Cuenca"}]}
    assert ops_client.put("/fhir/Patient/metrics-secret-id", json=patient, headers=FHIR).status_code == 201
    assert ops_client.get("/fhir/Patient/metrics-secret-id").status_code == 200
    assert ops_client.get("/fhir/Patient/metrics-secret-id/_history/1").status_code == 200
    assert ops_client.get("/fhir/Patient/missing-one").status_code == 404
    assert ops_client.get("/fhir/Patient", params={"family": "Cuenca"}).status_code == 200
    bundle = {"resourceType": "Bundle", "type": "transaction",
              "entry": [{"resource": {"resourceType": "Patient"}, "request": {"method": "POST", "url": "Patient"}}]}  # fmt: skip
    assert ops_client.post("/fhir", json=bundle, headers=FHIR).status_code == 200
    assert ops_client.post("/fhir", json={**bundle, "type": "batch"}, headers=FHIR).status_code == 200
    response = ops_client.get("/metrics", headers=SCRAPE)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert "metrics-secret-id" not in response.text and "Cuenca" not in response.text
    after = samples(response.text)

    def grew(interaction: str, type_: str, status: str) -> float:
        return requests_count(after, interaction, type_, status) - requests_count(before, interaction, type_, status)

    assert grew("update", "Patient", "201") == 1
    assert grew("read", "Patient", "200") == 1
    assert grew("read", "Patient", "404") == 1
    assert grew("vread", "Patient", "200") == 1
    assert grew("search", "Patient", "200") == 1
    assert grew("transaction", "", "200") == 1
    assert grew("batch", "", "200") == 1
    latency = ("fhir_request_duration_seconds_count", (("interaction", "read"),))
    assert after[latency] - before.get(latency, 0.0) == 2
    assert ("fhir_requests_in_progress", (("interaction", "ops"),)) in after


def test_pool_use_and_export_jobs_are_reported(ops_client: TestClient, storage: SqlStorage) -> None:
    scraped = samples(ops_client.get("/metrics", headers=SCRAPE).text)
    assert scraped[("fhir_db_pool_size", (("engine", "write"),))] >= 1
    assert ("fhir_db_pool_checked_out", (("engine", "read"),)) in scraped
    with storage.engine.connect() as connection:
        has_jobs = sa.inspect(connection).has_table("bulk_export_job")
        has_imports = sa.inspect(connection).has_table("bulk_import_job")
    text = ops_client.get("/metrics", headers=SCRAPE).text
    assert ("# TYPE fhir_export_jobs gauge" in text) == has_jobs
    assert ("# TYPE fhir_import_jobs gauge" in text) == has_imports


def test_job_counts_without_the_jobs_table() -> None:
    engine = sa.create_engine("sqlite://")
    try:
        assert job_counts(engine) is None
        assert job_counts(engine, "bulk_import_job") is None
        with engine.begin() as connection:
            connection.execute(sa.text("CREATE TABLE bulk_export_job (job_id TEXT, status TEXT)"))
            connection.execute(
                sa.text("INSERT INTO bulk_export_job VALUES ('a', 'running'), ('b', 'running'), ('c', 'done')")
            )
        assert job_counts(engine) == {"running": 2, "done": 1}
        assert job_counts(engine, "bulk_import_job") is None
    finally:
        engine.dispose()


def test_metrics_need_the_token_when_one_is_set(ops_client: TestClient) -> None:
    assert ops_client.get("/metrics").status_code == 403
    wrong = ops_client.get("/metrics", headers={"Authorization": "Bearer nope", "Accept-Language": "en"})
    assert wrong.status_code == 403
    assert wrong.json()["issue"][0]["code"] == "forbidden"


def test_without_a_token_metrics_answer_loopback_only(client: TestClient, live_server: str) -> None:
    # The test client's peer is "testclient", not a loopback address.
    assert client.get("/metrics").status_code == 403
    root = live_server.removesuffix("/fhir")
    response = httpx.get(f"{root}/metrics", timeout=10)
    assert response.status_code == 200
    assert re.search(r"^fhir_requests_total\{", response.text, re.MULTILINE)


def test_the_cached_process_id_follows_a_fork() -> None:
    """Multiprocess values tell workers apart by this id: a forked child must not keep its parent's."""
    process_id = metrics._ProcessId()
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        os.write(write, str(process_id()).encode())
        os._exit(0)
    os.waitpid(child, 0)
    assert int(os.read(read, 32)) == child
    assert process_id() == os.getpid()
