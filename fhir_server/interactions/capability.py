"""The CapabilityStatement, generated from what the server really implements.

https://hl7.org/fhir/R4/capabilitystatement.html
"""

from __future__ import annotations

from functools import cache
from typing import Any

from fhir_server import __version__
from fhir_server.auth.discovery import smart_security
from fhir_server.interactions.bulk_export import BULK_DATA, EXPORT_OPERATIONS
from fhir_server.interactions.bulk_import.operation import IMPORT_OPERATION
from fhir_server.interactions.operations import operations_of
from fhir_server.model.instants import fhir_instant, now_us
from fhir_server.model.profiles import supported_profiles
from fhir_server.model.r4_types import SERVED_TYPES
from fhir_server.model.resources import R4_VERSION
from fhir_server.search.query import MODIFIERS
from fhir_server.search.registry import SearchParam, r4_registry

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
SYSTEM_INTERACTIONS = ("transaction", "batch", "history-system", "search-system")
_STARTED = fhir_instant(now_us())
_NOT_SUPPORTED = frozenset({"_text", "_content", "_query", "_filter"})
_SPECIALS = (
    ("_list", "special", "Resources listed in the List with this id"),
    ("_has", "special", "Reverse chaining: _has:Type:reference:parameter=value"),
    ("_type", "special", "Resource types to search (system level)"),
)


def _modifiers(param: SearchParam) -> str:
    allowed = sorted(MODIFIERS.get(param.type, ()))
    if param.type == "reference":
        allowed.append("[type]")
    return "Modifiers: " + ", ".join(f":{m}" for m in allowed) if allowed else ""


def _search_params(type_name: str) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": p.code, "definition": p.url, "type": p.type, "documentation": _modifiers(p)}
        for p in sorted(r4_registry().for_type(type_name).values(), key=lambda p: p.code)
        if p.code not in _NOT_SUPPORTED and (p.expression or p.code in ("_id", "_lastUpdated"))
    ]
    params += [{"name": name, "type": type_, "documentation": doc} for name, type_, doc in _SPECIALS]
    return [{k: v for k, v in p.items() if v} for p in params]


def _includes(type_name: str) -> tuple[list[str], list[str]]:
    registry = r4_registry()
    forward = [f"{type_name}:{p.code}" for p in registry.for_type(type_name).values() if p.type == "reference"]
    reverse = [
        f"{other}:{p.code}"
        for other in sorted(SERVED_TYPES)
        for p in registry.for_type(other).values()
        if p.type == "reference" and type_name in p.targets
    ]
    return ["*", *sorted(forward)], sorted(reverse)


def _resource(type_name: str) -> dict[str, Any]:
    includes, revincludes = _includes(type_name)
    entry = {
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
        "searchInclude": includes,
        "searchRevInclude": revincludes,
        "searchParam": _search_params(type_name),
        "operation": operations_of(type_name)
        + ([EXPORT_OPERATIONS[type_name]] if type_name in EXPORT_OPERATIONS else []),
    }
    profiles = supported_profiles(type_name)
    if profiles:
        entry["supportedProfile"] = profiles
    return {k: v for k, v in entry.items() if v != []}


@cache
def capability_statement(base_url: str, issuer: str | None = None) -> dict[str, Any]:
    """The server's CapabilityStatement for its public base URL; SMART security when ``issuer`` is given."""
    statement: dict[str, Any] = {
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
        "instantiates": [f"{BULK_DATA}/CapabilityStatement/bulk-data"],
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
                "searchParam": _search_params("Resource"),
                "operation": [EXPORT_OPERATIONS[None], IMPORT_OPERATION],
            }
        ],
    }
    if issuer:
        statement["rest"][0]["security"] = smart_security(base_url, issuer)
    return statement
