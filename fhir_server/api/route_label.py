"""The interaction a request asks for, from its method and path alone: for metrics, logs and rate limits.

Labels never carry ids or query strings: ids would make metrics unbounded, query strings can hold
patient names. Resource types outside the served set become "other" for the same reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from fhir_server.model.r4_types import SERVED_TYPES

OPS_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
_OPERATION_NAME = re.compile(r"\$[A-Za-z][A-Za-z0-9\-]{0,40}")
_INSTANCE = {"GET": "read", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}
_TYPE = {"GET": "search", "POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}


@dataclass(frozen=True, slots=True)
class RouteLabel:
    """interaction: read, vread, search, create, update, patch, delete, history, transaction, batch
    (``bundle`` until the body says which), operation, capabilities, auth, ops or other."""

    interaction: str
    resource_type: str
    route: str
    operation: str = ""


def _type_label(segment: str) -> str:
    return segment if segment in SERVED_TYPES else "other"


def _operation(segment: str) -> str:
    return segment if _OPERATION_NAME.fullmatch(segment) else "$other"


def label(method: str, path: str) -> RouteLabel:
    """The label of one request (cached: paths repeat, and the work is string splitting)."""
    return _label(method, path) if len(path) <= 200 else RouteLabel("other", "", "/other")


@lru_cache(maxsize=4096)
def _label(method: str, path: str) -> RouteLabel:
    if path in OPS_PATHS:
        return RouteLabel("ops", "", path)
    if path == "/fhir/.well-known/smart-configuration":
        return RouteLabel("auth", "", path)
    if path.startswith("/auth/"):
        first = path.split("/")[2]
        return RouteLabel("auth", "", f"/auth/{first}" if first.isidentifier() else "/auth/*")
    if path != "/fhir" and not path.startswith("/fhir/"):
        return RouteLabel("other", "", "/other")
    parts = [p for p in path[len("/fhir") :].split("/") if p]
    return _fhir_label(method, parts)


def _fhir_label(method: str, parts: list[str]) -> RouteLabel:
    count = len(parts)
    if count == 0:
        return RouteLabel("bundle" if method == "POST" else "search", "", "/fhir")
    first = parts[0]
    if count == 1:
        if first == "metadata":
            return RouteLabel("capabilities", "", "/fhir/metadata")
        if first in ("_history", "_search"):
            return RouteLabel(first.lstrip("_"), "", f"/fhir/{first}")
        if first.startswith("$"):
            operation = _operation(first)
            return RouteLabel("operation", "", f"/fhir/{operation}", operation)
        if first in SERVED_TYPES:
            return RouteLabel(_TYPE.get(method, "other"), first, f"/fhir/{first}")
        return RouteLabel("other", "", "/fhir/other")
    if first.startswith("$"):  # a system operation's own resources, e.g. $export-status/{job}
        operation = _operation(first)
        return RouteLabel("operation", "", f"/fhir/{operation}" + "/{id}" * (count - 1), operation)
    type_ = _type_label(first)
    second = parts[1]
    if count == 2:
        if second in ("_history", "_search"):
            return RouteLabel(second.lstrip("_"), type_, f"/fhir/{type_}/{second}")
        if second.startswith("$"):
            operation = _operation(second)
            return RouteLabel("operation", type_, f"/fhir/{type_}/{operation}", operation)
        return RouteLabel(_INSTANCE.get(method, "other"), type_, f"/fhir/{type_}/{{id}}")
    third = parts[2]
    if third == "_history":
        if count == 3:
            return RouteLabel("history", type_, f"/fhir/{type_}/{{id}}/_history")
        return RouteLabel("vread", type_, f"/fhir/{type_}/{{id}}/_history/{{vid}}")
    if third.startswith("$"):
        operation = _operation(third)
        return RouteLabel("operation", type_, f"/fhir/{type_}/{{id}}/{operation}", operation)
    # Compartment search: /fhir/Patient/{id}/Observation; the label names the searched type.
    target = _type_label(third) if third != "*" else "*"
    return RouteLabel("search", target, f"/fhir/{type_}/{{id}}/{target}")
