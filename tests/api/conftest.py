"""Fixtures of the authorization server's HTTP tests (tests/api/test_auth_*.py)."""

from tests.auth.fixtures import auth_db, auth_http  # noqa: F401
