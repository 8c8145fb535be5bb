"""Server-owned parts of a resource: id, meta.versionId and meta.lastUpdated."""

from __future__ import annotations

from typing import Any

from fhir_server.model.instants import fhir_instant

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


def without_server_meta(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource minus versionId/lastUpdated, to tell whether an update changes anything."""
    meta = {k: v for k, v in (resource.get("meta") or {}).items() if k not in _SERVER_META}
    copy = {k: v for k, v in resource.items() if k != "meta"}
    if meta:
        copy["meta"] = meta
    return copy
