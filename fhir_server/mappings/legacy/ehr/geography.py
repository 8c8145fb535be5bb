"""Provincias, cantones and parroquias: legacy names matched to INEC DPA codes within their parent (C.3.2).

The legacy tables hold names only. The geography is terminology (the ec-dpa CodeSystem loaded by
``fhir-server load-terminology --dpa``), not resources: these rows become no resources, only the
codes patients' addresses carry. A name that matches nothing is reported, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from fhir_server.mappings.legacy.ehr.common import State, finding
from fhir_server.mappings.legacy.records import Mapped
from fhir_server.model import canonical as c
from fhir_server.search.values import fold


def _key(name: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", fold(name)).split())


@dataclass
class DpaIndex:
    """(parent code, folded name) -> code, and code -> official name."""

    codes: dict[tuple[str, str], str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    def find(self, parent: str, name: str) -> str | None:
        return self.codes.get((parent, _key(name)))


def dpa_index(code_system: dict[str, Any] | None) -> DpaIndex:
    """The index of an ec-dpa CodeSystem (flat with ``parent`` properties, or nested)."""
    index = DpaIndex()

    def walk(concepts: list[dict[str, Any]], parent: str) -> None:
        for concept in concepts:
            code, name = concept.get("code"), concept.get("display")
            if not isinstance(code, str) or not isinstance(name, str):
                continue
            props = {p.get("code"): p.get("valueCode") for p in concept.get("property", []) if isinstance(p, dict)}
            above = props.get("parent") or parent
            index.codes[(str(above or ""), _key(name))] = code
            index.names[code] = name
            walk(concept.get("concept", []), code)

    walk((code_system or {}).get("concept", []), "")
    return index


def provincia(row: dict[str, Any], state: State, dpa: DpaIndex) -> Mapped:
    code = dpa.find("", row["nombre"])
    state.provincias[row["id"]] = (code, row["nombre"])
    return _mapped("Provincias", row, code, "provincia")


def canton(row: dict[str, Any], state: State, dpa: DpaIndex) -> Mapped:
    parent = state.provincias.get(row["provincia_id"], (None, ""))[0]
    code = dpa.find(parent, row["nombre"]) if parent else None
    state.cantones[row["id"]] = (code, row["nombre"], row["provincia_id"])
    return _mapped("Cantones", row, code, "cantón")


def parroquia(row: dict[str, Any], state: State, dpa: DpaIndex) -> Mapped:
    parent = state.cantones.get(row["canton_id"], (None, "", 0))[0]
    code = dpa.find(parent, row["nombre"]) if parent else None
    state.parroquias[row["id"]] = (code, row["nombre"], row["canton_id"])
    return _mapped("Parroquias", row, code, "parroquia")


def _mapped(table: str, row: dict[str, Any], code: str | None, level: str) -> Mapped:
    mapped = Mapped(table, f"id={row['id']}")
    if code is None:
        mapped.findings.append(finding("dpa-sin-codigo", table, row["id"], name=row["nombre"], level=level))
    return mapped


def _coded(url: str, code: str | None) -> Iterator[dict[str, Any]]:
    if code is not None:
        yield {"url": url, "valueCoding": {"system": c.CS_DPA, "code": code}}


def address(row: dict[str, Any], state: State, mapped: Mapped) -> dict[str, Any] | None:
    """The patient's home address: names always, DPA codes only where they nest (mismatches reported)."""
    prov = state.provincias.get(row["provincia_id"]) if row["provincia_id"] else None
    cant = state.cantones.get(row["canton_id"]) if row["canton_id"] else None
    parr = state.parroquias.get(row["parroquia_id"]) if row["parroquia_id"] else None
    prov_code, cant_code, parr_code = (prov or (None,))[0], (cant or (None,))[0], (parr or (None,))[0]
    if cant is not None and row["provincia_id"] and cant[2] != row["provincia_id"]:
        names = {"canton": cant[1], "provincia": prov[1] if prov else "?"}
        mapped.findings.append(finding("canton-fuera-de-provincia", "Patients", row["id"], "kept", **names))
        cant_code = parr_code = None
    elif parr is not None and row["canton_id"] and parr[2] != row["canton_id"]:
        names = {"parroquia": parr[1], "canton": cant[1] if cant else "?"}
        mapped.findings.append(finding("parroquia-fuera-de-canton", "Patients", row["id"], "kept", **names))
        parr_code = None
    result: dict[str, Any] = {"use": "home", "type": "physical"}
    extensions = [
        *_coded(c.EXT_PROVINCIA, prov_code),
        *_coded(c.EXT_CANTON, cant_code),
        *_coded(c.EXT_PARROQUIA, parr_code),
    ]
    if row.get("barrio"):
        extensions.append({"url": c.EXT_PRECINCT, "valueString": row["barrio"]})
    if extensions:
        result["extension"] = extensions
    if row.get("direccion"):
        result["line"] = [row["direccion"]]
    for element, place in (("district", parr), ("city", cant), ("state", prov)):
        if place is not None:
            result[element] = place[1]
    if len(result) == 2:
        return None
    result["country"] = "EC"
    return result
