"""FHIR REST routes: system, type and instance level."""
