"""Putting terminology into a test database through the same path `fhir-server load-terminology` uses."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from fhir_server.interactions.context import RequestContext
from fhir_server.interactions.terminology_load import LoadReport, put
from fhir_server.storage.repository import SqlStorage
from fhir_server.terminology.loaders.cie10_files import build_from_file
from fhir_server.terminology.loaders.dpa import read_dpa
from fhir_server.terminology.loaders.project import default_directory, read_project
from tests.conftest import BASE_URL
from tests.terminology.helpers import DPA_CSV, FIXTURES

CTX = RequestContext(BASE_URL, "es", ZoneInfo("America/Guayaquil"))
PROJECT_IDS = {
    ("ValueSet", "ec-dpa-provincias"),
    ("ValueSet", "ec-dpa-cantones"),
    ("ValueSet", "ec-dpa-parroquias"),
    ("CodeSystem", "administrative-gender"),
    ("ValueSet", "administrative-gender"),
    ("CodeSystem", "v3-MaritalStatus"),
    ("CodeSystem", "v3-NullFlavor"),
    ("ValueSet", "marital-status"),
}


def put_all(storage: SqlStorage, resources: list[dict[str, Any]]) -> LoadReport:
    report = LoadReport()
    for resource in resources:
        put(storage, CTX, resource, report)
    return report


def load_clinic_terminology(storage: SqlStorage, *, dpa: bool = True) -> None:
    """Synthetic CIE-10 with the product's value sets, the real DPA (or the product's provinces) and a few HL7 sets."""
    project = [r for r in read_project(default_directory()) if (r["resourceType"], r["id"]) in PROJECT_IDS]
    if not dpa or not DPA_CSV.exists():
        project += [
            r for r in read_project(default_directory()) if (r["resourceType"], r["id"]) == ("CodeSystem", "ec-dpa")
        ]
    resources = build_from_file(FIXTURES / "icd10-sintetico.json").resources + project
    if dpa and DPA_CSV.exists():
        resources.append(read_dpa(DPA_CSV))
    put_all(storage, resources)
