"""What the route modules share: OpenAPI descriptions and small request helpers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path

from fhir_server.model.r4_types import SERVED_TYPES

_FHIR_CONTENT = {"application/fhir+json": {"schema": {"type": "object"}}}
_STATUSES = {
    200: "OK",
    201: "Created",
    304: "Not Modified",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    409: "Conflict",
    410: "Gone",
    412: "Precondition Failed",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI responses for the given statuses plus every error status (all FHIR JSON)."""
    wanted = set(codes) | {400, 401, 403, 404, 405, 406, 413, 415, 422, 500, 503}
    result: dict[int | str, dict[str, Any]] = {}
    for code in sorted(wanted):
        entry: dict[str, Any] = {"description": _STATUSES[code]}
        if code not in (304,):
            entry["content"] = _FHIR_CONTENT
        result[code] = entry
    return result


RESOURCE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/fhir+json": {
                "schema": {
                    "type": "object",
                    "required": ["resourceType"],
                    "properties": {"resourceType": {"type": "string", "enum": sorted(SERVED_TYPES)}},
                }
            }
        },
    }
}
BUNDLE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/fhir+json": {
                "schema": {
                    "type": "object",
                    "required": ["resourceType", "type"],
                    "properties": {
                        "resourceType": {"type": "string", "enum": ["Bundle"]},
                        "type": {"type": "string", "enum": ["transaction", "batch"]},
                        "entry": {"type": "array", "items": {"type": "object"}},
                    },
                }
            }
        },
    }
}
PATCH_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json-patch+json": {
                "schema": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["op", "path"],
                        "properties": {"op": {"type": "string"}, "path": {"type": "string"}},
                    },
                }
            }
        },
    }
}
FORM_BODY = {"requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {"type": "object"}}}}}
TypeName = Annotated[str, Path(description="FHIR resource type", examples=["Patient", "Observation"])]
ResourceId = Annotated[str, Path(description="Logical id of the resource")]
VersionId = Annotated[str, Path(description="Version id")]
