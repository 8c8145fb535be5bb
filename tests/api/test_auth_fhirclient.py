"""A third-party SMART client library (fhirclient) finds our endpoints and completes its flow.

fhirclient reads the CapabilityStatement's oauth-uris extension; for .well-known/smart-configuration
the test reads the document with fhirclient's own HTTP layer and hands the URLs to its OAuth2 client.
"""

from __future__ import annotations

import httpx

from fhir_server.auth.accounts import create_account
from fhir_server.auth.clients import create_client
from fhir_server.interactions.writes import create_in
from tests.auth.fixtures import live_auth_server
from tests.auth.smart_app import SmartApp
from tests.clinic.conftest import SYSTEM

REDIRECT = "http://127.0.0.1:9/fhirclient/callback"
PASSWORD = "una-clave-larga-1"


def _world(storage, db):
    # Written by the server itself: the API needs a token once authorization is on.
    patient = storage.write(lambda writer: create_in(writer, SYSTEM, {"resourceType": "Patient"})).location.split("/")[
        -3
    ]
    create_account(db, "paula", PASSWORD, "paciente", f"Patient/{patient}")
    create_client(db, "public", name="fhirclient", client_id="fhirclient-app", redirect_uris=(REDIRECT,))
    return patient


def test_fhirclient_discovers_from_the_capability_statement(storage, auth_db, database_url):
    from fhirclient import client as smart_client

    with live_auth_server(storage, database_url, auth_enabled=True) as base, httpx.Client(timeout=30) as http:
        patient = _world(storage, auth_db)
        smart = smart_client.FHIRClient(
            settings={
                "app_id": "fhirclient-app",
                "api_base": base,
                "redirect_uri": REDIRECT,
                "scope": "openid fhirUser patient/*.read",
            }
        )
        authorize_url = smart.authorize_url  # fetched /metadata and read rest.security
        assert authorize_url.startswith(base.removesuffix("/fhir") + "/auth/authorize?")
        app = SmartApp(http, base, "fhirclient-app", REDIRECT)
        callback = app.drive(http.get(authorize_url), "paula", PASSWORD)
        smart.handle_callback(callback)  # fhirclient exchanges the code (PKCE S256) itself
        assert smart.ready
        assert smart.patient_id == patient
        assert smart.server.auth.refresh_token is None  # no offline_access asked


def test_fhirclient_uses_the_smart_configuration(storage, auth_db, database_url):
    from fhirclient import client as smart_client
    from fhirclient.auth import FHIRAuth

    with live_auth_server(storage, database_url) as base, httpx.Client(timeout=30) as http:
        patient = _world(storage, auth_db)
        smart = smart_client.FHIRClient(
            settings={
                "app_id": "fhirclient-app",
                "api_base": base,
                "redirect_uri": REDIRECT,
                "scope": "openid fhirUser offline_access patient/*.read",
            }
        )
        config = smart.server.request_json(".well-known/smart-configuration")
        smart.server.auth = FHIRAuth.create(
            "oauth2",
            state={
                "app_id": "fhirclient-app",
                "aud": base,
                "redirect_uri": REDIRECT,
                "authorize_uri": config["authorization_endpoint"],
                "token_uri": config["token_endpoint"],
            },
        )
        app = SmartApp(http, base, "fhirclient-app", REDIRECT)
        callback = app.drive(http.get(smart.authorize_url), "paula", PASSWORD)
        smart.handle_callback(callback)
        assert smart.ready and smart.patient_id == patient
        first_refresh = smart.server.auth.refresh_token
        assert first_refresh
        smart.reauthorize()  # refresh with rotation, as fhirclient does it
        assert smart.server.auth.refresh_token not in (None, first_refresh)
