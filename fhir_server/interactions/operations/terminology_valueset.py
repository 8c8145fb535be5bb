"""ValueSet/$expand and ValueSet/$validate-code (type and instance level).

The value set is the stored resource (instance level), the one held with canonical ``url``
(+ ``valueSetVersion``), or a ValueSet sent as ``valueSet`` in a Parameters body.
"""

from __future__ import annotations

from typing import Any

from fhir_server.errors import Invalid, NotFound
from fhir_server.interactions.context import RequestContext, Result
from fhir_server.interactions.operations import Params, operation
from fhir_server.interactions.operations.terminology_params import (
    boolean,
    complex_value,
    display_language,
    integer,
    text,
)
from fhir_server.interactions.terminology_access import terminology
from fhir_server.storage.repository import SqlStorage
from fhir_server.terminology.expand import ExpandRequest, expand
from fhir_server.terminology.service import Terminology
from fhir_server.terminology.validation import codings_from, validate_in_value_set


def _value_set(terms: Terminology, res_id: str | None, params: Params) -> dict[str, Any]:
    """The ValueSet the request names (404 when it is not held, 400 when none is named)."""
    if res_id is not None:
        held = terms.value_set_by_id(res_id)
        if held is None:
            raise NotFound("not-found", type="ValueSet", id=res_id)
        return held
    given = complex_value(params, "valueSet")
    if given is not None:
        if given.get("resourceType") != "ValueSet":
            raise Invalid("operation-parameter", code="value", name="valueSet")
        return given
    url = text(params, "url")
    if url is None:
        raise Invalid("terminology-valueset-required", code="required")
    held = terms.value_set(url, text(params, "valueSetVersion"))
    if held is None:
        raise NotFound("terminology-valueset-unknown", url=url)
    return held


@operation("ValueSet", "expand", "type")
@operation("ValueSet", "expand", "instance")
def expand_operation(
    storage: SqlStorage, ctx: RequestContext, type_name: str | None, res_id: str | None, params: Params
) -> Result:
    """A page of the value set's codes: filter, count/offset, displayLanguage, activeOnly, parent."""
    del type_name
    terms = terminology(storage)
    value_set = _value_set(terms, res_id, params)
    request = ExpandRequest(
        filter=text(params, "filter"),
        offset=integer(params, "offset") or 0,
        count=integer(params, "count"),
        display_language=display_language(params, ctx),
        active_only=boolean(params, "activeOnly"),
        include_designations=boolean(params, "includeDesignations"),
        exclude_not_for_ui=boolean(params, "excludeNotForUI"),
        parent=text(params, "parent"),
    )
    return Result(200, expand(value_set, terms.expansion(value_set), request))


@operation("ValueSet", "validate-code", "type")
@operation("ValueSet", "validate-code", "instance")
def validate_value_set_operation(
    storage: SqlStorage, ctx: RequestContext, type_name: str | None, res_id: str | None, params: Params
) -> Result:
    """Whether a code (or Coding, or some coding of a CodeableConcept) is in the value set."""
    del type_name
    terms = terminology(storage)
    codings = codings_from(
        text(params, "code"),
        text(params, "system"),
        text(params, "display"),
        complex_value(params, "coding"),
        complex_value(params, "codeableConcept"),
        text(params, "systemVersion"),
    )
    value_set = _value_set(terms, res_id, params)
    body = validate_in_value_set(
        terms,
        terms.expansion(value_set),
        codings,
        language=ctx.language,
        display_language=display_language(params, ctx),
        abstract_ok=boolean(params, "abstract", default=True),
    )
    return Result(200, body)
