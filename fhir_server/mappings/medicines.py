"""The clinic's medicines catalog (legacy ``medicamentos`` rows or a CSV with those columns) -> MedicationKnowledge.

Columns: id (optional), nombre_generico, nombre_comercial, forma_farmaceutica, concentracion,
via_administracion, categoria, estado (true/false). legacy-domain.md C.10.2. R4 MedicationKnowledge has
no ``identifier``: a legacy id becomes the resource id ``med-<id>``, so imports are traceable and idempotent.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterator, Mapping
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from fhir_server.mappings.routes import route_concept
from fhir_server.model.canonical import (
    CS_MEDICAMENTO,
    CS_MEDICAMENTO_CATEGORIA,
    EXT_CONCENTRACION_TEXTO,
    PROFILE_MEDICAMENTO,
    UCUM,
)
from fhir_server.search.values import fold
from fhir_server.terminology.loaders.project import default_directory, read_project

REQUIRED_COLUMNS = ("nombre_generico", "forma_farmaceutica", "concentracion", "via_administracion")
_STRENGTH = re.compile(
    r"^\s*(\d+(?:[.,]\d+)?)\s*(mg|g|mcg|ug|µg|ml|mL|UI|ui|%)\s*(?:/\s*(\d+(?:[.,]\d+)?)?\s*(ml|mL|g))?\s*$"
)
_UCUM_UNITS = {
    "mg": "mg",
    "g": "g",
    "mcg": "ug",
    "ug": "ug",
    "µg": "ug",
    "ml": "mL",
    "mL": "mL",
    "UI": "[iU]",
    "ui": "[iU]",
}


class CatalogRowError(ValueError):
    """A catalog row that cannot become a medicine (names the row and the column)."""


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:56] or "medicamento"


def _quantity(value: str, unit: str) -> dict[str, Any]:
    return {
        "value": Decimal(value.replace(",", ".")),
        "unit": unit,
        "system": UCUM,
        "code": _UCUM_UNITS.get(unit, unit),
    }


def _strength(concentracion: str, forma: str) -> dict[str, Any] | None:
    match = _STRENGTH.match(concentracion)
    if match is None or match.group(2) == "%":
        return None
    amount, unit, per_amount, per_unit = match.groups()
    denominator = _quantity(per_amount or "1", per_unit) if per_unit else {"value": Decimal(1), "unit": forma}
    return {"numerator": _quantity(amount, unit), "denominator": denominator}


def _stem(text: str) -> str:
    words = fold(text).replace("-", " ").split()
    return " ".join(w[:-2] if w.endswith("es") and len(w) > 5 else w.rstrip("s") for w in words)


@cache
def _categories() -> dict[str, tuple[str, str]]:
    """Stemmed code and display -> (code, display) of the project's medicamento-categoria code system."""
    found: dict[str, tuple[str, str]] = {}
    for resource in read_project(default_directory()):
        if resource["resourceType"] == "CodeSystem" and resource.get("url") == CS_MEDICAMENTO_CATEGORIA:
            for concept in resource.get("concept", []):
                pair = (concept["code"], concept.get("display", concept["code"]))
                found[_stem(pair[0])] = found[_stem(pair[1])] = pair
    return found


def category_code(category: str) -> tuple[str, str]:
    """The catalogue category a free-text legacy category names ("Analgésicos" -> analgesico), else "otro"."""
    categories = _categories()
    stem = _stem(category)
    if stem in categories:
        return categories[stem]
    for key, pair in categories.items():
        if stem.startswith(key) or key.startswith(stem):
            return pair
    return categories.get("otro", ("otro", "Otro"))


def _active(value: str | None) -> bool:
    return (value or "true").strip().lower() not in ("false", "f", "0", "no", "inactivo")


def medication_knowledge(row: Mapping[str, str | None]) -> dict[str, Any]:
    """One catalog row as a MedicationKnowledge claiming the clinic profile."""
    values = {key: (value or "").strip() for key, value in row.items() if key}
    missing = [column for column in REQUIRED_COLUMNS if not values.get(column)]
    if missing:
        raise CatalogRowError(", ".join(missing))
    generic, form, strength_text = values["nombre_generico"], values["forma_farmaceutica"], values["concentracion"]
    legacy_id = values.get("id")
    res_id = f"med-{legacy_id}" if legacy_id else _slug(f"{generic} {strength_text} {form}")
    # Prescriptions cite the catalog by this coding (and copy the text), as R4 MedicationRequest cannot
    # reference a MedicationKnowledge.
    catalog = {"system": CS_MEDICAMENTO, "code": res_id, "display": f"{generic} {strength_text} {form}"}
    resource: dict[str, Any] = {
        "resourceType": "MedicationKnowledge",
        "id": res_id,
        "meta": {"profile": [PROFILE_MEDICAMENTO]},
        "code": {"coding": [catalog], "text": generic},
        "status": "active" if _active(row.get("estado")) else "inactive",
        "doseForm": {"text": form},
    }
    if values.get("nombre_comercial"):
        resource["synonym"] = [values["nombre_comercial"]]
    ingredient: dict[str, Any] = {"itemCodeableConcept": {"text": generic}, "isActive": True}
    strength = _strength(strength_text, form)
    if strength is not None:
        ingredient["strength"] = strength
    else:
        resource["extension"] = [{"url": EXT_CONCENTRACION_TEXTO, "valueString": strength_text}]
    resource["ingredient"] = [ingredient]
    route = route_concept(values["via_administracion"])
    if route is not None:
        resource["intendedRoute"] = [route]
    if values.get("categoria"):
        category = values["categoria"]
        code, display = category_code(category)
        coding = {"system": CS_MEDICAMENTO_CATEGORIA, "code": code, "display": display}
        classification = {"coding": [coding], "text": category}
        resource["medicineClassification"] = [{"type": {"text": "categoria"}, "classification": [classification]}]
    return resource


def read_catalog(path: Path) -> Iterator[dict[str, Any]]:
    """Medicines from a CSV with a header row (UTF-8, comma or semicolon separated)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        sample = handle.read(4096)
        handle.seek(0)
        dialect = csv.Sniffer().sniff(sample, delimiters=",;")
        for line, row in enumerate(csv.DictReader(handle, dialect=dialect), start=2):
            try:
                yield medication_knowledge(row)
            except CatalogRowError as exc:
                raise CatalogRowError(f"{path}:{line}: missing {exc}") from None
