"""Messages of the terminology area (Spanish and English)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "terminology-system-unknown": {
        "es": "Este servidor no tiene el sistema de códigos {system}",
        "en": "This server does not hold the code system {system}",
    },
    "terminology-system-not-held": {
        "es": "No se puede expandir: el servidor no tiene el sistema de códigos {system}",
        "en": "Cannot expand: this server does not hold the code system {system}",
    },
    "terminology-system-mismatch": {
        "es": "El código usa el sistema {given}, que no es el sistema consultado",
        "en": "The code uses the system {given}, which is not the system asked about",
    },
    "terminology-code-unknown": {
        "es": "El código {value} no existe en {system}",
        "en": "The code {value} does not exist in {system}",
    },
    "terminology-code-unknown-fragment": {
        "es": "El código {value} no está en la parte de {system} que tiene este servidor (contenido parcial)",
        "en": "The code {value} is not in the part of {system} this server holds (partial content)",
    },
    "terminology-code-not-in-valueset": {
        "es": "El código {value} ({system}) no pertenece al conjunto de valores {valueset}",
        "en": "The code {value} ({system}) is not in the value set {valueset}",
    },
    "terminology-code-not-in-valueset-unsure": {
        "es": "No se puede confirmar que el código {value} ({system}) pertenezca a {valueset}: "
        "el servidor solo tiene parte de su contenido",
        "en": "Cannot confirm that the code {value} ({system}) is in {valueset}: the server holds only part of it",
    },
    "terminology-display-wrong": {
        "es": "La descripción «{display}» no corresponde a {system}#{value}; la correcta es «{expected}»",
        "en": "The display '{display}' does not belong to {system}#{value}; the right one is '{expected}'",
    },
    "terminology-code-abstract": {
        "es": "El código {value} de {system} agrupa otros códigos y no puede usarse para registrar",
        "en": "The code {value} of {system} groups other codes and cannot be used for recording",
    },
    "terminology-code-inactive": {
        "es": "El código {value} de {system} está inactivo",
        "en": "The code {value} of {system} is inactive",
    },
    "terminology-coding-required": {
        "es": "Indique code (con system), coding o codeableConcept",
        "en": "Give code (with system), coding or codeableConcept",
    },
    "terminology-valueset-required": {
        "es": "Indique el conjunto de valores: url o valueSet",
        "en": "Name the value set: url or valueSet",
    },
    "terminology-valueset-unknown": {
        "es": "Este servidor no tiene el conjunto de valores {url}",
        "en": "This server does not hold the value set {url}",
    },
    "terminology-valueset-cycle": {
        "es": "El conjunto de valores {url} se importa a sí mismo o anida demasiados niveles",
        "en": "The value set {url} imports itself or nests too deeply",
    },
    "terminology-valueset-empty": {
        "es": "El conjunto de valores {url} no tiene compose ni expansion",
        "en": "The value set {url} has neither compose nor expansion",
    },
    "terminology-filter-unsupported": {
        "es": "Filtro de conjunto de valores no admitido: {property} {op}",
        "en": "Unsupported value set filter: {property} {op}",
    },
    "terminology-expansion-too-large": {
        "es": "La expansión tiene {total} códigos, más que el límite de {limit}: use filter o count",
        "en": "The expansion has {total} codes, more than the limit of {limit}: use filter or count",
    },
    "terminology-no-hierarchy": {
        "es": "El modificador :{modifier} necesita un sistema de códigos con jerarquía que este servidor tenga; "
        "{system} no lo es",
        "en": "The :{modifier} modifier needs a code system with a hierarchy held by this server; {system} is not",
    },
    "terminology-system-required": {
        "es": "El modificador :{modifier} necesita un valor sistema|código",
        "en": "The :{modifier} modifier needs a system|code value",
    },
    "terminology-codes-too-many": {
        "es": "{name}: demasiados códigos ({count}; límite {limit})",
        "en": "{name}: too many codes ({count}; limit {limit})",
    },
}
