"""FHIR interactions as plain functions: (context, storage, inputs) -> Result | FhirError."""
