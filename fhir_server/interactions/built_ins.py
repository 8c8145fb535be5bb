"""The server's own conformance resources, written by ``fhir-server migrate`` and read-only through the API.

StructureDefinitions of the clinic profiles and extensions, and SearchParameters of the clinic's
search parameters, are generated from code; writing them keeps what is served equal to what is
enforced. Clients may read and search them but not change them (405).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from fhir_server.errors import MethodNotAllowed
from fhir_server.interactions.context import RequestContext
from fhir_server.model.canonical import CANONICAL_BASE
from fhir_server.model.profiles import structure_definitions
from fhir_server.search.registry import clinic_search_parameters

BUILT_IN_TYPES = frozenset({"StructureDefinition", "SearchParameter"})


def search_parameter_resources() -> list[dict[str, Any]]:
    """The clinic's search parameters as SearchParameter resources."""
    resources = []
    for definition in clinic_search_parameters():
        resources.append(
            {
                "resourceType": "SearchParameter",
                "id": definition["id"],
                "url": definition["url"],
                "name": str(definition["id"]).replace("-", ""),
                "status": "active",
                "publisher": "fhir-server",
                "description": definition["description"],
                "code": definition["code"],
                "base": definition["base"],
                "type": definition["type"],
                "expression": definition["expression"],
            }
        )
    return resources


def built_in_resources() -> list[dict[str, Any]]:
    """Every conformance resource the server generates."""
    return [*structure_definitions(), *search_parameter_resources()]


@cache
def _built_in_ids(type_name: str) -> frozenset[str]:
    return frozenset(r["id"] for r in built_in_resources() if r["resourceType"] == type_name)


def is_built_in(type_name: str, resource: dict[str, Any] | None, res_id: str) -> bool:
    """True for a StructureDefinition or SearchParameter the server owns (by canonical URL or id)."""
    if type_name not in BUILT_IN_TYPES:
        return False
    url = (resource or {}).get("url")
    if isinstance(url, str) and url.startswith(CANONICAL_BASE + "/"):
        return True
    return res_id in _built_in_ids(type_name)


def guard_built_in(ctx: RequestContext, type_name: str, resource: dict[str, Any] | None, res_id: str) -> None:
    """405 when a client tries to change a conformance resource the server owns."""
    if ctx.principal.kind != "system" and is_built_in(type_name, resource, res_id):
        raise MethodNotAllowed("built-in-read-only", type=type_name, id=res_id)
