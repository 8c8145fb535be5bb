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
