"""The terminology the project authors itself: JSON resources under the top-level ``terminology/`` folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fhir_server.terminology.loaders.overlay import BadFile

RESOURCE_TYPES = ("CodeSystem", "ValueSet", "ConceptMap", "NamingSystem")


def default_directory() -> Path:
    """``terminology/`` next to the package (a source checkout or an editable install)."""
    return Path(__file__).resolve().parents[3] / "terminology"


def read_project(directory: Path) -> list[dict[str, Any]]:
    """Every resource of the folder (one per ``.json`` file, with an id), code systems first."""
    if not directory.is_dir():
        raise BadFile(f"{directory}: no such folder")
    found = []
    for path in sorted(directory.rglob("*.json")):
        try:
            resource = json.loads(path.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise BadFile(f"{path}: {exc}") from exc
        if not isinstance(resource, dict) or resource.get("resourceType") not in RESOURCE_TYPES:
            raise BadFile(f"{path}: not a {' / '.join(RESOURCE_TYPES)}")
        if not isinstance(resource.get("id"), str):
            raise BadFile(f"{path}: no id")
        found.append(resource)
    return sorted(found, key=lambda r: RESOURCE_TYPES.index(r["resourceType"]))
