"""$validate at type and instance level: every problem of a resource, with its path, without storing it.

Inputs: ``resource`` (or the resource as the whole body), ``mode`` (create, update, delete) and
``profile`` (a canonical to check besides those the resource claims). The answer is an
OperationOutcome listing structural problems, profile violations and the write rules a real write
would trip (a taken cédula, a missing or mismatched id); it is 200 even when the resource fails.
"""

from __future__ import annotations

from typing import Any

from fhir_server.errors import FhirError, Invalid, Issue, NotFound, operation_outcome
from fhir_server.interactions.conformance import profile_issues, profiles_to_check
from fhir_server.interactions.context import RequestContext, Result
from fhir_server.interactions.identity import identity_issues
from fhir_server.interactions.operations import Params, operation
from fhir_server.model.json import loads
from fhir_server.model.profiles import known_profile
from fhir_server.model.references import is_valid_id
from fhir_server.model.validation import validate
from fhir_server.storage.repository import SqlStorage

MODES = ("create", "update", "delete")


def _one(params: Params, name: str) -> Any:
    values = params.get(name) or []
    if len(values) > 1:
        raise Invalid("operation-parameter-repeated", code="invalid", name=name)
    return values[0] if values else None


def _structure(resource: dict[str, Any]) -> list[Issue]:
    try:
        validate(resource)
    except FhirError as error:
        return error.issues
    return []


def _mode_issues(storage: SqlStorage, type_name: str, res_id: str | None, mode: str, resource: Any) -> list[Issue]:
    if mode == "create":
        return []
    if res_id is None or not is_valid_id(res_id):
        return [Issue("required", "validate-needs-id", {"mode": mode})]
    current = storage.read(type_name, res_id)
    if current is None or current.deleted:
        return [Issue("not-found", "not-found", {"type": type_name, "id": res_id})]
    if mode == "update" and isinstance(resource, dict) and resource.get("id") not in (None, res_id):
        return [
            Issue(
                "invalid",
                "id-mismatch",
                {"body_id": resource.get("id"), "url_id": res_id},
                expression=(f"{type_name}.id",),
            )
        ]
    return []


@operation(None, "validate", "type")
@operation(None, "validate", "instance")
def validate_operation(
    storage: SqlStorage, ctx: RequestContext, type_name: str | None, res_id: str | None, params: Params
) -> Result:
    """An OperationOutcome with every issue found (information 'ok' when there is none)."""
    assert type_name is not None
    mode = _one(params, "mode") or ("update" if res_id is not None and "resource" in params else "create")
    if mode not in MODES:
        raise Invalid("operation-parameter", code="value", name="mode")
    resource = _one(params, "resource")
    profile = _one(params, "profile")
    if profile is not None and not known_profile(str(profile).split("|")[0]):
        raise NotFound("profile-unknown", code="not-supported", profile=profile)
    if resource is None and mode != "delete":
        if res_id is None:
            raise Invalid("operation-parameter", code="required", name="resource")
        stored = storage.read(type_name, res_id)
        if stored is None or stored.deleted or stored.content is None:
            raise NotFound("not-found", type=type_name, id=res_id)
        resource = loads(stored.content)
    issues = _mode_issues(storage, type_name, res_id, mode, resource)
    if isinstance(resource, dict) and mode != "delete":
        if resource.get("resourceType") != type_name:
            issues.append(
                Issue(
                    "invalid",
                    "type-mismatch",
                    {"body_type": resource.get("resourceType"), "url_type": type_name},
                    expression=("resourceType",),
                )
            )
        else:
            issues += _structure(resource)
            checked, urls = profiles_to_check(ctx, resource)
            if profile is not None:
                urls.append(str(profile))
            issues += profile_issues(storage, checked, list(dict.fromkeys(urls)))
            issues += identity_issues(storage.search, resource, res_id or str(resource.get("id") or ""))
    return Result(200, operation_outcome(issues, ctx.language))
