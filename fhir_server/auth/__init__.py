"""SMART on FHIR authorization: arrives with the authorization issue."""
