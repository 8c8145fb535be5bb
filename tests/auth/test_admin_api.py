"""The admin user API over HTTP against a live server: who may call it, what it does, what it refuses
(S1 step 3, S12 steps 3-4, security.md 5.2 "never on self", OWASP API5)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from fhir_server.auth.accounts import LoginResult, check_login, create_account
from fhir_server.auth.clients import create_client
from fhir_server.auth.grant import TokenAuthenticator
from fhir_server.auth.schema import account, token
from fhir_server.auth.throttle import LoginLimits
from tests.auth.fixtures import live_auth_server
from tests.auth.smart_app import SmartApp

REDIRECT = "http://127.0.0.1:9/frontend/callback"
PASSWORD = "una-clave-larga-1"
STAFF_SCOPE = "openid fhirUser offline_access user/*.cruds"


@dataclass
class Clinic:
    http: httpx.Client
    base: str
    engine: sa.Engine
    authenticator: TokenAuthenticator
    admin: str  # the first administrator's access token

    @property
    def users(self) -> str:
        return self.base.removesuffix("/fhir") + "/auth/admin/users"

    def tokens(self, username: str, password: str = PASSWORD, scope: str = STAFF_SCOPE) -> dict[str, Any]:
        """Log in through the clinic frontend (a first-party public client, no consent page)."""
        return SmartApp(self.http, self.base, "frontend", REDIRECT).tokens(scope, username, password)

    def login(self, username: str, password: str = PASSWORD, scope: str = STAFF_SCOPE) -> str:
        return str(self.tokens(username, password, scope)["access_token"])

    def call(self, method: str, path: str, bearer: str | None, body: Any = None, **headers: str) -> httpx.Response:
        if bearer is not None:
            headers["Authorization"] = f"Bearer {bearer}"
        return self.http.request(method, f"{self.users}{path}", json=body, headers=headers)


@pytest.fixture
def clinic(storage, auth_db, database_url) -> Iterator[Clinic]:
    create_client(
        auth_db, "public", name="Frontend", client_id="frontend", redirect_uris=(REDIRECT,), consent_required=False
    )
    create_account(auth_db, "admin", PASSWORD, "administrador", None)
    with live_auth_server(storage, database_url) as base, httpx.Client(timeout=30) as http:
        partial = Clinic(http, base, auth_db, TokenAuthenticator(auth_db, base), "")
        partial.admin = partial.login("admin")
        yield partial


def test_an_administrator_creates_lists_and_updates_users(clinic):
    created = clinic.call(
        "POST",
        "",
        clinic.admin,
        {"username": "Dra.Lopez", "role": "doctor", "fhirUser": "Practitioner/dra-lopez", "email": "Lopez@Clinica.ec"},
    )
    assert created.status_code == 201, created.text
    assert created.headers["location"] == "/auth/admin/users/dra.lopez"
    assert created.headers["cache-control"] == "no-store"
    user = created.json()
    assert user["username"] == "dra.lopez" and user["role"] == "doctor" and user["active"] is True
    assert user["fhirUser"] == "Practitioner/dra-lopez" and user["email"] == "lopez@clinica.ec"
    generated = user["password"]  # shown once: nothing stores it in clear
    assert len(generated) >= 16
    assert check_login(clinic.engine, "dra.lopez", generated, "10.0.0.1", LoginLimits())[0] is LoginResult.OK

    given = clinic.call(
        "POST",
        "",
        clinic.admin,
        {"username": "enf", "role": "enfermera", "fhirUser": "Practitioner/enf", "password": PASSWORD},
    )
    assert given.status_code == 201 and "password" not in given.json()
    assert clinic.call("POST", "", clinic.admin, {"username": "admin2", "role": "administrador"}).status_code == 201

    listing = clinic.call("GET", "", clinic.admin).json()["users"]
    assert [u["username"] for u in listing] == ["admin", "admin2", "dra.lopez", "enf"]
    assert all("password" not in u and "password_hash" not in u for u in listing)
    doctors = clinic.call("GET", "?role=doctor", clinic.admin).json()["users"]
    assert [u["username"] for u in doctors] == ["dra.lopez"]
    assert clinic.call("GET", "/enf", clinic.admin).json()["role"] == "enfermera"

    assert clinic.call("PATCH", "/enf", clinic.admin, {"email": "enf@clinica.ec"}).json()["email"] == "enf@clinica.ec"
    changed = clinic.call("PUT", "/enf/role", clinic.admin, {"role": "secretaria"})
    assert changed.status_code == 200 and changed.json()["role"] == "secretaria"
    assert clinic.call("POST", "/enf/deactivate", clinic.admin).json()["active"] is False
    assert clinic.call("GET", "?active=false", clinic.admin).json()["users"][0]["username"] == "enf"
    assert clinic.call("POST", "/enf/reactivate", clinic.admin).json()["active"] is True
    assert check_login(clinic.engine, "enf", PASSWORD, "10.0.0.2", LoginLimits())[0] is LoginResult.OK


def test_only_an_administrators_token_gets_in(clinic):
    create_account(clinic.engine, "sec", PASSWORD, "secretaria", "Practitioner/sec")
    secretary = clinic.login("sec")
    # S1 step 3: a secretaria can neither create a user nor an administrator, nor even list them.
    for method, path, body in [
        ("GET", "", None),
        ("POST", "", {"username": "nuevo", "role": "secretaria", "fhirUser": "Practitioner/n"}),
        ("POST", "", {"username": "jefe", "role": "administrador"}),
        ("POST", "/admin/deactivate", None),
        ("PUT", "/sec/role", {"role": "administrador"}),
    ]:
        response = clinic.call(method, path, secretary, body)
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["error"] == "insufficient_scope"
        assert response.headers["www-authenticate"] == 'Bearer error="insufficient_scope"'
    with clinic.engine.connect() as connection:
        names = set(connection.execute(sa.select(account.c.username)).scalars())
        role = connection.execute(sa.select(account.c.role).where(account.c.username == "sec")).scalar()
    assert names == {"admin", "sec"} and role == "secretaria"

    for bearer in (None, "not-a-token", "x" * 600):
        response = clinic.call("GET", "", bearer)
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_token"
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_an_administrators_token_for_a_read_only_app_cannot_manage_users(clinic):
    # The admin logged in to an app granted only reads: that app must not manage accounts.
    read_only = clinic.login("admin", scope="openid fhirUser user/Practitioner.rs")
    response = clinic.call("GET", "", read_only)
    assert response.status_code == 403 and response.json()["error"] == "insufficient_scope"


def test_an_administrator_cannot_deactivate_or_demote_themself(clinic):
    me = clinic.authenticator.authenticate(clinic.admin)
    assert me is not None
    deactivate = clinic.call("POST", "/admin/deactivate", clinic.admin, **{"Accept-Language": "en"})
    assert deactivate.status_code == 403
    assert deactivate.json() == {
        "error": "forbidden",
        "error_description": "An administrator cannot deactivate their own account; ask another administrator",
    }
    demote = clinic.call("PUT", "/admin/role", clinic.admin, {"role": "doctor", "fhirUser": "Practitioner/a"})
    assert demote.status_code == 403
    assert demote.json()["error_description"].startswith("Un administrador no puede cambiar su propio rol")
    assert clinic.authenticator.authenticate(clinic.admin) is not None  # still an active administrator
    # ... but another administrator may.
    clinic.call("POST", "", clinic.admin, {"username": "admin2", "role": "administrador", "password": PASSWORD})
    second = clinic.login("admin2")
    assert (
        clinic.call("PUT", "/admin/role", second, {"role": "doctor", "fhirUser": "Practitioner/a"}).status_code == 200
    )


def test_a_deactivated_users_tokens_stop_working_at_once(clinic):
    """S12 step 3: the nurse's next request with an existing token is refused."""
    create_account(clinic.engine, "enf", PASSWORD, "enfermera", "Practitioner/enf")
    nurse = clinic.tokens("enf")
    assert clinic.authenticator.authenticate(nurse["access_token"]) is not None
    assert clinic.call("POST", "/enf/deactivate", clinic.admin).status_code == 200
    assert clinic.authenticator.authenticate(nurse["access_token"]) is None
    app = SmartApp(clinic.http, clinic.base, "frontend", REDIRECT)
    assert app.refresh(nurse["refresh_token"]).status_code == 400  # the refresh family is revoked too
    with clinic.engine.connect() as connection:
        live = connection.execute(
            sa.select(sa.func.count())
            .select_from(token)
            .where(token.c.revoked_us.is_(None), token.c.account_id == account_id(clinic, "enf"))
        ).scalar()
    assert live == 0
    # A deactivated administrator's token is refused by the admin API itself (401, not 403).
    clinic.call("POST", "", clinic.admin, {"username": "admin2", "role": "administrador", "password": PASSWORD})
    second = clinic.login("admin2")
    assert clinic.call("GET", "", second).status_code == 200
    assert clinic.call("POST", "/admin2/deactivate", clinic.admin).status_code == 200
    assert clinic.call("GET", "", second).status_code == 401
    # Reactivation does not bring the revoked tokens back.
    clinic.call("POST", "/admin2/reactivate", clinic.admin)
    assert clinic.call("GET", "", second).status_code == 401


