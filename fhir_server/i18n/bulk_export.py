"""Messages of Bulk Data $export (Spanish and English)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "bulk-async-required": {
        "es": "$export es asíncrono: envíe la cabecera Prefer: respond-async",
        "en": "$export is asynchronous: send the header Prefer: respond-async",
    },
    "bulk-unsupported-parameter": {
        "es": "Parámetro de $export no admitido: {name} (use Prefer: handling=lenient para ignorarlo)",
        "en": "Unsupported $export parameter: {name} (send Prefer: handling=lenient to have it ignored)",
    },
    "bulk-output-format": {
        "es": "Formato de salida no admitido: {value}; use application/fhir+ndjson",
        "en": "Unsupported output format: {value}; use application/fhir+ndjson",
    },
    "bulk-unknown-type": {
        "es": "Tipo de recurso desconocido o no exportable en $export: {type}",
        "en": "Unknown or non-exportable resource type in $export: {type}",
    },
    "bulk-type-filter": {
        "es": "_typeFilter inválido: {value} (se espera Tipo?parámetros de búsqueda)",
        "en": "Invalid _typeFilter: {value} (expected Type?search parameters)",
    },
    "bulk-patient-parameter": {
        "es": "El parámetro patient solo vale con POST en Patient/$export o Group/[id]/$export",
        "en": "The patient parameter is only valid with POST on Patient/$export or Group/[id]/$export",
    },
    "bulk-clients-only": {
        "es": "$export es para clientes de sistema (SMART Backend Services) con alcances system/",
        "en": "$export is for system clients (SMART Backend Services) with system/ scopes",
    },
    "bulk-job-unknown": {
        "es": "No existe el trabajo de exportación {id}",
        "en": "Export job {id} does not exist",
    },
    "bulk-file-unknown": {
        "es": "No existe el archivo de exportación {name}",
        "en": "Export file {name} does not exist",
    },
    "bulk-job-failed": {
        "es": "La exportación {id} falló; inicie una nueva",
        "en": "Export {id} failed; start a new one",
    },
    "bulk-in-progress": {
        "es": "Exportación en curso: {progress}",
        "en": "Export in progress: {progress}",
    },
}
