"""Helpers for search tests: put resources with known ids, and read ids out of a searchset."""

from __future__ import annotations

import json
from typing import Any

from tests.fhir_helpers import FHIR_JSON


def put(client, resource: dict[str, Any]) -> dict[str, Any]:
    response = client.put(
        f"/fhir/{resource['resourceType']}/{resource['id']}", content=json.dumps(resource), headers=FHIR_JSON
    )
    assert response.status_code in (200, 201), response.text
    stored: dict[str, Any] = response.json()
    return stored


def ids(client, path: str, **params: Any) -> list[str]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return [e["resource"]["id"] for e in response.json().get("entry", []) if e["search"]["mode"] == "match"]


def idset(client, path: str, **params: Any) -> set[str]:
    return set(ids(client, path, **params))
