"""The CapabilityStatement, generated from what the server really implements.

https://hl7.org/fhir/R4/capabilitystatement.html
"""

from __future__ import annotations

from functools import cache
from typing import Any

from fhir_server import __version__
from fhir_server.model.instants import fhir_instant, now_us
from fhir_server.model.r4_types import SERVED_TYPES
from fhir_server.model.resources import R4_VERSION

TYPE_INTERACTIONS = (
    "read",
    "vread",
    "update",
    "patch",
    "delete",
    "history-instance",
    "history-type",
    "create",
    "search-type",
)
SYSTEM_INTERACTIONS = ("history-system", "search-system")
COMMON_SEARCH_PARAMETERS = (
    (
        "_id",
        "token",
        "http://hl7.org/fhir/SearchParameter/Resource-id",
        "Logical id of the resource",
    ),
    (
        "_lastUpdated",
        "date",
        "http://hl7.org/fhir/SearchParameter/Resource-lastUpdated",
        "When the resource version last changed",
    ),
)
RESULT_PARAMETERS = ("_count", "_offset", "_sort", "_total", "_summary", "_elements")
_STARTED = fhir_instant(now_us())


def _search_params() -> list[dict[str, Any]]:
    return [
        {"name": name, "definition": url, "type": type_, "documentation": doc}
        for name, type_, url, doc in COMMON_SEARCH_PARAMETERS
    ]


def _resource(type_name: str) -> dict[str, Any]:
    return {
        "type": type_name,
        "profile": f"http://hl7.org/fhir/StructureDefinition/{type_name}",
        "interaction": [{"code": code} for code in TYPE_INTERACTIONS],
        "versioning": "versioned-update",
        "readHistory": True,
        "updateCreate": True,
        "conditionalCreate": True,
        "conditionalRead": "full-support",
        "conditionalUpdate": True,
        "conditionalDelete": "single",
        "searchParam": _search_params(),
    }


@cache
def capability_statement(base_url: str) -> dict[str, Any]:
    """The server's CapabilityStatement for its public base URL."""
    return {
        "resourceType": "CapabilityStatement",
        "id": "fhir-server",
        "url": f"{base_url}/metadata",
        "name": "ClinicFhirServer",
        "title": "Servidor FHIR R4 para consultorios / FHIR R4 server for outpatient clinics",
        "status": "active",
        "experimental": False,
        "date": _STARTED,
        "publisher": "fhir-server",
        "kind": "instance",
        "software": {"name": "fhir-server", "version": __version__},
        "implementation": {"description": "FHIR R4 server for outpatient clinics", "url": base_url},
        "fhirVersion": R4_VERSION,
        "format": ["application/fhir+json", "json"],
        "patchFormat": ["application/json-patch+json"],
        "rest": [
            {
                "mode": "server",
                "resource": [_resource(t) for t in sorted(SERVED_TYPES)],
                "interaction": [{"code": code} for code in SYSTEM_INTERACTIONS],
                "searchParam": _search_params(),
            }
        ],
    }
