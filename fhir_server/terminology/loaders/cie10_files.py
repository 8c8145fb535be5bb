"""CIE-10 from files the clinic supplies: an overlay of displays, or the whole catalogue.

- overlay: CSV ``code,display`` (header optional); its displays win over every package.
- catalogue: a CodeSystem JSON (url http://hl7.org/fhir/sid/icd-10), or a CSV ``code,display,parent``.
Codes are normalised to the dotted WHO form ('J069' -> 'J06.9', 'I10X' -> 'I10').
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from fhir_server.model.canonical import ICD10
from fhir_server.terminology.loaders.cie10 import (
    PROPERTIES,
    Cie10Build,
    code_system,
    concept_json,
    nest,
    value_sets,
)
from fhir_server.terminology.loaders.cie10_sources import dotted
from fhir_server.terminology.loaders.overlay import BadFile, read_overlay, rows_of

_ROMAN = re.compile(r"^[IVXL]+$")


def _kind(code: str, parent: str | None) -> str:
    if _ROMAN.match(code):
        return "chapter"
    if "-" in code:
        return "block"
    if "." not in code:
        return "category"
    return "subcategory" if parent else "category"


def _file_version(path: Path) -> str:
    return f"{path.name} {hashlib.sha256(path.read_bytes()).hexdigest()[:12]}"


def _from_csv(path: Path, overlay: dict[str, str]) -> Cie10Build:
    items = []
    seen: set[str] = set()
    for number, row in enumerate(rows_of(path), start=1):
        if len(row) < 2 or not row[0] or not row[1]:
            raise BadFile(f"{path}: row {number} is not code,display,parent")
        code = row[0] if "-" in row[0] or _ROMAN.match(row[0]) else dotted(row[0])
        parent_text = row[2] if len(row) > 2 and row[2] else None
        parent = None if parent_text is None else parent_text if "-" in parent_text else dotted(parent_text)
        if code in seen:
            raise BadFile(f"{path}: code {code} appears twice")
        if parent is not None and parent not in seen:
            raise BadFile(f"{path}: row {number}: parent {parent} must come before {code}")
        seen.add(code)
        items.append((code, parent, concept_json(code, overlay.get(code, row[1]), _kind(code, parent), None)))
    if not items:
        raise BadFile(f"{path}: no codes")
    version = _file_version(path)
    resource = code_system(version, nest(items), len(items), f"CIE-10 cargada del archivo {path.name}.")
    return Cie10Build([resource, *value_sets(version)], version, {"concepts": len(items)}, {"file": path.name})


def _from_json(path: Path, overlay: dict[str, str]) -> Cie10Build:
    try:
        resource: Any = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise BadFile(f"{path}: {exc}") from exc
    if not isinstance(resource, dict) or resource.get("resourceType") != "CodeSystem":
        raise BadFile(f"{path}: not a CodeSystem")
    if resource.get("url") != ICD10:
        raise BadFile(f"{path}: the CodeSystem url must be {ICD10}")
    count = 0

    def visit(concepts: Any) -> None:
        nonlocal count
        for concept in concepts if isinstance(concepts, list) else []:
            if isinstance(concept, dict) and isinstance(concept.get("code"), str):
                count += 1
                if concept["code"] in overlay:
                    concept["display"] = overlay[concept["code"]]
                visit(concept.get("concept"))

    visit(resource.get("concept"))
    if not count:
        raise BadFile(f"{path}: the CodeSystem has no concepts")
    version = str(resource.get("version") or _file_version(path))
    resource.update({"id": "cie10", "version": version})
    resource.setdefault("property", PROPERTIES)
    resource.setdefault("hierarchyMeaning", "is-a")
    resource.setdefault("status", "active")
    resource.setdefault("content", "complete")
    return Cie10Build([resource, *value_sets(version)], version, {"concepts": count}, {"file": path.name})


def build_from_file(path: Path, overlay_path: Path | None = None) -> Cie10Build:
    """CIE-10 from a CodeSystem JSON or a ``code,display,parent`` CSV (BadFile when unreadable)."""
    if not path.is_file():
        raise BadFile(f"{path}: no such file")
    overlay = read_overlay(overlay_path) if overlay_path else {}
    if path.suffix.lower() == ".json":
        return _from_json(path, overlay)
    return _from_csv(path, overlay)
