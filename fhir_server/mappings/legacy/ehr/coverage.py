"""Patients.tipo_seguro -> Coverage, paid by an insurer Organization or by the patient (C.1).

The legacy column is free text ("IESS", "Seguro Social Campesino", "privado", "ninguno"...). The
words of TERMS are looked for in its folded form (no case, accents or punctuation); a value naming
exactly one kind of insurance is coded, anything else is reported and kept as text only. Insurers
are Organizations of the derived table ``aseguradora``, written once before the patients.
"""

from __future__ import annotations

import re
from typing import Any

from fhir_server.mappings.legacy.ehr.common import finding, ident, meta, ref, rid
from fhir_server.mappings.legacy.records import Mapped
from fhir_server.model import canonical as c
from fhir_server.search.values import fold

ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
# Folded word or phrase -> tipo-seguro code (mappings/ehr-tipo-seguro.json says the same).
TERMS = {
    "iess": "iess",
    "seguro social": "iess",
    "seguro general": "iess",
    "campesino": "iess-campesino",
    "seguro campesino": "iess-campesino",
    "issfa": "issfa",
    "fuerzas armadas": "issfa",
    "isspol": "isspol",
    "policia": "isspol",
    "privado": "privado",
    "privada": "privado",
    "prepagada": "privado",
    "ninguno": "ninguno",
    "ninguna": "ninguno",
    "sin seguro": "ninguno",
    "no tiene": "ninguno",
    "particular": "ninguno",
}
# tipo-seguro code -> (display in the CodeSystem, insurer paying, or None: the patient pays)
TYPES: dict[str, tuple[str, str | None]] = {
    "iess": ("IESS - Seguro general", "iess"),
    "iess-campesino": ("IESS - Seguro Social Campesino", "iess"),
    "issfa": ("ISSFA (Fuerzas Armadas)", "issfa"),
    "isspol": ("ISSPOL (Policía Nacional)", "isspol"),
    "privado": ("Seguro privado", "privado"),
    "ninguno": ("Sin seguro (pago directo)", None),
}
# Insurer key -> (name, alias); the legacy text never names the private company: one for all of them.
INSURERS = {
    "iess": ("Instituto Ecuatoriano de Seguridad Social", "IESS"),
    "issfa": ("Instituto de Seguridad Social de las Fuerzas Armadas", "ISSFA"),
    "isspol": ("Instituto de Seguridad Social de la Policía Nacional", "ISSPOL"),
    "privado": ("Aseguradora privada", None),
}


def _words(text: str) -> str:
    return " " + " ".join(re.sub(r"[^a-z0-9]+", " ", fold(text)).split()) + " "


def classify(text: str | None) -> str | None:
    """The tipo-seguro code of a legacy value; None when it names no kind of insurance, or more than one."""
    words = _words(text or "")
    found = {code for term, code in TERMS.items() if f" {term} " in words}
    if "iess-campesino" in found:  # the Seguro Social Campesino is a regime of the IESS, not a second insurance
        found.discard("iess")
    return found.pop() if len(found) == 1 else None


def insurer_of(text: str | None) -> str | None:
    """The insurer Organization a legacy value needs (None: self-pay, unknown or empty)."""
    code = classify(text)
    return TYPES[code][1] if code is not None else None


def insurer(key: str) -> Mapped:
    """One insurer Organization (a row of the derived ``aseguradora`` table)."""
    name, alias = INSURERS[key]
    mapped = Mapped("aseguradora", f"id={key}")
    organization: dict[str, Any] = {
        "resourceType": "Organization",
        "id": rid("aseguradora", key),
        "meta": meta(c.PROFILE_ORGANIZATION),
        "identifier": [ident("aseguradora", key)],
        "active": True,
        "type": [{"coding": [{"system": ORGANIZATION_TYPE, "code": "ins", "display": "Insurance Company"}]}],
        "name": name,
    }
    if alias:
        organization["alias"] = [alias]
    mapped.resources.append(organization)
    return mapped


def coverage(row: dict[str, Any], mapped: Mapped) -> list[dict[str, Any]]:
    """The patient's Coverage (none when tipo_seguro is empty)."""
    key, text = row["id"], (row.get("tipo_seguro") or "").strip()
    if not text:
        return []
    patient = ref("Patient", "Patients", key)
    resource: dict[str, Any] = {
        "resourceType": "Coverage",
        "id": rid("Patients", key, "coverage"),
        "meta": meta(),
        "identifier": [ident("Patients.tipo_seguro", key)],
        "status": "active",
        "type": {"text": text},
        "beneficiary": patient,
    }
    code = classify(text)
    if code is None:
        # Not knowing who pays, the Coverage names the payor by the legacy text rather than guess one.
        mapped.findings.append(finding("seguro-desconocido", "Patients", key, value=text))
        resource["payor"] = [{"display": text}]
        return [resource]
    display, paid_by = TYPES[code]
    resource["type"] = {"coding": [{"system": c.CS_TIPO_SEGURO, "code": code, "display": display}], "text": text}
    resource["payor"] = [ref("Organization", "aseguradora", paid_by) if paid_by else patient]
    return [resource]