def account_id(clinic: Clinic, username: str) -> str:
    with clinic.engine.connect() as connection:
        return str(connection.execute(sa.select(account.c.id).where(account.c.username == username)).scalar())


def test_a_role_change_applies_to_the_next_request(clinic):
    """S12 step 4: no stale role in a live token."""
    clinic.call("POST", "", clinic.admin, {"username": "admin2", "role": "administrador", "password": PASSWORD})
    second = clinic.login("admin2")
    assert clinic.call("GET", "", second).status_code == 200
    moved = clinic.call("PUT", "/admin2/role", clinic.admin, {"role": "secretaria", "fhirUser": "Practitioner/s2"})
    assert moved.status_code == 200
    assert clinic.call("GET", "", second).status_code == 403  # the same token, the new role
    grant = clinic.authenticator.authenticate(second)
    assert grant is not None and grant.role == "secretaria" and grant.fhir_user == "Practitioner/s2"
    assert not grant.scopes.allows("PractitionerRole", "update")

    create_account(clinic.engine, "dr", PASSWORD, "doctor", "Practitioner/dr")
    doctor = clinic.login("dr")
    before = clinic.authenticator.authenticate(doctor)
    assert before is not None and before.scopes.allows("Observation", "read")
    clinic.call("PUT", "/dr/role", clinic.admin, {"role": "secretaria"})
    after = clinic.authenticator.authenticate(doctor)
    assert after is not None and after.role == "secretaria" and not after.scopes.allows("Observation", "read")


