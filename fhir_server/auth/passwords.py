"""Argon2id password hashing (argon2-cffi) with the OWASP minimum profile, and the password policy.

m=19 MiB, t=2, p=1 (OWASP Password Storage Cheat Sheet): safe, and cheap enough that a burst of
logins does not exhaust memory. ``needs_rehash`` upgrades old hashes on the next good login.

Policy (security.md 5.6, NIST SP 800-63B style): at least 8 characters, long passphrases welcome,
no composition rules; refused are passwords on a short offline list of common ones, passwords made
of almost one character, and passwords containing the user name.
"""

from __future__ import annotations

import secrets
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 8
# Long passphrases are fine; a cap keeps one request from hashing megabytes.
MAX_LENGTH = 256
# Written by us: what people pick first, in Spanish and English, and the legacy seed password.
# Compared after lower-casing and dropping trailing digits and punctuation ("Password123!" -> "password").
COMMON_PASSWORDS = frozenset(
    {
        "password", "passw0rd", "contraseña", "contrasena", "clave", "miclave", "secreto", "qwerty", "qwertyuiop",
        "asdfgh", "asdfghjkl", "zxcvbnm", "abc", "abcd", "abcdef", "abcdefgh", "abcdefghij", "iloveyou", "teamo",
        "welcome", "bienvenido", "bienvenida", "admin", "administrador", "administrator", "root", "letmein",
        "monkey", "dragon", "football", "futbol", "superman", "batman", "princesa", "princess", "sunshine", "master",
        "shadow", "trustno", "changeme", "cambiame", "default", "usuario", "user", "test", "prueba", "doctor",
        "doctora", "medico", "enfermera", "secretaria", "paciente", "consultorio", "clinica", "hospital", "salud",
        "ecuador", "quito", "guayaquil", "cuenca", "barcelona", "emelec", "liga", "dios", "jesus", "amor",
        "familia", "hola", "holamundo", "mariposa", "tequiero", "estrella", "fhir", "fhirserver", "",
    }
)  # fmt: skip
_HASHER = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)


def hash_password(password: str) -> str:
    """The Argon2id hash of a password."""
    return _HASHER.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """True when the password matches the stored hash."""
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    try:
        return _HASHER.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


@cache
def _dummy_hash() -> str:
    return _HASHER.hash(secrets.token_urlsafe(16))


def burn_verification(password: str) -> None:
    """Spend the time of a real verification: unknown users must not answer faster than known ones."""
    verify_password(_dummy_hash(), password)


def generate_password(username: str | None = None) -> str:
    """A random password for a new account (shown once) that the policy accepts."""
    while True:
        password = secrets.token_urlsafe(15)
        if password_problem(password, username) is None:
            return password


def password_problem(password: str, username: str | None = None) -> tuple[str, dict[str, Any]] | None:
    """Why the policy refuses a password (message id and parameters), or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return "auth-password-too-short", {"length": MIN_LENGTH}
    if len(password) > MAX_LENGTH:
        return "auth-password-too-long", {"length": MAX_LENGTH}
    folded = password.casefold()
    if folded.rstrip("0123456789!@#$%&*.,;:-_ ") in COMMON_PASSWORDS or folded.isdigit():
        return "auth-password-too-common", {}
    if len(set(folded)) < 4:  # "aaaaaaaa", "abababab", "12121212"
        return "auth-password-too-simple", {}
    if username and len(username) >= 3 and username.casefold() in folded:
        return "auth-password-has-username", {}
    return None
