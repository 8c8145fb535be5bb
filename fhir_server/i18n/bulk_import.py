"""Messages of the Bulk Data $import operation (Spanish and English)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "bulk-import-async-required": {
        "es": "$import es asíncrono: envíe la cabecera Prefer: respond-async",
        "en": "$import is asynchronous: send the header Prefer: respond-async",
    },
    "bulk-import-body": {
        "es": "$import espera un recurso Parameters (o el objeto JSON del manifiesto de importación)",
        "en": "$import expects a Parameters resource (or the JSON object of the import manifest)",
    },
    "bulk-import-missing": {
        "es": "Falta el parámetro {name} de $import",
        "en": "The $import parameter {name} is missing",
    },
    "bulk-import-unsupported-parameter": {
        "es": "Parámetro de $import no admitido: {name} (use Prefer: handling=lenient para ignorarlo)",
        "en": "Unsupported $import parameter: {name} (send Prefer: handling=lenient to have it ignored)",
    },
    "bulk-import-format": {
        "es": "Formato de entrada no admitido: {value}; use application/fhir+ndjson",
        "en": "Unsupported input format: {value}; use application/fhir+ndjson",
    },
    "bulk-import-storage": {
        "es": "Tipo de almacenamiento no admitido: {value}; los archivos se leen del propio servidor (https)",
        "en": "Unsupported storage type: {value}; files are read from this server itself (https)",
    },
    "bulk-import-type": {
        "es": "Tipo de recurso desconocido o no importable en $import: {type}",
        "en": "Unknown or non-importable resource type in $import: {type}",
    },
    "bulk-import-too-many": {
        "es": "Demasiados archivos en una importación: {count} (máximo {limit})",
        "en": "Too many files in one import: {count} (at most {limit})",
    },
    "bulk-import-url-foreign": {
        "es": "URL no admitida: {url}. Solo se importan archivos de este servidor: "
        "{base}/$export-file/... (exportaciones terminadas) o {base}/$import-file/... (carpeta de importación)",
        "en": "URL not accepted: {url}. Only files of this server are imported: "
        "{base}/$export-file/... (finished exports) or {base}/$import-file/... (import folder)",
    },
    "bulk-import-url-path": {
        "es": "URL no admitida: {url}. La ruta del archivo es inválida o sale de su carpeta",
        "en": "URL not accepted: {url}. The file path is invalid or leaves its folder",
    },
    "bulk-import-url-export": {
        "es": "URL no admitida: {url}. No es un archivo de una exportación terminada suya en este servidor",
        "en": "URL not accepted: {url}. It is not a file of a finished export of yours on this server",
    },
    "bulk-import-url-folder": {
        "es": "URL no admitida: {url}. No existe ese archivo NDJSON en la carpeta de importación "
        "(o no hay carpeta de importación configurada: FHIR_IMPORT_DIR)",
        "en": "URL not accepted: {url}. There is no such NDJSON file in the import folder "
        "(or no import folder is configured: FHIR_IMPORT_DIR)",
    },
    "bulk-import-forbidden": {
        "es": "$import es para clientes de sistema (SMART Backend Services) o administradores "
        "que puedan crear y actualizar todos los tipos importados",
        "en": "$import is for system clients (SMART Backend Services) or administrators "
        "allowed to create and update every imported type",
    },
    "bulk-import-scope": {
        "es": "Sus permisos no alcanzan para importar {type}: hace falta crear y actualizar sin restricciones",
        "en": "Your permissions do not cover importing {type}: unrestricted create and update are needed",
    },
    "bulk-import-job-unknown": {
        "es": "No existe el trabajo de importación {id}",
        "en": "Import job {id} does not exist",
    },
    "bulk-import-job-failed": {
        "es": "La importación {id} falló; lo ya importado se conserva",
        "en": "Import {id} failed; what was already imported stays",
    },
    "bulk-import-error-file-unknown": {
        "es": "No existe el archivo de errores {name}",
        "en": "Error file {name} does not exist",
    },
    "bulk-import-wrong-type": {
        "es": "La línea tiene un recurso {actual}; este archivo es de {expected}",
        "en": "The line holds a {actual} resource; this file is for {expected}",
    },
    "bulk-import-file-gone": {
        "es": "El archivo ya no está disponible o no se puede leer",
        "en": "The file is no longer available or cannot be read",
    },
    "bulk-import-line": {
        "es": "{url}, línea {line}: {text}",
        "en": "{url}, line {line}: {text}",
    },
    "bulk-import-more-errors": {
        "es": "{count} errores más en {url} no se listan",
        "en": "{count} more errors in {url} are not listed",
    },
}