def test_an_administrator_resets_a_password_and_the_old_sessions_end(clinic):
    create_account(clinic.engine, "dr", PASSWORD, "doctor", "Practitioner/dr")
    doctor = clinic.login("dr")
    response = clinic.call("POST", "/dr/password", clinic.admin)
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    new_password = response.json()["password"]
    assert clinic.authenticator.authenticate(doctor) is None
    assert check_login(clinic.engine, "dr", PASSWORD, "10.0.0.3", LoginLimits())[0] is LoginResult.FAILED
    assert check_login(clinic.engine, "dr", new_password, "10.0.0.4", LoginLimits())[0] is LoginResult.OK
    chosen = clinic.call("POST", "/dr/password", clinic.admin, {"password": "otra-frase-larga-7"})
    assert chosen.status_code == 200 and "password" not in chosen.json()
    weak = clinic.call("POST", "/dr/password", clinic.admin, {"password": "password123"})
    assert weak.status_code == 400 and weak.json()["error"] == "invalid_request"


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "error"),
    [
        (
            "POST",
            "",
            {"username": "x1", "role": "doctor", "fhirUser": "Practitioner/x", "active": False},
            400,
            "invalid_request",
        ),
        ("POST", "", {"username": "x2", "role": "cirujano", "fhirUser": "Practitioner/x"}, 400, "invalid_request"),
        ("POST", "", {"username": "x3", "role": "doctor"}, 400, "invalid_request"),  # staff need a Practitioner
        ("POST", "", {"role": "doctor"}, 400, "invalid_request"),
        (
            "POST",
            "",
            {"username": "x4", "role": "doctor", "fhirUser": "Practitioner/x", "password": "corta"},
            400,
            "invalid_request",
        ),
        (
            "POST",
            "",
            {"username": "x5", "role": "doctor", "fhirUser": "Practitioner/x", "email": "no-es-correo"},
            400,
            "invalid_request",
        ),
        ("POST", "", {"username": "admin", "role": "administrador"}, 409, "conflict"),
        ("POST", "", ["not", "an", "object"], 400, "invalid_request"),
        ("POST", "", {"username": 7, "role": "doctor"}, 400, "invalid_request"),
        ("GET", "/nadie", None, 404, "not_found"),
        ("POST", "/nadie/deactivate", None, 404, "not_found"),
        ("PATCH", "/admin", {}, 400, "invalid_request"),
        ("GET", "?active=quizas", None, 400, "invalid_request"),
    ],
)
def test_refusals_are_oauth_style_json(clinic, method, path, body, status, error):
    response = clinic.call(method, path, clinic.admin, body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    payload = response.json()
    assert payload["error"] == error and payload["error_description"]
    assert set(payload) == {"error", "error_description"}


def test_e_mail_addresses_are_unique(clinic):
    first = {"username": "a1", "role": "doctor", "fhirUser": "Practitioner/a1", "email": "dup@clinica.ec"}
    assert clinic.call("POST", "", clinic.admin, first).status_code == 201
    second = {"username": "a2", "role": "doctor", "fhirUser": "Practitioner/a2", "email": "DUP@clinica.ec"}
    assert clinic.call("POST", "", clinic.admin, second).status_code == 409
    del second["email"]
    assert clinic.call("POST", "", clinic.admin, second).status_code == 201
    taken = clinic.call("PATCH", "/a2", clinic.admin, {"email": "dup@clinica.ec"}, **{"Accept-Language": "en"})
    assert taken.status_code == 409
    assert taken.json()["error_description"] == "Another user already has the e-mail address dup@clinica.ec"
    assert clinic.call("PATCH", "/a1", clinic.admin, {"email": None}).json()["email"] is None
    assert clinic.call("PATCH", "/a2", clinic.admin, {"email": "dup@clinica.ec"}).status_code == 200
