"""Clinic profiles: declarative definitions, their StructureDefinitions and their validation.

Public API: ``structure_definitions()``, ``validate_against(resource, profile_urls, port)``,
``clinic_profile_for(resource)``, ``known_profile(url)``, ``bmi(weight_kg, height_cm)`` and
``cedula_problem(value)``; the port the caller implements is in ``profiles.port``.
"""

from __future__ import annotations

from fhir_server.model.profiles.bmi import bmi
from fhir_server.model.profiles.cedula import cedula_problem
from fhir_server.model.profiles.registry import (
    clinic_profile_for,
    known_profile,
    structure_definitions,
    supported_profiles,
)
from fhir_server.model.profiles.validate import validate_against

__all__ = [
    "bmi",
    "cedula_problem",
    "clinic_profile_for",
    "known_profile",
    "structure_definitions",
    "supported_profiles",
    "validate_against",
]
