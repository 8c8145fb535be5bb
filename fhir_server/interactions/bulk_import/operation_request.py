"""The kick-off of ``$import``: its parameters, and who may start one.

The body is a Parameters resource (``inputFormat``, ``inputSource``, optional ``storageDetail``,
repeated ``input`` with ``type`` and ``url`` parts: the HAPI / Smile CDR form of the Bulk Data import
proposal) or the proposal's plain JSON object with the same fields. Unsupported parameters answer 400
unless the client asked for lenient handling, as ``$export`` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fhir_server.auth.admin import ADMIN_ROLE
from fhir_server.errors import Forbidden, Invalid
from fhir_server.interactions.auditing import AUDIT_TYPES
from fhir_server.interactions.context import RequestContext
from fhir_server.model.r4_types import SERVED_TYPES

INPUT_FORMAT = "application/fhir+ndjson"
# The files are read from this server's own store, whatever the client calls the transport.
STORAGE_TYPES = frozenset({"https", "http"})
MAX_INPUTS = 1000
_KNOWN = frozenset({"inputFormat", "inputSource", "storageDetail", "input"})
_INPUT_PARTS = frozenset({"type", "url"})

Params = dict[str, list[Any]]


@dataclass(frozen=True, slots=True)
class ImportRequest:
    """What a kick-off asked for: where the data came from, and the files with their resource types."""

    input_source: str
    inputs: tuple[tuple[str, str], ...]  # (resource type, url), in request order

    @property
    def types(self) -> list[str]:
        return sorted({type_name for type_name, _ in self.inputs})


def from_manifest(body: dict[str, Any]) -> Params:
    """The proposal's JSON object as Parameters-shaped input (name -> values, parts as nested dicts)."""
    params: Params = {}
    for name, value in body.items():
        if name == "input" and isinstance(value, list):
            params["input"] = [{k: [v] for k, v in item.items()} if isinstance(item, dict) else item for item in value]
        elif name == "storageDetail" and isinstance(value, dict):
            params[name] = [{k: [v] for k, v in value.items()}]
        else:
            params[name] = [value]
    return params


def _one(params: Params, name: str) -> Any:
    values = params.get(name) or []
    if not values or values[-1] is None:
        raise Invalid("bulk-import-missing", code="required", name=name)
    return values[-1]


def _text(name: str, value: Any) -> str:
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise Invalid("bad-parameter", code="value", name=name, value=str(value))


def _storage_type(value: Any) -> str:
    kind = value
    if isinstance(value, dict):
        kinds = value.get("type") or ["https"]
        kind = kinds[-1]
    kind = _text("storageDetail.type", kind)
    if kind.lower() not in STORAGE_TYPES:
        raise Invalid("bulk-import-storage", code="not-supported", value=kind)
    return kind.lower()


def _part(value: dict[str, list[Any]], name: str) -> str:
    values = value.get(name) or []
    if not values or values[-1] is None:
        raise Invalid("bulk-import-missing", code="required", name=f"input.{name}")
    return _text(f"input.{name}", values[-1])


def _input(value: Any, lenient: bool) -> tuple[str, str]:
    if not isinstance(value, dict):
        raise Invalid("bulk-import-missing", code="required", name="input.type, input.url")
    for name in value:
        if name not in _INPUT_PARTS and not lenient:
            raise Invalid("bulk-import-unsupported-parameter", code="not-supported", name=f"input.{name}")
    type_name, url = _part(value, "type"), _part(value, "url")
    if type_name not in SERVED_TYPES or type_name in AUDIT_TYPES:
        # AuditEvent and Provenance are the server's own records: nobody writes them (ADR 0010).
        raise Invalid("bulk-import-type", code="not-supported", type=type_name)
    return type_name, url


def parse_request(params: Params, *, lenient: bool) -> ImportRequest:
    """The kick-off parameters (400 on missing or bad values, and on unsupported ones unless lenient)."""
    for name in params:
        if name not in _KNOWN and not lenient:
            raise Invalid("bulk-import-unsupported-parameter", code="not-supported", name=name)
    input_format = _text("inputFormat", _one(params, "inputFormat"))
    if input_format != INPUT_FORMAT:
        raise Invalid("bulk-import-format", code="not-supported", value=input_format)
    input_source = _text("inputSource", _one(params, "inputSource"))
    if params.get("storageDetail"):
        _storage_type(params["storageDetail"][-1])
    raw_inputs = params.get("input") or []
    if not raw_inputs:
        raise Invalid("bulk-import-missing", code="required", name="input")
    if len(raw_inputs) > MAX_INPUTS:
        raise Invalid("bulk-import-too-many", code="too-costly", count=len(raw_inputs), limit=MAX_INPUTS)
    return ImportRequest(input_source, tuple(_input(value, lenient) for value in raw_inputs))


def require_importer(ctx: RequestContext) -> None:
    """403 unless the caller is a system client, an administrator, or the server is open."""
    principal = ctx.principal
    if principal.scopes is None:
        return
    if principal.kind == "client" or (principal.kind == "user" and principal.role == ADMIN_ROLE):
        return
    raise Forbidden("bulk-import-forbidden", code="forbidden")


def require_writes(ctx: RequestContext, types: list[str]) -> None:
    """403 unless some unfiltered scope grants create and update on every imported type.

    A system client needs ``system/`` scopes (``system/*.cud``, ``system/*.write``, ...), an
    administrator ``user/`` scopes; ``patient/`` scopes and granular filters never qualify: an import
    writes whole types, not one patient's or one category's rows.
    """
    principal = ctx.principal
    if principal.scopes is None:
        return
    context = "system" if principal.kind == "client" else "user"
    for type_name in types:
        for letter in ("c", "u"):
            granted = principal.scopes.for_type(type_name, letter)
            if not any(scope.context == context and not scope.filters for scope in granted):
                raise Forbidden("bulk-import-scope", code="forbidden", type=type_name)
