"""Transaction and batch entries: the request of each entry, checked before any database work."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from fhir_server.errors import FhirError, Invalid, Issue, PayloadTooLarge
from fhir_server.interactions.criteria import parse_criteria
from fhir_server.interactions.crud import check_update_id
from fhir_server.interactions.patch import compile_patch
from fhir_server.interactions.writes import expected_version
from fhir_server.model.json import loads
from fhir_server.model.references import is_valid_id
from fhir_server.model.validation import require_served_type, validate
from fhir_server.search.query import SearchQuery

METHODS = ("DELETE", "POST", "PUT", "PATCH", "GET", "HEAD")
ORDER = {"DELETE": 0, "POST": 1, "PUT": 2, "PATCH": 2, "GET": 3, "HEAD": 3}


@dataclass
class Entry:
    """One bundle entry, its request parsed: the type, id, criteria or patch it acts on."""

    index: int
    method: str
    url: str
    type_name: str | None
    res_id: str | None = None
    version: str | None = None
    query: str | None = None
    full_url: str | None = None
    resource: dict[str, Any] | None = None
    criteria: SearchQuery | None = None
    if_match: int | None = None
    patch: Any = None
    raw: dict[str, Any] = field(default_factory=dict)


def entry_error(index: int, error: FhirError) -> FhirError:
    """The same error, its issues pointing into ``Bundle.entry[index]``."""
    prefix = f"Bundle.entry[{index}]"
    issues = [Issue("processing", "entry-failed", {"index": index}, expression=(prefix,))]
    for issue in error.issues:
        expressions = tuple(f"{prefix}.resource.{e.split('.', 1)[1]}" if "." in e else prefix for e in issue.expression)
        issues.append(
            Issue(issue.code, issue.message, issue.params, issue.severity, expressions or (prefix,), issue.diagnostics)
        )
    wrapped = type(error)(issues=issues, headers=error.headers)
    return wrapped


def _split_url(text: str, base_url: str) -> tuple[list[str], str | None]:
    if text.startswith(base_url + "/"):
        text = text[len(base_url) + 1 :]
    elif "://" in text:
        text = urlsplit(text).path.split("/fhir/", 1)[-1] + ("?" + urlsplit(text).query if "?" in text else "")
    path, _, query = text.lstrip("/").partition("?")
    return [p for p in path.split("/") if p], (query if "?" in text else None)


def _patch_body(index: int, resource: Any) -> Any:
    if not isinstance(resource, dict) or resource.get("resourceType") != "Binary":
        raise Invalid("bundle-patch-binary", code="not-supported", expression=[f"Bundle.entry[{index}].resource"])
    try:
        return compile_patch(loads(base64.b64decode(resource.get("data", ""), validate=True)))
    except (binascii.Error, ValueError):
        raise Invalid("patch-invalid", code="structure", detail="Binary.data") from None


def parse_entry(index: int, raw: Any, ctx: Any, *, in_transaction: bool) -> Entry:
    """The entry's request checked and its resource validated (400 otherwise)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("request"), dict):
        raise Invalid("bundle-request-missing", code="required", expression=[f"Bundle.entry[{index}].request"])
    request = raw["request"]
    method, url = request.get("method"), request.get("url")
    if method not in METHODS or not isinstance(url, str) or not url:
        raise Invalid("bundle-request-missing", code="required", expression=[f"Bundle.entry[{index}].request"])
    segments, query = _split_url(url, ctx.base_url)
    type_name = segments[0] if segments else None
    if type_name is not None and type_name not in ("metadata", "_history", "_search"):
        require_served_type(type_name)
    entry = Entry(index, method, url, type_name, raw=raw, query=query)
    entry.full_url = raw.get("fullUrl") if isinstance(raw.get("fullUrl"), str) else None
    if len(segments) > 1:
        entry.res_id = segments[1]
    if len(segments) > 3 and segments[2] == "_history":
        entry.version = segments[3]
    entry.if_match = expected_version(request.get("ifMatch"))
    if method in ("POST", "PUT"):
        if type_name is None or not isinstance(raw.get("resource"), dict) or len(segments) > 2:
            raise Invalid("bundle-request-missing", code="required", expression=[f"Bundle.entry[{index}].resource"])
        entry.resource = _typed(type_name, raw["resource"])
        validate(entry.resource, in_transaction=in_transaction)
        if method == "POST" and isinstance(request.get("ifNoneExist"), str):
            entry.criteria = parse_criteria(ctx, type_name, request["ifNoneExist"])
        if method == "PUT" and entry.res_id is not None:
            check_update_id(type_name, entry.res_id, entry.resource)
    if method == "PUT" and entry.res_id is None:
        entry.criteria = parse_criteria(ctx, str(type_name), query or "")
    if method == "DELETE" and entry.res_id is None and type_name is not None:
        entry.criteria = parse_criteria(ctx, type_name, query or "")
    if method == "PATCH":
        if type_name is None or entry.res_id is None or not is_valid_id(entry.res_id):
            raise Invalid("bundle-request-missing", code="required", expression=[f"Bundle.entry[{index}].request"])
        entry.patch = _patch_body(index, raw.get("resource"))
    return entry


def _typed(type_name: str, resource: dict[str, Any]) -> dict[str, Any]:
    if resource.get("resourceType") != type_name:
        raise Invalid(
            "type-mismatch", expression=["resourceType"], body_type=resource.get("resourceType"), url_type=type_name
        )
    return resource


def parse_bundle(body: Any, max_entries: int) -> tuple[str, list[Any]]:
    """(type, entries) of a transaction or batch Bundle (400 when it is neither; 413 over the limit)."""
    if not isinstance(body, dict) or body.get("resourceType") != "Bundle":
        raise Invalid("bundle-expected", code="invalid", expression=["resourceType"])
    kind = body.get("type")
    if kind not in ("transaction", "batch"):
        raise Invalid("bundle-type", code="invalid", expression=["Bundle.type"], type=str(kind))
    entries = body.get("entry", [])
    if not isinstance(entries, list):
        raise Invalid("json-type", code="structure", element="Bundle.entry", expected="array", actual="object")
    if len(entries) > max_entries:
        raise PayloadTooLarge("bundle-too-many", count=len(entries), limit=max_entries)
    return str(kind), entries
