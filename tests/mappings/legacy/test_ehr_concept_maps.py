"""The EHR code tables published in mappings/ say what the importer does."""

from __future__ import annotations

import json
from pathlib import Path

from fhir_server.mappings.legacy.ehr.agenda import APPOINTMENT_STATUS, DAYS
from fhir_server.mappings.legacy.ehr.orders import MEDICATION_STATUS, VERIFICATION
from fhir_server.mappings.legacy.ehr.people import MARITAL, ROLE_CODES
from fhir_server.search.values import fold

MAPPINGS = Path(__file__).resolve().parents[3] / "mappings"


def _pairs(name: str, group: int = 0) -> dict[str, str]:
    data = json.loads((MAPPINGS / f"{name}.json").read_text("utf-8"))
    return {e["code"]: e["target"][0]["code"] for e in data["group"][group]["element"]}


def test_concept_maps_match_the_importer() -> None:
    cita = _pairs("ehr-cita-estado")
    assert {k: v for k, v in cita.items() if k in APPOINTMENT_STATUS} == APPOINTMENT_STATUS
    assert {fold(k): v for k, v in _pairs("ehr-dia").items()} == DAYS
    assert {fold(k): v for k, v in _pairs("ehr-diagnostico-tipo").items()} == VERIFICATION
    assert _pairs("ehr-prescripcion-estado") == {k: v for k, v in MEDICATION_STATUS.items() if k}
    marital = _pairs("ehr-estado-civil")
    assert {k: v for k, v in marital.items() if k != "UL"} == {k: v[0] for k, v in MARITAL.items()}
    assert marital["UL"] == "T"
    assert _pairs("ehr-rol", 1) == {k: v[0] for k, v in ROLE_CODES.items()}
    assert _pairs("ehr-sexo") == {"H": "male", "M": "female"}
