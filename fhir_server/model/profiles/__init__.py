"""Clinic profiles: declarative definitions, their StructureDefinitions and their validation."""
