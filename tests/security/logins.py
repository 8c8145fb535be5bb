"""Real logins against a live server: an account, a public SMART client, the authorize flow, a token."""

from __future__ import annotations

import uuid

import httpx
import sqlalchemy as sa

from fhir_server.auth.accounts import create_account
from fhir_server.auth.clients import create_client
from tests.auth.smart_app import SmartApp

REDIRECT = "http://127.0.0.1:9/callback"
PASSWORD = "una-clave-muy-larga-1"


def register(db: sa.Engine, role: str, fhir_user: str | None) -> str:
    """A new account; returns its user name (the password is PASSWORD)."""
    username = f"{role}-{uuid.uuid4().hex[:6]}"
    create_account(db, username, PASSWORD, role, fhir_user)
    return username


def login(http: httpx.Client, db: sa.Engine, base: str, username: str, scope: str) -> dict[str, str]:
    """Log in through the server's pages as a SMART app would; returns request headers with the token."""
    client_id = f"app-{uuid.uuid4().hex[:8]}"
    create_client(db, "public", name="clinica", client_id=client_id, redirect_uris=(REDIRECT,), consent_required=False)
    app = SmartApp(http, base, client_id, REDIRECT)
    code, verifier = app.authorize_code(f"openid fhirUser {scope}", username, PASSWORD)
    token = app.exchange(code, verifier)
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}", "Content-Type": "application/fhir+json"}
