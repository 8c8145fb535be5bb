"""The one door to fhir.resources: R4B models behind an R4 (4.0.1) server.

fhir.resources 8 ships R5, R4B and STU3 but not R4; R4B is structurally R4 for every type served
here (docs/adr/0001-r4b-models-for-r4.md). The 18 R4 types that R4B dropped are known but not served.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from fhir_server.model.elements import model_class
from fhir_server.model.r4_types import R4_ONLY_TYPES, SERVED_TYPES

__all__ = ["R4_ONLY_TYPES", "R4_VERSION", "SERVED_TYPES", "pydantic_errors"]

R4_VERSION = "4.0.1"


def pydantic_errors(resource: dict[str, Any]) -> list[dict[str, Any]]:
    """Structural errors fhir.resources finds in a resource dict (empty when valid).

    Requests are validated without it (``model.structure`` does the model's checks, ADR 0001); it stays
    as the reference the tests and ``bench/validation.py`` compare the walker with.
    """
    try:
        model_class(resource["resourceType"]).model_validate(resource)
    except ValidationError as exc:
        return [dict(error) for error in exc.errors(include_url=False, include_context=False)]
    except (KeyError, LookupError, TypeError, ValueError, AttributeError) as exc:
        # fhir.resources raises bare lookups for unknown nested resource types.
        return [{"type": "value_error", "loc": (), "msg": str(exc)}]
    return []
