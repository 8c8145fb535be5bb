"""The medicines catalog: legacy rows become MedicationKnowledge, searchable by name without accents."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from fhir_server.mappings.medicines import CatalogRowError, medication_knowledge, read_catalog
from fhir_server.model.canonical import CS_MEDICAMENTO, PROFILE_MEDICAMENTO, SNOMED
from fhir_server.model.json import dumps
from tests.api.search_helpers import idset
from tests.fhir_helpers import FHIR_JSON

CATALOG = Path(__file__).resolve().parents[1] / "fixtures" / "medicamentos.csv"


def test_a_row_keeps_every_column():
    medicine = next(read_catalog(CATALOG))
    assert medicine["id"] == "med-1"
    assert medicine["meta"]["profile"] == [PROFILE_MEDICAMENTO]
    assert medicine["code"]["text"] == "Paracetamol"
    assert medicine["code"]["coding"] == [
        {"system": CS_MEDICAMENTO, "code": "med-1", "display": "Paracetamol 500 mg tableta"}
    ]
    assert medicine["synonym"] == ["Tempra"]
    assert medicine["doseForm"]["text"] == "tableta"
    strength = medicine["ingredient"][0]["strength"]
    assert strength["numerator"] == {
        "value": Decimal(500),
        "unit": "mg",
        "system": "http://unitsofmeasure.org",
        "code": "mg",
    }
    assert strength["denominator"]["unit"] == "tableta"
    assert medicine["intendedRoute"][0]["coding"][0] == {"system": SNOMED, "code": "26643006", "display": "Oral route"}
    classification = medicine["medicineClassification"][0]["classification"][0]
    assert classification["text"] == "Analgésicos"
    assert classification["coding"][0]["code"] == "analgesico"


def test_strength_per_volume_unparseable_strength_and_inactive_rows():
    medicines = {m["id"]: m for m in read_catalog(CATALOG)}
    per_volume = medicines["med-3"]["ingredient"][0]["strength"]
    assert per_volume["denominator"]["value"] == Decimal(5)
    assert per_volume["denominator"]["code"] == "mL"
    assert medicines["med-4"]["status"] == "inactive"
    assert medicines["med-4"]["intendedRoute"][0]["coding"][0]["code"] == "26643006"
    assert "strength" not in medicines["med-5"]["ingredient"][0]
    assert medicines["med-5"]["extension"][0]["valueString"] == "1%"


def test_rows_without_required_columns_are_refused():
    with pytest.raises(CatalogRowError, match="forma_farmaceutica"):
        medication_knowledge({"nombre_generico": "X", "concentracion": "1 mg", "via_administracion": "oral"})


def test_catalog_is_searchable_by_generic_or_brand_name_without_accents(client):
    for medicine in read_catalog(CATALOG):
        response = client.put(f"/fhir/MedicationKnowledge/{medicine['id']}", content=dumps(medicine), headers=FHIR_JSON)
        assert response.status_code == 201, response.text
    assert idset(client, "/fhir/MedicationKnowledge", name="acido") == {"med-2"}
    assert idset(client, "/fhir/MedicationKnowledge", name="ASPIRINA") == {"med-2"}
    assert idset(client, "/fhir/MedicationKnowledge", name="losartan", status="active") == set()
    assert idset(client, "/fhir/MedicationKnowledge", **{"name:contains": "cilina"}) == {"med-3"}
    assert idset(client, "/fhir/MedicationKnowledge", **{"code:text": "paracet"}) == {"med-1"}
    assert idset(client, "/fhir/MedicationKnowledge", code=f"{CS_MEDICAMENTO}|med-4") == {"med-4"}
    stored = client.get("/fhir/MedicationKnowledge/med-1").json()
    assert json.dumps(stored["ingredient"][0]["strength"]["numerator"]["value"]) == "500"
