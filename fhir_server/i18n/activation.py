"""Messages of the activation of imported accounts (fhir_server/auth/activation.py), Spanish and English."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "auth-activation-mail-subject": {
        "es": "Active su cuenta en el nuevo sistema de la clínica",
        "en": "Activate your account in the clinic's new system",
    },
    "auth-activation-mail-body": {
        "es": "Hola, {username}:\n\nSu cuenta del sistema anterior se trasladó al nuevo sistema de la clínica. "
        "La contraseña anterior ya no sirve: para activar la cuenta, elija una contraseña nueva en este enlace "
        "(vale {hours} horas y sirve una sola vez):\n\n{link}\n\n"
        "Si el enlace caduca, pida uno nuevo con «¿Olvidó su contraseña?» en la página de inicio de sesión.\n",
        "en": "Hello {username},\n\nYour account from the previous system was moved to the clinic's new system. "
        "The old password no longer works: to activate the account, choose a new password at this link "
        "(valid for {hours} hours, works once):\n\n{link}\n\n"
        'If the link expires, ask for a new one with "Forgot your password?" on the sign-in page.\n',
    },
}
