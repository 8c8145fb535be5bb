"""Fixtures of the audit tests: the authorization server's (login events) and the secured server's (tokens)."""

from tests.auth.fixtures import auth_db, auth_http  # noqa: F401
from tests.security.conftest import mint, secured  # noqa: F401
