"""A server with authorization on, tokens minted for each role, and data written by the server itself."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from fhir_server.api.app import create_app
from fhir_server.auth.accounts import create_account
from fhir_server.auth.clients import create_client
from fhir_server.auth.common import new_id
from fhir_server.auth.tokens import LaunchContext, new_token_values, store_tokens
from fhir_server.interactions.writes import put_in
from fhir_server.storage.repository import SqlStorage
from tests.auth.fixtures import auth_db  # noqa: F401
from tests.clinic.conftest import SYSTEM
from tests.conftest import BASE_URL, make_settings

PASSWORD = "una-clave-muy-larga-1"
Mint = Callable[..., dict[str, str]]


@pytest.fixture
def secured(storage: SqlStorage, auth_db: sa.Engine, database_url: str) -> Iterator[TestClient]:  # noqa: F811
    """A test client on a server that demands tokens."""
    app = create_app(make_settings(database_url, auth_enabled=True), storage=storage)
    with TestClient(app, base_url="http://testserver", raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def mint(auth_db: sa.Engine) -> Mint:  # noqa: F811
    """Headers carrying a fresh access token for a new account with this role, fhirUser and scopes."""
    client_id = f"app-{uuid.uuid4().hex[:8]}"
    create_client(auth_db, "public", name="pruebas", client_id=client_id, redirect_uris=("http://127.0.0.1:9/cb",))

    def issue(role: str | None, fhir_user: str | None, scope: str, patient: str | None = None) -> dict[str, str]:
        account_id = None
        if role is not None:
            account_id = create_account(auth_db, f"u{uuid.uuid4().hex[:10]}", PASSWORD, role, fhir_user).id
        issued = new_token_values(False)
        store_tokens(
            auth_db, issued, family_id=new_id(), client_id=client_id, account_id=account_id, scope=scope,
            context=LaunchContext(patient=patient), audience=BASE_URL, access_seconds=3600, refresh_seconds=0,
        )  # fmt: skip
        return {"Authorization": f"Bearer {issued.access_token}", "Content-Type": "application/fhir+json"}

    return issue


def seed(storage: SqlStorage, *resources: dict[str, Any]) -> None:
    """Write resources as the server itself (no token, no row rules)."""

    def work(writer: Any) -> None:
        for resource in resources:
            put_in(writer, SYSTEM, resource, resource["id"], None)

    storage.write(work)
