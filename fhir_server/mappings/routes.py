"""Routes of administration as the clinic writes them -> SNOMED CT (legacy-domain.md C.10.1)."""

from __future__ import annotations

from fhir_server.model.canonical import SNOMED
from fhir_server.search.values import fold

ROUTES: dict[str, tuple[str, str]] = {
    "oral": ("26643006", "Oral route"),
    "intravenosa": ("47625008", "Intravenous route"),
    "intramuscular": ("78421000", "Intramuscular route"),
    "subcutanea": ("34206005", "Subcutaneous route"),
    "topica": ("6064005", "Topical route"),
    "sublingual": ("37839007", "Sublingual route"),
    "rectal": ("37161004", "Rectal route"),
    "oftalmica": ("54485002", "Ophthalmic route"),
    "otica": ("10547007", "Otic route"),
    "nasal": ("46713006", "Nasal route"),
    "inhalatoria": ("447694001", "Respiratory tract route"),
    "transdermica": ("45890007", "Transdermal route"),
    "vaginal": ("16857009", "Vaginal route"),
}
_ALIASES = {"iv": "intravenosa", "im": "intramuscular", "sc": "subcutanea", "vo": "oral", "inhalada": "inhalatoria"}


def route_concept(text: str | None) -> dict[str, object] | None:
    """A CodeableConcept for a route written in Spanish (SNOMED coding when known, the text always)."""
    if not text or not text.strip():
        return None
    key = fold(text).strip().removeprefix("via ").strip()
    key = _ALIASES.get(key, key)
    concept: dict[str, object] = {"text": text.strip()}
    if key in ROUTES:
        code, display = ROUTES[key]
        concept["coding"] = [{"system": SNOMED, "code": code, "display": display}]
    return concept
