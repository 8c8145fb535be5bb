"""Core messages: HTTP, REST interactions, search, bundles, scheduling."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "ok": {"es": "Operación completada", "en": "All OK"},
    "internal-error": {
        "es": "Error interno del servidor (solicitud {request_id})",
        "en": "Internal server error (request {request_id})",
    },
    # HTTP and content negotiation
    "unknown-route": {"es": "Ruta desconocida: {path}", "en": "Unknown path: {path}"},
    "method-not-allowed": {
        "es": "El método {method} no está permitido en {path}",
        "en": "Method {method} is not allowed on {path}",
    },
    "not-acceptable": {
        "es": "Formato no disponible: {format}. Este servidor responde application/fhir+json",
        "en": "Format not available: {format}. This server answers application/fhir+json",
    },
    "unsupported-media-type": {
        "es": "Tipo de contenido no admitido: {content_type}. Use {expected}",
        "en": "Unsupported content type: {content_type}. Use {expected}",
    },
    "body-too-large": {
        "es": "El cuerpo de la solicitud supera el límite de {limit} bytes",
        "en": "The request body exceeds the limit of {limit} bytes",
    },
    "body-required": {"es": "Falta el cuerpo de la solicitud", "en": "The request body is missing"},
    "bad-header": {
        "es": "Valor inválido en la cabecera {header}: {value}",
        "en": "Invalid value in header {header}: {value}",
    },
    "bad-parameter": {
        "es": "Valor inválido para el parámetro {name}: {value}",
        "en": "Invalid value for parameter {name}: {value}",
    },
    "unknown-parameter": {
        "es": "Parámetro de búsqueda desconocido o no admitido: {name}",
        "en": "Unknown or unsupported search parameter: {name}",
    },
    "not-implemented": {
        "es": "Esta operación aún no está implementada: {what}",
        "en": "This operation is not implemented yet: {what}",
    },
    # Resource types and ids
    "unknown-type": {
        "es": "Tipo de recurso desconocido: {type}",
        "en": "Unknown resource type: {type}",
    },
    "type-not-served": {
        "es": "El tipo de recurso {type} existe en R4 pero este servidor no lo ofrece",
        "en": "Resource type {type} exists in R4 but this server does not serve it",
    },
    "not-found": {"es": "No existe {type}/{id}", "en": "{type}/{id} does not exist"},
    "version-not-found": {
        "es": "No existe la versión {version} de {type}/{id}",
        "en": "Version {version} of {type}/{id} does not exist",
    },
    "gone": {
        "es": "{type}/{id} fue eliminado (versión {version})",
        "en": "{type}/{id} was deleted (version {version})",
    },
    "bad-id": {
        "es": "Identificador inválido: '{id}' (1 a 64 caracteres: letras, dígitos, '-' y '.')",
        "en": "Invalid id: '{id}' (1 to 64 characters: letters, digits, '-' and '.')",
    },
    "bad-version": {"es": "Versión inválida: '{version}'", "en": "Invalid version: '{version}'"},
    "id-mismatch": {
        "es": "El id del cuerpo ({body_id}) no coincide con el de la URL ({url_id})",
        "en": "The body id ({body_id}) does not match the URL id ({url_id})",
    },
    "id-missing": {
        "es": "El recurso debe llevar un id igual al de la URL ({url_id})",
        "en": "The resource must carry an id equal to the URL id ({url_id})",
    },
    "type-mismatch": {
        "es": "El cuerpo es un {body_type} pero la URL espera {url_type}",
        "en": "The body is a {body_type} but the URL expects {url_type}",
    },
    "deleted-ok": {"es": "{type}/{id} eliminado", "en": "{type}/{id} deleted"},
    "delete-nothing": {
        "es": "No había nada que eliminar en {type}/{id}",
        "en": "There was nothing to delete at {type}/{id}",
    },
    "conditional-delete-none": {
        "es": "Ningún {type} cumple los criterios; nada eliminado",
        "en": "No {type} matches the criteria; nothing deleted",
    },
    "created-ok": {"es": "{type}/{id} creado", "en": "{type}/{id} created"},
    "updated-ok": {"es": "{type}/{id} actualizado", "en": "{type}/{id} updated"},
    "unchanged-ok": {
        "es": "{type}/{id} no cambió; se mantiene la versión {version}",
        "en": "{type}/{id} did not change; version {version} stays current",
    },
    "exists-ok": {
        "es": "Ya existe {type}/{id} con esos criterios; no se creó nada",
        "en": "{type}/{id} already matches the criteria; nothing was created",
    },
    # Preconditions
    "version-conflict": {
        "es": "Conflicto de versión: se esperaba {expected}, la actual es {current}",
        "en": "Version conflict: expected {expected}, current is {current}",
    },
    "if-match-on-missing": {
        "es": "If-Match indicado pero {type}/{id} no existe",
        "en": "If-Match given but {type}/{id} does not exist",
    },
    "multiple-matches": {
        "es": "Los criterios coinciden con {count} recursos {type}; deben ser más selectivos",
        "en": "The criteria match {count} {type} resources; they must be more selective",
    },
    "criteria-required": {
        "es": "La operación condicional necesita criterios de búsqueda",
        "en": "The conditional operation needs search criteria",
    },
    "conditional-id-mismatch": {
        "es": "El id del cuerpo ({body_id}) no es el del recurso que cumple los criterios ({match_id})",
        "en": "The body id ({body_id}) is not that of the resource matching the criteria ({match_id})",
    },
    "busy": {
        "es": "La base de datos está ocupada o no disponible; reintente",
        "en": "The database is busy or unavailable; retry",
    },
    # Parsing and validation
    "json-invalid": {
        "es": "El cuerpo no es JSON válido: {detail}",
        "en": "The body is not valid JSON: {detail}",
    },
    "json-not-object": {
        "es": "El cuerpo debe ser un objeto JSON con resourceType",
        "en": "The body must be a JSON object with resourceType",
    },
    "resource-type-missing": {
        "es": "Falta resourceType en el recurso",
        "en": "The resource has no resourceType",
    },
    "element-unknown": {
        "es": "Elemento desconocido: {element}",
        "en": "Unknown element: {element}",
    },
    "element-required": {
        "es": "Falta el elemento obligatorio {element}",
        "en": "Required element {element} is missing",
    },
    "element-invalid": {
        "es": "Valor inválido en {element}: {detail}",
        "en": "Invalid value in {element}: {detail}",
    },
    "json-type": {
        "es": "{element} debe ser {expected} en JSON, no {actual}",
        "en": "{element} must be a JSON {expected}, not {actual}",
    },
    "null-value": {
        "es": "{element} es null; FHIR no admite null, omita el elemento",
        "en": "{element} is null; FHIR does not allow null, leave the element out",
    },
    "empty-value": {
        "es": "{element} está vacío; FHIR no admite elementos vacíos",
        "en": "{element} is empty; FHIR does not allow empty elements",
    },
    "code-not-allowed": {
        "es": "El código '{code}' no es válido en {element}; se admite: {allowed}",
        "en": "Code '{code}' is not valid in {element}; allowed: {allowed}",
    },
    "choice-multiple": {
        "es": "Solo puede haber un valor para {element}[x]",
        "en": "Only one value is allowed for {element}[x]",
    },
    "reference-invalid": {
        "es": "Referencia inválida en {element}: '{reference}'",
        "en": "Invalid reference in {element}: '{reference}'",
    },
    "reference-target": {
        "es": "{element} no puede referirse a {target}; admite: {allowed}",
        "en": "{element} cannot refer to {target}; allowed: {allowed}",
    },
    "reference-local": {
        "es": "{element} usa '{reference}', que solo vale dentro de un Bundle de transacción",
        "en": "{element} uses '{reference}', which is only valid inside a transaction Bundle",
    },
    "contained-missing": {
        "es": "{element} apunta a '#{ref}', pero no hay recurso contenido con ese id",
        "en": "{element} points to '#{ref}', but no contained resource has that id",
    },
    "narrative-unsafe": {
        "es": "La narrativa XHTML no es segura o no es válida: {detail}",
        "en": "The XHTML narrative is unsafe or invalid: {detail}",
    },
    # Patch
    "patch-invalid": {
        "es": "El parche no es válido: {detail}",
        "en": "The patch is invalid: {detail}",
    },
    "patch-failed": {
        "es": "No se pudo aplicar el parche: {detail}",
        "en": "The patch could not be applied: {detail}",
    },
    "patch-changes-identity": {
        "es": "El parche no puede cambiar resourceType ni id",
        "en": "The patch cannot change resourceType or id",
    },
}

MESSAGES.update(
    {
        "entry-failed": {
            "es": "La entrada {index} del Bundle falló; no se guardó nada",
            "en": "Bundle entry {index} failed; nothing was stored",
        },
        "bundle-expected": {
            "es": "Se esperaba un Bundle de tipo transaction o batch",
            "en": "A Bundle of type transaction or batch was expected",
        },
        "bundle-type": {
            "es": "Tipo de Bundle no procesable en la base: {type} (use transaction o batch)",
            "en": "Bundle type cannot be processed at the base: {type} (use transaction or batch)",
        },
        "bundle-too-many": {
            "es": "El Bundle tiene {count} entradas; el límite es {limit}",
            "en": "The Bundle has {count} entries; the limit is {limit}",
        },
        "bundle-request-missing": {
            "es": "La entrada no tiene una solicitud válida (request.method, request.url y, si aplica, resource)",
            "en": "The entry has no valid request (request.method, request.url and, where needed, resource)",
        },
        "bundle-patch-binary": {
            "es": "Un PATCH en un Bundle lleva un Binary con un JSON Patch (application/json-patch+json)",
            "en": "A PATCH in a Bundle carries a Binary holding a JSON Patch (application/json-patch+json)",
        },
        "bundle-duplicate-fullurl": {
            "es": "fullUrl repetido en el Bundle: {full_url}",
            "en": "Repeated fullUrl in the Bundle: {full_url}",
        },
        "bundle-same-resource": {
            "es": "Dos entradas actúan sobre el mismo recurso: {type}/{id}",
            "en": "Two entries act on the same resource: {type}/{id}",
        },
        "conditional-reference-none": {
            "es": "La referencia condicional {reference} no coincide con ningún recurso",
            "en": "The conditional reference {reference} matches no resource",
        },
        "conditional-reference-many": {
            "es": "La referencia condicional {reference} coincide con {count} recursos",
            "en": "The conditional reference {reference} matches {count} resources",
        },
        "double-booking": {
            "es": "Horario ocupado: {actor} ya tiene la cita {other} de {start} a {end}",
            "en": "Time already taken: {actor} already has appointment {other} from {start} to {end}",
        },
        "slot-missing": {
            "es": "La cita usa el espacio {slot}, que no existe",
            "en": "The appointment uses slot {slot}, which does not exist",
        },
        "slot-unavailable": {
            "es": "El espacio {slot} no está disponible (estado {status})",
            "en": "Slot {slot} is not available (status {status})",
        },
    }
)

MESSAGES.update(
    {
        "operation-unknown": {"es": "Operación desconocida: {operation}", "en": "Unknown operation: {operation}"},
        "operation-parameters": {
            "es": "El cuerpo de la operación debe ser un recurso Parameters",
            "en": "The operation body must be a Parameters resource",
        },
        "operation-parameter": {
            "es": "Parámetro de la operación inválido o ausente: {name}",
            "en": "Invalid or missing operation parameter: {name}",
        },
        "no-opening-hours": {
            "es": "No hay horario de atención: indique availableTime o defina el horario del actor de la agenda",
            "en": "No opening hours: give availableTime or define the hours of the schedule's actor",
        },
        "too-many-slots": {
            "es": "Se generarían {count} espacios; el máximo por llamada es {limit}",
            "en": "{count} slots would be generated; the most per call is {limit}",
        },
    }
)
