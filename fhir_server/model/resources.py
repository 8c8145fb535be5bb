"""The one door to fhir.resources: R4B models behind an R4 (4.0.1) server.

fhir.resources 8 ships R5, R4B and STU3 but not R4; R4B is structurally R4 for every type served
here (docs/adr/0001-r4b-models-for-r4.md). The 18 R4 types that R4B dropped are known but not served.
"""

from __future__ import annotations

from typing import Any

from fhir_core.fhirabstractmodel import FHIRAbstractModel
from pydantic import ValidationError

from fhir_server.model.elements import complex_fields, model_class
from fhir_server.model.r4_types import R4_ONLY_TYPES, SERVED_TYPES

__all__ = ["R4_ONLY_TYPES", "R4_VERSION", "SERVED_TYPES", "pydantic_errors"]

R4_VERSION = "4.0.1"

# Complex values already validated: (model class, repr of the JSON value) -> the validated model.
# A model instance placed in the input is accepted as is by pydantic (revalidate_instances="never"),
# and a value's verdict depends only on the value, so a known-valid value need not be validated again.
# Codes, categories and references to the same patient, encounter and practitioner repeat across writes.
_VALID: dict[tuple[type[FHIRAbstractModel], str], FHIRAbstractModel] = {}
_VALID_LIMIT = 8_192
# Long values (narratives, contained resources, free text) seldom repeat: remembering them would only
# hold memory (the key is the value's text), so only short ones are kept.
_VALID_LONGEST = 512


def _remember(key: tuple[type[FHIRAbstractModel], str], model: Any) -> None:
    while len(_VALID) >= _VALID_LIMIT:
        try:  # forget the oldest entry; another thread may have just done so
            del _VALID[next(iter(_VALID))]
        except (KeyError, RuntimeError, StopIteration):
            break
    _VALID[key] = model


def _memo_key(child: type[FHIRAbstractModel], value: dict[str, Any]) -> tuple[type[FHIRAbstractModel], str] | None:
    """The memo's key for a complex value, or None when it is too long to remember."""
    text = repr(value)
    return (child, text) if len(text) <= _VALID_LONGEST else None


def pydantic_errors(resource: dict[str, Any]) -> list[dict[str, Any]]:
    """Structural errors fhir.resources finds in a resource dict (empty when valid).

    Requests are validated without it (``model.structure`` does the model's checks, ADR 0001); it stays
    as the reference the tests and ``bench/validation.py`` compare the walker with.
    """
    type_name = resource["resourceType"]
    klass = model_class(type_name)
    data = dict(resource)
    misses: list[tuple[str, int, tuple[type[FHIRAbstractModel], str]]] = []
    for json_name, field_name, child, is_list in complex_fields(type_name):
        value = data.get(json_name)
        if value is None:
            continue
        if is_list:
            if not isinstance(value, list):
                continue
            items = list(value)
            for index, item in enumerate(items):
                if isinstance(item, dict) and (key := _memo_key(child, item)) is not None:
                    known = _VALID.get(key)
                    if known is None:
                        misses.append((field_name, index, key))
                    else:
                        items[index] = known
            data[json_name] = items
        elif isinstance(value, dict) and (key := _memo_key(child, value)) is not None:
            known = _VALID.get(key)
            if known is None:
                misses.append((field_name, -1, key))
            else:
                data[json_name] = known
    try:
        model = klass.model_validate(data)
    except ValidationError as exc:
        return [dict(error) for error in exc.errors(include_url=False, include_context=False)]
    except (KeyError, LookupError, TypeError, ValueError, AttributeError) as exc:
        # fhir.resources raises bare lookups for unknown nested resource types.
        return [{"type": "value_error", "loc": (), "msg": str(exc)}]
    for field_name, index, key in misses:
        validated = getattr(model, field_name)
        _remember(key, validated[index] if index >= 0 else validated)
    return []
