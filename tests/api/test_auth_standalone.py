"""A SMART app's standalone launch against a live server, end to end, with a real HTTP client."""

from __future__ import annotations

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet

from fhir_server.auth.accounts import create_account
from fhir_server.auth.clients import create_client
from fhir_server.auth.grant import TokenAuthenticator
from tests.auth.fixtures import live_auth_server
from tests.auth.smart_app import SmartApp
from tests.security.conftest import seed

REDIRECT = "http://127.0.0.1:9/app/callback"
PASSWORD = "una-clave-larga-1"


def test_standalone_patient_launch(storage, auth_db, database_url):
    seed(
        storage,
        {"resourceType": "Patient", "id": "rosa", "name": [{"family": "Guamán", "given": ["Rosa"]}]},
        {"resourceType": "Patient", "id": "otra", "name": [{"family": "Vera"}]},
    )
    patient_id = "rosa"
    with live_auth_server(storage, database_url, auth_enabled=True) as base, httpx.Client(timeout=30) as http:
        create_account(auth_db, "rosa", PASSWORD, "paciente", f"Patient/{patient_id}")
        client, _ = create_client(auth_db, "public", name="Mi salud", client_id="mi-salud", redirect_uris=(REDIRECT,))
        app = SmartApp(http, base, client.client_id, REDIRECT)

        # Discovery
        config = app.config
        assert config["code_challenge_methods_supported"] == ["S256"]
        assert config["authorization_endpoint"].startswith("http://127.0.0.1")

        # Authorize with PKCE, log in, consent; exchange the code
        scope = "launch/patient openid fhirUser offline_access patient/*.rs"
        code, verifier = app.authorize_code(scope, "rosa", PASSWORD)
        response = app.exchange(code, verifier)
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["pragma"] == "no-cache"
        body = response.json()
        assert body["token_type"] == "Bearer"
        assert body["expires_in"] == 3600
        assert set(body["scope"].split()) == set(scope.split())
        assert body["patient"] == patient_id

        # The id_token: RS256, kid from the JWKS, iss, aud, sub, fhirUser
        jwks = KeySet.import_key_set(http.get(config["jwks_uri"]).json())
        id_token = jwt.decode(body["id_token"], jwks, algorithms=["RS256"])
        assert id_token.header["kid"] in {k.kid for k in jwks.keys}
        assert id_token.claims["iss"] == config["issuer"]
        assert id_token.claims["aud"] == "mi-salud"
        assert id_token.claims["fhirUser"] == f"{base}/Patient/{patient_id}"

        # The access token works with the resource server's check
        authenticator = TokenAuthenticator(auth_db, base)
        grant = authenticator.authenticate(body["access_token"])
        assert grant is not None
        assert grant.patient == patient_id
        assert grant.role == "paciente"
        assert grant.scopes.allows("Observation", "search")
        assert not grant.scopes.allows("Observation", "create")

        # FHIR calls with the token: the patient's own record, nobody else's, and no writes
        fhir = {"Authorization": f"Bearer {body['access_token']}"}
        assert http.get(f"{base}/Patient/{patient_id}", headers=fhir).status_code == 200
        assert http.get(f"{base}/Patient/otra", headers=fhir).status_code == 404
        assert http.get(f"{base}/Observation", headers=fhir).status_code == 200
        assert http.get(f"{base}/Patient/{patient_id}").status_code == 401
        denied = http.post(f"{base}/Observation", json={"resourceType": "Observation"}, headers=fhir)
        assert denied.status_code == 403

        # Introspection (as the app, with its bearer token)
        introspected = http.post(
            config["introspection_endpoint"],
            data={"token": body["access_token"]},
            headers={"Authorization": f"Bearer {body['access_token']}"},
        ).json()
        assert introspected["active"] is True
        assert introspected["client_id"] == "mi-salud"
        assert introspected["patient"] == patient_id
        assert set(introspected["scope"].split()) == set(scope.split())

        # Refresh rotates the refresh token; the old one is dead
        refreshed = app.refresh(body["refresh_token"])
        assert refreshed.status_code == 200, refreshed.text
        assert refreshed.headers["cache-control"] == "no-store"
        second = refreshed.json()
        assert second["refresh_token"] != body["refresh_token"]
        assert authenticator.authenticate(second["access_token"]) is not None
        again = app.refresh(second["refresh_token"], scope=second["scope"])
        assert again.status_code == 200, again.text
        third = again.json()

        # Revoke: the refresh token's whole grant ends; the next FHIR request would get 401
        assert app.revoke(third["refresh_token"]).status_code == 200
        assert authenticator.authenticate(third["access_token"]) is None
        assert app.refresh(third["refresh_token"]).status_code == 400
        revoked = http.get(f"{base}/Patient/{patient_id}", headers={"Authorization": f"Bearer {third['access_token']}"})
        assert revoked.status_code == 401
        inactive = http.post(
            config["introspection_endpoint"],
            data={"token": third["access_token"]},
            headers={"Authorization": f"Bearer {body['access_token']}"},
        )
        assert inactive.status_code == 401  # the caller's own token is revoked too (same family)
