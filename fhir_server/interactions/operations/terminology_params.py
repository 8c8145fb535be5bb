"""Typed reading of terminology operation parameters (query strings give text, Parameters give typed values)."""

from __future__ import annotations

from typing import Any

from fhir_server.errors import Invalid
from fhir_server.interactions.context import RequestContext
from fhir_server.interactions.operations import Params


def first(params: Params, name: str) -> Any:
    """The first value of a parameter, or None."""
    values = params.get(name) or []
    return values[0] if values else None


def text(params: Params, name: str) -> str | None:
    """A string-like parameter (string, code, uri, canonical)."""
    value = first(params, name)
    if value is None or value == "":
        return None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise Invalid("operation-parameter", code="value", name=name)
    return str(value)


def texts(params: Params, name: str) -> list[str]:
    """Every value of a repeatable string parameter (comma lists split, as query strings send them)."""
    found: list[str] = []
    for value in params.get(name) or []:
        if isinstance(value, str):
            found += [v.strip() for v in value.split(",") if v.strip()]
    return found


def integer(params: Params, name: str) -> int | None:
    """A non-negative integer parameter (400 otherwise)."""
    value = first(params, name)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise Invalid("operation-parameter", code="value", name=name)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Invalid("operation-parameter", code="value", name=name) from None
    if number < 0:
        raise Invalid("operation-parameter", code="value", name=name)
    return number


def boolean(params: Params, name: str, default: bool = False) -> bool:
    """A boolean parameter: true/false (400 for anything else)."""
    value = first(params, name)
    if value is None or value == "":
        return default
    if value is True or value == "true":
        return True
    if value is False or value == "false":
        return False
    raise Invalid("operation-parameter", code="value", name=name)


def complex_value(params: Params, name: str) -> dict[str, Any] | None:
    """A Coding, CodeableConcept or resource parameter (only in a Parameters body)."""
    value = first(params, name)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise Invalid("operation-parameter", code="value", name=name)
    return value


def display_language(params: Params, ctx: RequestContext) -> str:
    """``displayLanguage``, else the language the client asked for with Accept-Language."""
    return text(params, "displayLanguage") or ctx.language
