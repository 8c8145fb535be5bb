"""$operations: one module per operation, registered by (resource type or None, name).

An operation handler receives the storage, the request context, the type and id it was invoked on
(None at system or type level) and its input parameters by name.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

from fhir_server.errors import Invalid, NotFound
from fhir_server.interactions.access import require, visible
from fhir_server.interactions.audited import audited
from fhir_server.interactions.context import RequestContext, Result
from fhir_server.storage.repository import SqlStorage

Params = dict[str, list[Any]]
Handler = Callable[[SqlStorage, RequestContext, str | None, str | None, Params], Result]
_HANDLERS: dict[tuple[str | None, str, str], Handler] = {}


def operation(type_name: str | None, name: str, level: str) -> Callable[[Handler], Handler]:
    """Register a handler for ``$name`` at ``level`` ('system', 'type' or 'instance')."""

    def register(handler: Handler) -> Handler:
        _HANDLERS[(type_name, name, level)] = handler
        return handler

    return register


def parameters_from_body(body: Any) -> Params:
    """Input parameters from a Parameters resource (each value, or its parts as a nested dict).

    Any other resource as the whole body is the operation's ``resource`` input (operations.html: an
    operation whose only resource input may take it directly).
    """
    if isinstance(body, dict) and isinstance(body.get("resourceType"), str) and body["resourceType"] != "Parameters":
        return {"resource": [body]}
    if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
        raise Invalid("operation-parameters", code="invalid", expression=["resourceType"])
    params: Params = {}
    for parameter in body.get("parameter", []):
        if not isinstance(parameter, dict) or not isinstance(parameter.get("name"), str):
            continue
        if "part" in parameter:
            value: Any = parameters_from_body({"resourceType": "Parameters", "parameter": parameter["part"]})
        elif "resource" in parameter:
            value = parameter["resource"]
        else:
            value = next((v for k, v in parameter.items() if k.startswith("value")), None)
        params.setdefault(parameter["name"], []).append(value)
    return params


def parameters_from_query(pairs: list[tuple[str, str]]) -> Params:
    """Input parameters from a query string (GET invocation)."""
    params: Params = {}
    for name, value in pairs:
        params.setdefault(name, []).append(value)
    return params


# Where each operation is defined: the R4 OperationDefinitions, or the clinic's own.
DEFINITIONS = {
    "validate": "http://hl7.org/fhir/OperationDefinition/Resource-validate",
    "lookup": "http://hl7.org/fhir/OperationDefinition/CodeSystem-lookup",
    "subsumes": "http://hl7.org/fhir/OperationDefinition/CodeSystem-subsumes",
    "expand": "http://hl7.org/fhir/OperationDefinition/ValueSet-expand",
    "generate-slots": "https://fhir.consultorio.ec/fhir/OperationDefinition/Schedule-generate-slots",
    "record-vitals": "https://fhir.consultorio.ec/fhir/OperationDefinition/Encounter-record-vitals",
    "everything": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
}


def operations_of(type_name: str) -> list[dict[str, str]]:
    """The operations a resource type answers (its own and those of every type), for the CapabilityStatement."""
    load_all()
    names = sorted({name for (owner, name, _level) in _HANDLERS if owner in (type_name, None)})
    found = []
    for name in names:
        definition = DEFINITIONS.get(name, f"http://hl7.org/fhir/OperationDefinition/{type_name}-{name}")
        found.append({"name": name, "definition": definition})
    return found


def invoke(
    storage: SqlStorage, ctx: RequestContext, type_name: str | None, res_id: str | None, name: str, params: Params
) -> Result:
    """Run ``$name`` on the system, a type or an instance (404 when the server has no such operation)."""
    level = "instance" if res_id is not None else "type" if type_name is not None else "system"
    handler = _HANDLERS.get((type_name, name, level)) or _HANDLERS.get((None, name, level))
    if handler is None:
        raise NotFound("operation-unknown", code="not-supported", operation=f"${name}")
    with audited(ctx, "operation", type_name, res_id, operation=name) as seen:
        ctx.memo["audit"] = seen  # operations that return records name their patients in it
        for needed_type, interaction in _needs(name, type_name, params):
            require(ctx, needed_type, interaction)
        if res_id is not None and type_name is not None:
            target = storage.read(type_name, res_id)
            if target is not None and not visible(ctx, storage, target):
                raise NotFound("not-found", type=type_name, id=res_id)
            seen.rows = [target] if target is not None else []
        return handler(storage, ctx, type_name, res_id, params)


def _needs(name: str, type_name: str | None, params: Params) -> list[tuple[str, str]]:
    """What the caller's scopes must allow before an operation runs (row rules apply inside it)."""
    own = type_name or "Resource"
    if name == "validate":
        mode = (params.get("mode") or ["create"])[0]
        return [(own, {"update": "update", "delete": "delete"}.get(str(mode), "create"))]
    if name in ("lookup", "subsumes", "expand", "validate-code"):
        return [(own, "read")]
    if name == "record-vitals":
        return [("Observation", "create"), ("Encounter", "update")]
    if name == "everything":
        return [("Patient", "read")]
    if name == "generate-slots":
        return [("Schedule", "read"), ("Slot", "create")]
    # An operation nobody listed here is for unrestricted callers only.
    return [(own, "operation:" + name)]


def load_all() -> None:
    """Import every operation module of this package so its handlers register."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
