"""Server-owned parts of a resource: id, meta.versionId and meta.lastUpdated."""

from __future__ import annotations

from typing import Any

from fhir_server.model.instants import fhir_instant
from fhir_server.model.json import dumps

_SERVER_META = ("versionId", "lastUpdated")


def stamp(resource: dict[str, Any], res_id: str, version: int, last_updated_us: int) -> dict[str, Any]:
    """A copy of the resource with the server's id and meta, resourceType/id/meta first."""
    meta = {k: v for k, v in (resource.get("meta") or {}).items() if k not in _SERVER_META}
    stamped: dict[str, Any] = {
        "resourceType": resource["resourceType"],
        "id": res_id,
        "meta": {"versionId": str(version), "lastUpdated": fhir_instant(last_updated_us), **meta},
    }
    for key, value in resource.items():
        if key not in stamped:
            stamped[key] = value
    return stamped


def _without_server_meta(resource: dict[str, Any]) -> dict[str, Any]:
    meta = {k: v for k, v in (resource.get("meta") or {}).items() if k not in _SERVER_META}
    copy = {k: v for k, v in resource.items() if k != "meta"}
    if meta:
        copy["meta"] = meta
    return copy


def same_content(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """True when two versions differ only in versionId/lastUpdated or key order."""
    return dumps(_without_server_meta(a), sort_keys=True) == dumps(_without_server_meta(b), sort_keys=True)
