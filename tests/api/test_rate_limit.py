"""Per-client token buckets weighted by interaction cost: 429 with Retry-After and an OperationOutcome."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from fhir_server.api.app import create_app
from fhir_server.api.rate_limit import RateLimiter
from fhir_server.api.route_label import label
from fhir_server.storage.repository import SqlStorage
from tests.conftest import make_settings
from tests.security.conftest import Mint, mint  # noqa: F401

FHIR = {"Content-Type": "application/fhir+json"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_bucket_spends_refills_and_tells_how_long_to_wait() -> None:
    clock = Clock()
    limiter = RateLimiter(60, clock=clock)  # one unit a second, 60 at most
    search = limiter.cost(label("GET", "/fhir/Observation"))
    assert search == 3
    for _ in range(20):
        assert limiter.take("a", search) == 0
    assert limiter.take("a", search) == pytest.approx(3.0)
    assert limiter.take("b", search) == 0  # another client has its own bucket
    clock.now += 3
    assert limiter.take("a", search) == 0


def test_costs_by_interaction_and_overrides() -> None:
    limiter = RateLimiter(600, weights={"search": 5})
    assert limiter.cost(label("GET", "/fhir/Patient/x")) == 1
    assert limiter.cost(label("GET", "/fhir/Patient")) == 5
    assert limiter.cost(label("GET", "/fhir/$export")) == 20
    assert limiter.cost(label("GET", "/fhir/Patient/$export")) == 20
    assert limiter.cost(label("POST", "/fhir/$import")) == 20
    assert limiter.cost(label("GET", "/fhir/$import-status/0123456789abcdef0123456789abcdef")) == 1
    assert limiter.cost(label("POST", "/fhir/Patient/$validate")) == 5
    assert limiter.cost(label("GET", "/healthz")) == 0


def test_debt_and_workers_share_the_limit() -> None:
    clock = Clock()
    limiter = RateLimiter(120, workers=2, clock=clock)  # 60 per worker
    assert limiter.capacity == 60
    assert limiter.take("a", 2) == 0
    limiter.charge("a", 100)  # a 100-entry transaction, known once its body was read
    assert limiter.take("a", 1) == pytest.approx(43.0)  # -42 now: 43 units to reach one
    clock.now += 43
    assert limiter.take("a", 1) == 0


def test_a_request_dearer_than_the_bucket_passes_when_it_is_full() -> None:
    limiter = RateLimiter(10, weights={"$export": 20}, clock=Clock())
    assert limiter.take("a", 20) == 0
    assert limiter.take("a", 1) > 0


def test_http_429_with_retry_after_and_outcome(storage: SqlStorage, database_url: str) -> None:
    app = create_app(make_settings(database_url, rate_limit_per_minute=10), storage=storage)
    with TestClient(app, raise_server_exceptions=False) as client:
        statuses = [client.get("/fhir/Patient").status_code for _ in range(3)]
        assert statuses == [200, 200, 200]  # 9 of 10 units
        refused = client.get("/fhir/Patient", headers={"Accept-Language": "en"})
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.headers["x-request-id"]
        issue = refused.json()["issue"][0]
        assert issue["code"] == "throttled"
        assert issue["details"]["text"].startswith("Too many requests")
        assert client.get("/fhir/Patient").json()["issue"][0]["details"]["text"].startswith("Demasiadas")
        assert client.get("/fhir/Patient/x").status_code == 404  # the last unit buys a read
        assert client.get("/healthz").status_code == 200  # probes are never limited
        assert client.get("/readyz").status_code == 200
    # Another caller (another address, no token) has its own bucket.
    with TestClient(app, raise_server_exceptions=False, client=("10.0.0.7", 5000)) as other:
        assert other.get("/fhir/Patient").status_code == 200


def test_transactions_are_charged_per_entry(storage: SqlStorage, database_url: str) -> None:
    app = create_app(make_settings(database_url, rate_limit_per_minute=30), storage=storage)
    entries = [{"resource": {"resourceType": "Patient"}, "request": {"method": "POST", "url": "Patient"}}] * 40
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": entries}
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.post("/fhir", json=bundle, headers=FHIR).status_code == 200  # a full bucket lets it in
        refused = client.get("/fhir/Patient/x")
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 20  # 2 + 40 units from 30: 12 in debt, then 1 for the read


def test_buckets_follow_the_token_user(storage: SqlStorage, database_url: str, mint: Mint) -> None:  # noqa: F811
    app = create_app(make_settings(database_url, auth_enabled=True, rate_limit_per_minute=6), storage=storage)
    first = mint("secretaria", "Practitioner/s1", "user/Patient.rs")
    second = mint("secretaria", "Practitioner/s2", "user/Patient.rs")
    with TestClient(app, raise_server_exceptions=False) as client:
        assert [client.get("/fhir/Patient", headers=first).status_code for _ in range(3)] == [200, 200, 429]
        assert client.get("/fhir/Patient", headers=second).status_code == 200
        assert client.get("/fhir/Patient").status_code == 401  # no token: refused before any bucket
