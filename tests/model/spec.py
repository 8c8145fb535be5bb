"""Readers of the official R4 definitions, for tests that check the product's own tables."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any


@cache
def load(spec_dir: Path, name: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((spec_dir / name).read_text())
    return result


def structure_definitions(spec_dir: Path, name: str) -> list[dict[str, Any]]:
    return [
        e["resource"]
        for e in load(spec_dir, name)["entry"]
        if e["resource"]["resourceType"] == "StructureDefinition" and e["resource"].get("fhirVersion") == "4.0.1"
    ]


def r4_resource_types(spec_dir: Path) -> set[str]:
    return {
        sd["id"]
        for sd in structure_definitions(spec_dir, "profiles-resources.json")
        if sd["kind"] == "resource" and not sd.get("abstract") and sd.get("derivation") == "specialization"
    }


def _code_systems(spec_dir: Path) -> dict[str, list[str]]:
    systems: dict[str, list[str]] = {}
    for name in ("valuesets.json", "v3-codesystems.json", "v2-tables.json"):
        for entry in load(spec_dir, name)["entry"]:
            resource = entry["resource"]
            if resource["resourceType"] != "CodeSystem":
                continue
            codes: list[str] = []

            def walk(concepts: list[dict[str, Any]], out: list[str] = codes) -> None:
                for concept in concepts:
                    abstract = any(
                        p.get("code") in ("abstract", "notSelectable") and p.get("valueBoolean")
                        for p in concept.get("property", [])
                    )
                    if not abstract:
                        out.append(concept["code"])
                    walk(concept.get("concept", []))

            walk(resource.get("concept", []))
            systems[resource["url"]] = codes
    return systems


def _value_sets(spec_dir: Path) -> dict[str, dict[str, Any]]:
    return {
        e["resource"]["url"]: e["resource"]
        for e in load(spec_dir, "valuesets.json")["entry"]
        if e["resource"]["resourceType"] == "ValueSet"
    }


def required_bindings(spec_dir: Path) -> dict[str, set[str] | None]:
    """Element path -> codes of its required binding (None when the value set cannot be listed here)."""
    systems = _code_systems(spec_dir)
    value_sets = _value_sets(spec_dir)

    def expand(url: str) -> set[str] | None:
        canonical, _, version = url.partition("|")
        value_set = value_sets.get(canonical)
        # An unversioned binding means the R4 (4.0.1) value set; the bundle holds a few R5 ones.
        if value_set is None or value_set.get("version") not in (version or "4.0.1", None):
            return None
        codes: set[str] = set()
        for include in value_set.get("compose", {}).get("include", []):
            if "concept" in include:
                codes |= {c["code"] for c in include["concept"]}
            elif "valueSet" in include:
                for nested in include["valueSet"]:
                    more = expand(nested)
                    if more is None:
                        return None
                    codes |= more
            elif include.get("system") in systems and not include.get("filter"):
                codes |= set(systems[include["system"]])
            else:
                return None
        return codes

    bindings: dict[str, set[str] | None] = {}
    for file in ("profiles-resources.json", "profiles-types.json"):
        for sd in structure_definitions(spec_dir, file):
            if sd.get("derivation") != "specialization":
                continue
            for element in sd.get("snapshot", {}).get("element", []):
                binding = element.get("binding") or {}
                types = [t["code"] for t in element.get("type", [])]
                if binding.get("strength") == "required" and binding.get("valueSet") and types == ["code"]:
                    bindings[element["path"]] = expand(binding["valueSet"])
    return bindings


def datatype_names(spec_dir: Path) -> set[str]:
    return {sd["id"] for sd in structure_definitions(spec_dir, "profiles-types.json")}
