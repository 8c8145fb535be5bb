"""The care dates $everything windows on are date parameters of compartment types in the R4 registry."""

from __future__ import annotations

from fhir_server.search.care_dates import CARE_DATES
from fhir_server.search.compartments import PATIENT_COMPARTMENT
from fhir_server.search.registry import r4_registry


def test_every_care_date_is_a_date_parameter_of_a_compartment_type():
    registry = r4_registry()
    for type_name, codes in CARE_DATES.items():
        assert type_name in PATIENT_COMPARTMENT, type_name
        for code in codes:
            param = registry.get(type_name, code)
            assert param is not None and param.type == "date", f"{type_name}.{code}"


def test_the_main_clinical_types_have_a_care_date():
    clinical = {"Encounter", "Observation", "Condition", "MedicationRequest", "Procedure", "Immunization",
                "AllergyIntolerance", "DiagnosticReport", "ClinicalImpression", "Appointment"}  # fmt: skip
    assert clinical <= set(CARE_DATES)
