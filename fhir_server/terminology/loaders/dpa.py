"""Ecuador's political-administrative division (INEC DPA) from a CSV ``level,code,name,parent_code``.

Provinces have 2 digits, cantons 4 and parishes 6; every code starts with its parent's code. The
result replaces the product's fragment (the 24 provinces) by the complete CodeSystem ``ec-dpa``,
hierarchy part-of, with the properties ``parent``, ``nivel`` and, for parishes, ``tipo``
(urbana 01-49, cabecera 50, rural 51-89, zona 90).
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path
from typing import Any

from fhir_server.model.canonical import CS_DPA
from fhir_server.terminology.loaders.overlay import BadFile

LEVELS = {"provincia": (2, None), "canton": (4, "provincia"), "parroquia": (6, "canton")}
PROPERTIES = [
    {
        "code": "parent",
        "uri": "http://hl7.org/fhir/concept-properties#parent",
        "description": "Provincia de un cantón, cantón de una parroquia",
        "type": "code",
    },
    {"code": "nivel", "description": "provincia | canton | parroquia", "type": "code"},
    {"code": "tipo", "description": "Parroquias: urbana | cabecera | rural | zona", "type": "code"},
]


def parish_type(code: str) -> str:
    """urbana (01-49), cabecera (50), rural (51-89) or zona (90) from the last two digits."""
    number = int(code[-2:])
    if number == 50:
        return "cabecera"
    if number < 50:
        return "urbana"
    return "rural" if number < 90 else "zona"


def _concept(level: str, code: str, name: str, parent: str) -> dict[str, Any]:
    properties: list[dict[str, Any]] = []
    if parent:
        properties.append({"code": "parent", "valueCode": parent})
    properties.append({"code": "nivel", "valueCode": level})
    if level == "parroquia":
        properties.append({"code": "tipo", "valueCode": parish_type(code)})
    return {"code": code, "display": name, "property": properties}


def read_dpa(path: Path) -> dict[str, Any]:
    """The complete ec-dpa CodeSystem from the CSV (BadFile with the row when it is malformed)."""
    try:
        data = path.read_bytes()
        rows = list(csv.DictReader(data.decode("utf-8-sig").splitlines()))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise BadFile(f"{path}: {exc}") from exc
    levels: dict[str, str] = {}
    concepts = []
    for number, row in enumerate(rows, start=2):
        level, code = (row.get("level") or "").strip(), (row.get("code") or "").strip()
        name, parent = " ".join((row.get("name") or "").split()), (row.get("parent_code") or "").strip()
        if level not in LEVELS or not name:
            raise BadFile(f"{path}: line {number}: expected level,code,name,parent_code")
        digits, parent_level = LEVELS[level]
        if len(code) != digits or not code.isdigit() or code in levels:
            raise BadFile(f"{path}: line {number}: bad or repeated code {code!r}")
        if parent_level is not None and (levels.get(parent) != parent_level or not code.startswith(parent)):
            raise BadFile(f"{path}: line {number}: {code} needs a {parent_level} it starts with (got {parent!r})")
        levels[code] = level
        concepts.append(_concept(level, code, name, parent if parent_level else ""))
    if not concepts:
        raise BadFile(f"{path}: no rows")
    return {
        "resourceType": "CodeSystem",
        "id": "ec-dpa",
        "url": CS_DPA,
        "version": f"INEC DPA ({path.name}, sha256 {hashlib.sha256(data).hexdigest()[:12]})",
        "name": "EcDpa",
        "title": "División político-administrativa del Ecuador (INEC)",
        "status": "active",
        "experimental": False,
        "publisher": "Consultorio (proyecto fhir-server); códigos del INEC",
        "description": "Provincias (2 dígitos), cantones (4) y parroquias (6) del Ecuador, cargados de " + path.name,
        "copyright": "INEC, Clasificador Geográfico Estadístico / División Político-Administrativa.",
        "language": "es",
        "caseSensitive": True,
        "hierarchyMeaning": "part-of",
        "content": "complete",
        "count": len(concepts),
        "property": PROPERTIES,
        "concept": concepts,
    }
