"""Legacy importers: the EHR (PostgreSQL) and Medly (MySQL + MongoDB export) into FHIR."""
