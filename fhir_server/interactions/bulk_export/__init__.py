"""Bulk Data Access 2.0 ``$export``: kick-off, status, manifest, files, and the workers that write them.

https://hl7.org/fhir/uv/bulkdata/export.html
"""

BULK_DATA = "http://hl7.org/fhir/uv/bulkdata"
# $export per level, for the CapabilityStatement (None: the system level).
EXPORT_OPERATIONS: dict[str | None, dict[str, str]] = {
    None: {"name": "export", "definition": f"{BULK_DATA}/OperationDefinition/export"},
    "Patient": {"name": "export", "definition": f"{BULK_DATA}/OperationDefinition/patient-export"},
    "Group": {"name": "export", "definition": f"{BULK_DATA}/OperationDefinition/group-export"},
}
