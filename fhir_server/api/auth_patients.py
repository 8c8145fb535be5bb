"""The patient picker's directory, over the FHIR interactions (auth itself never reads storage)."""

from __future__ import annotations

from typing import Any

from fhir_server.auth.flow import PatientChoice
from fhir_server.errors import FhirError
from fhir_server.interactions.context import RequestContext
from fhir_server.interactions.crud import read
from fhir_server.interactions.search import search
from fhir_server.settings import Settings
from fhir_server.storage.repository import SqlStorage


def _display(resource: dict[str, Any]) -> str:
    for name in resource.get("name") or []:
        if name.get("text"):
            return str(name["text"])
        parts = [*name.get("given", []), name.get("family", "")]
        if any(parts):
            return " ".join(p for p in parts if p)
    return str(resource.get("id", ""))


class StoragePatients:
    """Finds patients by name or identifier for the staff's patient picker."""

    def __init__(self, storage: SqlStorage, settings: Settings) -> None:
        self.storage = storage
        self.ctx = RequestContext(base_url=settings.base_url, language=settings.default_language, zone=settings.zone)

    def search(self, text: str, limit: int) -> list[PatientChoice]:
        params = [("_count", str(limit)), ("_elements", "name,identifier")]
        if text:
            params.append(("identifier" if text.replace("-", "").isdigit() else "name", text))
        else:
            params.append(("_sort", "-_lastUpdated"))
        try:
            body = search(self.storage, self.ctx, "Patient", params).body
        except FhirError:
            return []
        entries = body.get("entry", []) if isinstance(body, dict) else []
        return [
            PatientChoice(str(entry["resource"]["id"]), _display(entry["resource"]))
            for entry in entries
            if isinstance(entry.get("resource"), dict) and entry["resource"].get("resourceType") == "Patient"
        ]

    def exists(self, patient_id: str) -> bool:
        try:
            read(self.storage, self.ctx, "Patient", patient_id)
        except FhirError:
            return False
        return True
