"""_summary and _elements: subsets of a resource, tagged SUBSETTED as the spec asks."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fhir_server.model.elements import Kind, elements_of

SUBSETTED = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
    "code": "SUBSETTED",
    "display": "subsetted",
}
SUMMARY_MODES = ("true", "false", "text", "data", "count")
_ALWAYS = ("resourceType", "id", "meta")


def _tagged(resource: dict[str, Any]) -> dict[str, Any]:
    meta = dict(resource.get("meta") or {})
    tags = [t for t in meta.get("tag", []) if t.get("code") != "SUBSETTED"]
    meta["tag"] = [*tags, SUBSETTED]
    resource["meta"] = meta
    return resource


def _summary_of(type_name: str, value: dict[str, Any]) -> dict[str, Any]:
    table = elements_of(type_name)
    result: dict[str, Any] = {}
    for key, item in value.items():
        element = table.get(key.removeprefix("_"))
        if key in _ALWAYS or element is None or not (element.summary or element.required):
            continue
        if element.kind is Kind.COMPLEX and element.type_name and not key.startswith("_"):
            name = element.type_name
            item = [_summary_of(name, i) for i in item] if isinstance(item, list) else _summary_of(name, item)
        result[key] = item
    return result


def _mandatory(type_name: str) -> set[str]:
    return {name for name, element in elements_of(type_name).items() if element.required}


def summarize(resource: dict[str, Any], mode: str) -> dict[str, Any]:
    """The resource reduced for _summary=true|text|data (false returns it unchanged)."""
    type_name = resource["resourceType"]
    if mode == "false":
        return resource
    head = {k: resource[k] for k in _ALWAYS if k in resource}
    if mode == "data":
        return _tagged({**head, **{k: v for k, v in resource.items() if k not in head and k != "text"}})
    if mode == "text":
        keep = _mandatory(type_name) | {"text"}
        return _tagged({**head, **{k: v for k, v in resource.items() if k in keep}})
    return _tagged({**head, **_summary_of(type_name, resource)})


def select_elements(resource: dict[str, Any], elements: Iterable[str]) -> dict[str, Any]:
    """The resource reduced to the listed top-level elements (plus mandatory ones)."""
    type_name = resource["resourceType"]
    wanted = {e.split(".")[-1] if e.startswith(type_name + ".") else e.split(".")[0] for e in elements}
    wanted |= _mandatory(type_name)
    head = {k: resource[k] for k in _ALWAYS if k in resource}
    kept = {k: v for k, v in resource.items() if k not in head and (k in wanted or k.removeprefix("_") in wanted)}
    return _tagged({**head, **kept})
