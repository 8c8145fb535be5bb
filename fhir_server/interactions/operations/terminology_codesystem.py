"""CodeSystem/$lookup, CodeSystem/$validate-code and CodeSystem/$subsumes (type and instance level).

At instance level the code system is the stored resource; at type level ``system``/``url``
(+ ``version``) or a Coding names it. Code systems this server does not hold answer 404.
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
    text,
    texts,
)
from fhir_server.interactions.terminology_access import terminology
from fhir_server.storage.repository import SqlStorage
from fhir_server.terminology.lookup import lookup, subsumes
from fhir_server.terminology.service import Terminology
from fhir_server.terminology.validation import codings_from, validate_in_code_system


def _named_system(
    terms: Terminology, res_id: str | None, system: str | None, version: str | None
) -> tuple[str | None, str | None]:
    """(url, version) of the code system the request is about."""
    if res_id is None:
        return system, version
    source = terms.code_system_by_id(res_id)
    if source is None:
        raise NotFound("not-found", type="CodeSystem", id=res_id)
    if system and system != source.url:
        raise Invalid("terminology-system-mismatch", code="invalid", given=system)
    return source.url, source.version


def _coding(params: Params, name: str) -> dict[str, Any]:
    return complex_value(params, name) or {}


@operation("CodeSystem", "lookup", "type")
@operation("CodeSystem", "lookup", "instance")
def lookup_operation(
    storage: SqlStorage, ctx: RequestContext, type_name: str | None, res_id: str | None, params: Params
) -> Result:
    """Display, designations and properties (parent, child …) of one code."""
    del type_name
    terms = terminology(storage)
    coding = _coding(params, "coding")
    system = text(params, "system") or coding.get("system")
    code = text(params, "code") or coding.get("code")
    system, version = _named_system(terms, res_id, system, text(params, "version") or coding.get("version"))
    wanted = texts(params, "property")
    body = lookup(terms, system, code, version=version, language=display_language(params, ctx), properties=wanted)
    return Result(200, body)


@operation("CodeSystem", "validate-code", "type")
@operation("CodeSystem", "validate-code", "instance")
def validate_code_system_operation(
    storage: SqlStorage, ctx: RequestContext, type_name: str | None, res_id: str | None, params: Params
) -> Result:
    """Whether a code (or Coding, or CodeableConcept) belongs to the code system."""
    del type_name
    terms = terminology(storage)
    codings = codings_from(
        text(params, "code"),
        text(params, "url") or text(params, "system"),
        text(params, "display"),
        complex_value(params, "coding"),
        complex_value(params, "codeableConcept"),
    )
    url, version = _named_system(terms, res_id, text(params, "url"), text(params, "version"))
    body = validate_in_code_system(
        terms,
        url,
        codings,
        version=version,
        language=ctx.language,
        display_language=display_language(params, ctx),
        abstract_ok=boolean(params, "abstract", default=True),
    )
    return Result(200, body)


@operation("CodeSystem", "subsumes", "type")
@operation("CodeSystem", "subsumes", "instance")
def subsumes_operation(
    storage: SqlStorage, ctx: RequestContext, type_name: str | None, res_id: str | None, params: Params
) -> Result:
    """How two codes of one code system relate (equivalent, subsumes, subsumed-by, not-subsumed)."""
    del type_name, ctx
    terms = terminology(storage)
    coding_a, coding_b = _coding(params, "codingA"), _coding(params, "codingB")
    system = text(params, "system") or coding_a.get("system") or coding_b.get("system")
    for coding in (coding_a, coding_b):
        if coding.get("system") and system and coding["system"] != system:
            raise Invalid("terminology-system-mismatch", code="invalid", given=coding["system"])
    system, version = _named_system(terms, res_id, system, text(params, "version"))
    code_a = text(params, "codeA") or coding_a.get("code")
    code_b = text(params, "codeB") or coding_b.get("code")
    return Result(200, subsumes(terms, system, code_a, code_b, version))
