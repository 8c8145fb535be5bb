"""Concurrent writers against a live server: the database, not luck, keeps versions straight."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.fhir_helpers import FHIR_JSON, patient


def test_twenty_updates_with_the_same_if_match_give_one_winner(live_server):
    with httpx.Client(timeout=30) as http:
        created = http.post(f"{live_server}/Patient", content=json.dumps(patient()), headers=FHIR_JSON).json()
        url = f"{live_server}/Patient/{created['id']}"

        def update(n: int) -> int:
            body = {**created, "name": [{"family": f"Version{n}"}]}
            headers = {**FHIR_JSON, "If-Match": 'W/"1"'}
            with httpx.Client(timeout=30) as own:
                return own.put(url, content=json.dumps(body), headers=headers).status_code

        with ThreadPoolExecutor(max_workers=20) as pool:
            statuses = list(pool.map(update, range(20)))
        assert sorted(statuses) == [200] + [412] * 19
        history = http.get(f"{url}/_history").json()
        assert history["total"] == 2


def test_concurrent_updates_without_if_match_lose_no_version(live_server):
    with httpx.Client(timeout=30) as http:
        created = http.post(f"{live_server}/Patient", content=json.dumps(patient()), headers=FHIR_JSON).json()
        url = f"{live_server}/Patient/{created['id']}"

        def update(n: int) -> int:
            body = {**created, "name": [{"family": f"Version{n}"}]}
            with httpx.Client(timeout=30) as own:
                return own.put(url, content=json.dumps(body), headers=FHIR_JSON).status_code

        with ThreadPoolExecutor(max_workers=10) as pool:
            statuses = list(pool.map(update, range(10)))
        assert statuses == [200] * 10
        history = http.get(f"{url}/_history", params={"_count": 50}).json()
        assert history["total"] == 11
        assert sorted(int(e["response"]["etag"][3:-1]) for e in history["entry"]) == list(range(1, 12))


def test_concurrent_conditional_updates_create_exactly_once(live_server):
    def put(_: int) -> int:
        with httpx.Client(timeout=30) as own:
            body = json.dumps(patient(id="the-one"))
            return own.put(f"{live_server}/Patient?_id=the-one", content=body, headers=FHIR_JSON).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(put, range(20)))
    assert sorted(statuses) == [200] * 19 + [201]
    with httpx.Client(timeout=30) as http:
        history = http.get(f"{live_server}/Patient/the-one/_history").json()
        assert history["total"] == 1


def test_fifty_concurrent_conditional_creates_make_one_resource(live_server):
    criteria = "identifier=https://www.registrocivil.gob.ec/cedula|1710034065"
    body = json.dumps(
        patient(identifier=[{"system": "https://www.registrocivil.gob.ec/cedula", "value": "1710034065"}])
    )

    def create(_: int) -> tuple[int, str]:
        with httpx.Client(timeout=60) as own:
            response = own.post(
                f"{live_server}/Patient", content=body, headers={**FHIR_JSON, "If-None-Exist": criteria}
            )
            return response.status_code, response.json()["id"]

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(create, range(50)))
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * 49 + [201], statuses
    assert len({res_id for _, res_id in results}) == 1
    with httpx.Client(timeout=30) as http:
        assert http.get(f"{live_server}/Patient", params={"identifier": "1710034065"}).json()["total"] == 1


def test_concurrent_transactions_on_the_same_resources_serialise(live_server):
    with httpx.Client(timeout=30) as http:
        for name in ("tx-a", "tx-b"):
            http.put(f"{live_server}/Patient/{name}", content=json.dumps(patient(id=name)), headers=FHIR_JSON)

    def transaction(n: int) -> int:
        # Half update a then b, half b then a: lock order differs, the database must not deadlock into 500s.
        order = ("tx-a", "tx-b") if n % 2 else ("tx-b", "tx-a")
        entries = [{"resource": patient(id=name, name=[{"family": f"T{n}"}]), "request": {"method": "PUT", "url": f"Patient/{name}"}}
                   for name in order]  # fmt: skip
        bundle = {"resourceType": "Bundle", "type": "transaction", "entry": entries}
        with httpx.Client(timeout=60) as own:
            return own.post(live_server, content=json.dumps(bundle), headers=FHIR_JSON).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(transaction, range(32)))
    assert all(status in (200, 409, 503) for status in statuses), statuses
    assert statuses.count(200) >= 16
    with httpx.Client(timeout=30) as http:
        a = http.get(f"{live_server}/Patient/tx-a/_history", params={"_count": 100}).json()
        b = http.get(f"{live_server}/Patient/tx-b/_history", params={"_count": 100}).json()
        assert a["total"] == b["total"] == 1 + statuses.count(200)
