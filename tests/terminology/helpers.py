"""Synthetic terminology for the tests (codes shaped like the real ones, texts written for the tests)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

from fhir_server.model.canonical import ICD10
from fhir_server.terminology.codesystem import CodeSystemIndex
from fhir_server.terminology.loaders.cie10 import value_sets
from fhir_server.terminology.service import Terminology

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "terminology"
_DPA_CANDIDATES = [
    Path(__file__).resolve().parents[2].parent / "shared" / "data" / "ecuador-dpa" / "dpa.csv",
    Path("/work/shared/data/ecuador-dpa/dpa.csv"),
]
# The verified INEC copy beside the repository (tests may read it; the product never does).
DPA_CSV = next((p for p in _DPA_CANDIDATES if p.exists()), _DPA_CANDIDATES[0])
COLORS = "https://example.org/CodeSystem/colores"
T = TypeVar("T")


def must(value: T | None) -> T:
    """The value, asserting it is there (keeps the tests short and the type checker content)."""
    assert value is not None
    return value


def synthetic_icd10() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "icd10-sintetico.json").read_text("utf-8"))
    return data


def colors() -> dict[str, Any]:
    """A small code system whose hierarchy is spelled with the ``parent`` property, not nesting."""

    def concept(code: str, display: str, english: str, parent: str | None = None, **extra: Any) -> dict[str, Any]:
        properties: list[dict[str, Any]] = [{"code": "parent", "valueCode": parent}] if parent else []
        properties += [{"code": k, "valueBoolean" if isinstance(v, bool) else "valueCode": v} for k, v in extra.items()]
        concept = {"code": code, "display": display, "designation": [{"language": "en", "value": english}]}
        return {**concept, "property": properties} if properties else concept

    return {
        "resourceType": "CodeSystem",
        "id": "colores",
        "url": COLORS,
        "version": "1",
        "name": "Colores",
        "status": "active",
        "language": "es",
        "content": "complete",
        "caseSensitive": False,
        "hierarchyMeaning": "part-of",
        "property": [{"code": "parent", "type": "code"}, {"code": "tono", "type": "code"}],
        "concept": [
            concept("calido", "Cálido", "Warm"),
            concept("rojo", "Rojo", "Red", "calido", tono="fuerte"),
            concept("carmesi", "Carmesí", "Crimson", "rojo", tono="fuerte"),
            concept("naranja", "Naranja", "Orange", "calido", tono="suave"),
            concept("frio", "Frío", "Cold"),
            concept("azul", "Azul", "Blue", "frio", tono="fuerte"),
            concept("gris", "Gris", "Grey", status="retired"),
        ],
    }


def terms(*extra_value_sets: dict[str, Any]) -> Terminology:
    """Synthetic ICD-10 with the product's two CIE-10 value sets, plus the colours."""
    return Terminology(
        [CodeSystemIndex(synthetic_icd10()), CodeSystemIndex(colors())], [*value_sets("sintetico-1"), *extra_value_sets]
    )


def value_set(vs_id: str, compose: dict[str, Any], url: str | None = None) -> dict[str, Any]:
    return {
        "resourceType": "ValueSet",
        "id": vs_id,
        "url": url or f"https://example.org/ValueSet/{vs_id}",
        "status": "active",
        "compose": compose,
    }


__all__ = ["COLORS", "DPA_CSV", "FIXTURES", "ICD10", "colors", "must", "synthetic_icd10", "terms", "value_set"]
