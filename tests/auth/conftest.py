"""Auth fixtures (defined in tests/auth/fixtures.py, shared with tests/api/test_auth_*.py)."""

from tests.auth.fixtures import auth_db, auth_http  # noqa: F401
