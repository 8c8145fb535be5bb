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
    # Password policy and e-mail (accounts, admin API, reset page)
    "auth-password-too-long": {
        "es": "La contraseña no puede tener más de {length} caracteres",
        "en": "The password cannot have more than {length} characters",
    },
    "auth-password-too-common": {
        "es": "Esa contraseña es demasiado común; elija otra (una frase larga es una buena opción)",
        "en": "That password is too common; choose another (a long passphrase is a good choice)",
    },
    "auth-password-too-simple": {
        "es": "La contraseña repite casi un solo carácter; elija otra",
        "en": "The password repeats almost a single character; choose another",
    },
    "auth-password-has-username": {
        "es": "La contraseña no puede contener el nombre de usuario",
        "en": "The password cannot contain the user name",
    },
    "auth-bad-email": {"es": "Correo electrónico no válido: {email}", "en": "Invalid e-mail address: {email}"},
    "auth-email-taken": {
        "es": "Otro usuario ya tiene el correo {email}",
        "en": "Another user already has the e-mail address {email}",
    },
    # Admin API (/auth/admin/users)
    "auth-admin-only": {
        "es": "Solo un administrador, con un token que permita gestionar el personal, administra los usuarios",
        "en": "Only an administrator, with a token that allows managing staff, administers users",
    },
    "auth-admin-not-self-deactivate": {
        "es": "Un administrador no puede desactivar su propia cuenta; pídaselo a otro administrador",
        "en": "An administrator cannot deactivate their own account; ask another administrator",
    },
    "auth-admin-not-self-role": {
        "es": "Un administrador no puede cambiar su propio rol; pídaselo a otro administrador",
        "en": "An administrator cannot change their own role; ask another administrator",
    },
    "auth-admin-unknown-field": {
        "es": "Campo no admitido: {field} (use {allowed})",
        "en": "Unsupported field: {field} (use {allowed})",
    },
    "auth-admin-missing-field": {"es": "Falta el campo {field}", "en": "The field {field} is missing"},
    "auth-admin-bad-field": {"es": "Valor no válido en {field}", "en": "Invalid value in {field}"},
    "auth-admin-bad-json": {
        "es": "El cuerpo debe ser un objeto JSON",
        "en": "The body must be a JSON object",
    },
    # Forgot / reset password pages and e-mail
    "auth-forgot-link": {"es": "¿Olvidó su contraseña?", "en": "Forgot your password?"},
    "auth-forgot-heading": {"es": "Recuperar la contraseña", "en": "Reset your password"},
    "auth-forgot-hint": {
        "es": "Escriba su usuario o su correo electrónico. Le enviaremos un enlace para elegir una nueva contraseña.",
        "en": "Enter your user name or e-mail address. We will send you a link to choose a new password.",
    },
    "auth-forgot-identifier": {"es": "Usuario o correo electrónico", "en": "User name or e-mail address"},
    "auth-forgot-button": {"es": "Enviar el enlace", "en": "Send the link"},
    "auth-forgot-sent": {
        "es": "Si existe una cuenta activa con esos datos y tiene un correo registrado, le enviamos un enlace "
        "para cambiar la contraseña. El enlace vale una hora y sirve una sola vez.",
        "en": "If an active account matches and has an e-mail address on file, we sent it a link to change the "
        "password. The link is valid for one hour and works once.",
    },
    "auth-forgot-throttled": {
        "es": "Demasiadas solicitudes. Espere un rato e inténtelo de nuevo",
        "en": "Too many requests. Wait a while and try again",
    },
    "auth-form-expired": {
        "es": "El formulario caducó o ya se envió. Cárguelo de nuevo",
        "en": "The form expired or was already sent. Load it again",
    },
    "auth-reset-heading": {"es": "Elija una nueva contraseña", "en": "Choose a new password"},
    "auth-reset-for": {"es": "Cuenta: {username}", "en": "Account: {username}"},
    "auth-reset-policy": {
        "es": "Al menos {length} caracteres; una frase larga es más segura que una palabra con símbolos.",
        "en": "At least {length} characters; a long passphrase is safer than a word with symbols.",
    },
    "auth-reset-new-password": {"es": "Nueva contraseña", "en": "New password"},
    "auth-reset-confirm": {"es": "Repita la nueva contraseña", "en": "Repeat the new password"},
    "auth-reset-button": {"es": "Cambiar la contraseña", "en": "Change the password"},
    "auth-reset-mismatch": {"es": "Las dos contraseñas no coinciden", "en": "The two passwords do not match"},
    "auth-reset-bad-link": {
        "es": "El enlace no es válido, ya se usó o caducó. Solicite uno nuevo",
        "en": "The link is not valid, was already used or has expired. Ask for a new one",
    },
    "auth-reset-done": {
        "es": "Su contraseña cambió. Se cerraron todas sus sesiones: vuelva a la aplicación e inicie sesión.",
        "en": "Your password was changed. All your sessions were closed: go back to the application and sign in.",
    },
    "auth-reset-mail-subject": {"es": "Recuperación de contraseña", "en": "Password reset"},
    "auth-reset-mail-body": {
        "es": "Hola, {username}:\n\nAlguien (probablemente usted) pidió cambiar la contraseña de su cuenta. "
        "Para elegir una nueva, abra este enlace (vale {minutes} minutos y sirve una sola vez):\n\n{link}\n\n"
        "Si no lo pidió, ignore este mensaje: su contraseña no cambia.\n",
        "en": "Hello {username},\n\nSomeone (probably you) asked to change your account's password. "
        "To choose a new one, open this link (valid for {minutes} minutes, works once):\n\n{link}\n\n"
        "If you did not ask for it, ignore this message: your password stays the same.\n",
    },
}

MESSAGES.update(
    {
        "auth-unknown-user": {
            "es": "No existe una cuenta activa llamada {username}",
            "en": "There is no active account named {username}",
        },
        "auth-token-minutes": {
            "es": "La vigencia del token va de 1 a 60 minutos (se pidió {minutes})",
            "en": "A token lives 1 to 60 minutes ({minutes} asked)",
        },
    }
)
