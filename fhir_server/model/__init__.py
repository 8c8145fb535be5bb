"""FHIR data model helpers: parsing, validation, JSON, references, instants (pure, no I/O)."""
