"""Messages of the authorization server: accounts, clients, login, patient picker and consent pages."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    # Accounts and clients (CLI and admin errors)
    "auth-bad-username": {
        "es": "Nombre de usuario no válido: {username} (minúsculas, dígitos, . _ @ -)",
        "en": "Invalid user name: {username} (lower case, digits, . _ @ -)",
    },
    "auth-bad-role": {
        "es": "Rol desconocido: {role}; use uno de {roles}",
        "en": "Unknown role: {role}; use one of {roles}",
    },
    "auth-bad-fhir-user": {
        "es": "fhirUser debe ser Practitioner/<id> o Patient/<id>: {fhir_user}",
        "en": "fhirUser must be Practitioner/<id> or Patient/<id>: {fhir_user}",
    },
    "auth-fhir-user-required": {
        "es": "El rol {role} necesita un fhirUser {type}/<id>",
        "en": "The role {role} needs a fhirUser {type}/<id>",
    },
    "auth-fhir-user-type": {
        "es": "El fhirUser del rol {role} debe ser un {type}",
        "en": "The fhirUser of role {role} must be a {type}",
    },
    "auth-password-too-short": {
        "es": "La contraseña debe tener al menos {length} caracteres",
        "en": "The password must have at least {length} characters",
    },
    "auth-username-taken": {"es": "El usuario {username} ya existe", "en": "User {username} already exists"},
    "auth-unknown-account": {"es": "No existe el usuario {username}", "en": "User {username} does not exist"},
    "auth-bad-client-kind": {
        "es": "Tipo de cliente desconocido: {kind}; use uno de {kinds}",
        "en": "Unknown client kind: {kind}; use one of {kinds}",
    },
    "auth-bad-client-id": {"es": "client_id no válido: {client_id}", "en": "Invalid client_id: {client_id}"},
    "auth-bad-redirect-uri": {
        "es": "URI de redirección no válida (https, o http solo en 127.0.0.1; sin fragmento): {uri}",
        "en": "Invalid redirect URI (https, or http on 127.0.0.1 only; no fragment): {uri}",
    },
    "auth-redirect-required": {
        "es": "Un cliente {kind} necesita al menos una URI de redirección",
        "en": "A {kind} client needs at least one redirect URI",
    },
    "auth-backend-keys": {
        "es": "Un cliente backend necesita un JWKS o una URL de JWKS (solo uno de los dos)",
        "en": "A backend client needs a JWKS or a JWKS URL (exactly one of them)",
    },
    "auth-bad-jwks": {"es": "JWKS no válido ({reason})", "en": "Invalid JWKS ({reason})"},
    "auth-client-exists": {"es": "El cliente {client_id} ya existe", "en": "Client {client_id} already exists"},
    "auth-token-required": {
        "es": "Se requiere un token de acceso válido",
        "en": "A valid access token is required",
    },
    "auth-launch-not-allowed": {
        "es": "Este cliente no admite el lanzamiento desde la historia clínica",
        "en": "This client cannot be launched from the EHR",
    },
    # Pages
    "auth-title": {"es": "Autorización", "en": "Authorization"},
    "auth-login-heading": {"es": "Iniciar sesión", "en": "Sign in"},
    "auth-login-for": {
        "es": "La aplicación «{client}» solicita acceso a sus datos.",
        "en": "The application “{client}” asks for access to your data.",
    },
    "auth-username": {"es": "Usuario", "en": "User name"},
    "auth-password": {"es": "Contraseña", "en": "Password"},
    "auth-login-button": {"es": "Ingresar", "en": "Sign in"},
    "auth-login-failed": {
        "es": "Usuario o contraseña incorrectos",
        "en": "Wrong user name or password",
    },
    "auth-login-throttled": {
        "es": "Demasiados intentos fallidos. Espere unos minutos e inténtelo de nuevo",
        "en": "Too many failed attempts. Wait a few minutes and try again",
    },
    "auth-picker-heading": {"es": "Elija el paciente", "en": "Choose the patient"},
    "auth-picker-search": {"es": "Buscar por nombre o cédula", "en": "Search by name or ID number"},
    "auth-picker-search-button": {"es": "Buscar", "en": "Search"},
    "auth-picker-choose": {"es": "Elegir", "en": "Choose"},
    "auth-picker-none": {"es": "Ningún paciente coincide", "en": "No patient matches"},
    "auth-patient-unknown": {"es": "Elija un paciente de la lista", "en": "Choose a patient from the list"},
    "auth-consent-heading": {
        "es": "«{client}» solicita estos permisos",
        "en": "“{client}” asks for these permissions",
    },
    "auth-consent-hint": {
        "es": "Desmarque lo que no quiera conceder.",
        "en": "Untick what you do not want to grant.",
    },
    "auth-consent-offline": {
        "es": "Esta aplicación podrá seguir accediendo cuando usted no esté conectado, hasta que revoque el acceso.",
        "en": "This application will keep access while you are offline, until you revoke it.",
    },
    "auth-consent-approve": {"es": "Permitir", "en": "Allow"},
    "auth-consent-deny": {"es": "Rechazar", "en": "Deny"},
    "auth-session-expired": {
        "es": "La sesión de autorización caducó o no es válida. Vuelva a la aplicación e inténtelo de nuevo",
        "en": "The authorization session expired or is not valid. Go back to the application and try again",
    },
    "auth-bad-authorize-request": {
        "es": "Solicitud de autorización no válida: {detail}",
        "en": "Invalid authorization request: {detail}",
    },
    # Plain-language scope descriptions
    "auth-perm-c": {"es": "crear", "en": "create"},
    "auth-perm-r": {"es": "leer", "en": "read"},
    "auth-perm-u": {"es": "modificar", "en": "update"},
    "auth-perm-d": {"es": "eliminar", "en": "delete"},
    "auth-perm-s": {"es": "buscar", "en": "search"},
    "auth-scope-resource": {"es": "{permissions}: {what}", "en": "{permissions}: {what}"},
    "auth-scope-all-types": {
        "es": "todos los tipos de datos (también los que se agreguen en el futuro)",
        "en": "every kind of data (including kinds added in the future)",
    },
    "auth-scope-of-patient": {"es": "{what} del paciente", "en": "the patient's {what}"},
    "auth-scope-of-user": {"es": "{what} a los que usted tiene acceso", "en": "{what} you can access"},
    "auth-scope-of-system": {"es": "{what} (acceso de sistema)", "en": "{what} (system access)"},
    "auth-scope-filtered": {"es": "{what}, solo {filters}", "en": "{what}, only {filters}"},
    "auth-scope-openid": {"es": "Saber quién es usted", "en": "Know who you are"},
    "auth-scope-fhirUser": {"es": "Su ficha de usuario", "en": "Your user record"},
    "auth-scope-profile": {"es": "Su perfil", "en": "Your profile"},
    "auth-scope-launch": {"es": "El contexto abierto en la historia clínica", "en": "The context open in the EHR"},
    "auth-scope-launch/patient": {"es": "El paciente seleccionado", "en": "The selected patient"},
    "auth-scope-launch/encounter": {"es": "La consulta seleccionada", "en": "The selected encounter"},
    "auth-scope-offline_access": {
        "es": "Acceso sin conexión (continúa hasta que usted lo revoque)",
        "en": "Offline access (continues until you revoke it)",
    },
    "auth-scope-online_access": {"es": "Acceso mientras esté conectado", "en": "Access while you are online"},
}
