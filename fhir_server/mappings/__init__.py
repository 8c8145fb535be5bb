"""Legacy clinic systems -> FHIR; content lives in the top-level mappings/ folder."""
