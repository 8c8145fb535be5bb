"""FHIR R4 interoperability server for outpatient clinics."""

__version__ = "0.1.0"
