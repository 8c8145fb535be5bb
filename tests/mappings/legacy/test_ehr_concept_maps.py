"""The EHR code tables published in mappings/ say what the importer does."""

from __future__ import annotations

import json
from pathlib import Path

from fhir_server.mappings.legacy.ehr.agenda import APPOINTMENT_STATUS, DAYS
from fhir_server.mappings.legacy.ehr.coverage import TERMS, TYPES
from fhir_server.mappings.legacy.ehr.orders import MEDICATION_STATUS, VERIFICATION
from fhir_server.mappings.legacy.ehr.people import MARITAL, ROLE_CODES
from fhir_server.model import canonical as c
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


def test_tipo_seguro_concept_map_matches_the_importer_and_the_code_system() -> None:
    assert {fold(k): v for k, v in _pairs("ehr-tipo-seguro").items()} == TERMS
    data = json.loads((MAPPINGS / "ehr-tipo-seguro.json").read_text("utf-8"))
    assert data["group"][0]["target"] == c.CS_TIPO_SEGURO
    code_system = json.loads((MAPPINGS.parent / "terminology" / "codesystems" / "tipo-seguro.json").read_text("utf-8"))
    displays = {concept["code"]: concept["display"] for concept in code_system["concept"]}
    assert {code: display for code, (display, _) in TYPES.items()} == {code: displays[code] for code in TYPES}
    for element in data["group"][0]["element"]:
        assert element["target"][0]["display"] == displays[element["target"][0]["code"]]
