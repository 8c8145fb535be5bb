"""Discovery: .well-known/smart-configuration, OpenID configuration, JWKS, CapabilityStatement security, CORS."""

from __future__ import annotations

from fastapi.testclient import TestClient

from fhir_server.api.app import create_app
from fhir_server.auth.clients import create_client
from fhir_server.auth.discovery import CAPABILITIES
from tests.auth.fixtures import FHIR_BASE, ORIGIN
from tests.conftest import make_settings

REQUIRED = ("token_endpoint", "grant_types_supported", "capabilities", "code_challenge_methods_supported")
ENDPOINTS = ("authorization_endpoint", "token_endpoint", "introspection_endpoint", "revocation_endpoint", "jwks_uri")


def test_smart_configuration(auth_http):
    response = auth_http.get("/fhir/.well-known/smart-configuration", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")  # whatever Accept says
    config = response.json()
    for name in REQUIRED:
        assert config[name], name
    assert "authorization_code" in config["grant_types_supported"]
    assert "client_credentials" in config["grant_types_supported"]
    assert config["code_challenge_methods_supported"] == ["S256"]  # never plain
    for name in ENDPOINTS:
        assert config[name].startswith(f"{ORIGIN}/auth/"), name  # absolute URLs
    assert config["issuer"] == f"{ORIGIN}/auth"
    assert "private_key_jwt" in config["token_endpoint_auth_methods_supported"]
    assert set(config["token_endpoint_auth_signing_alg_values_supported"]) == {"RS384", "ES384"}
    assert set(config["capabilities"]) == set(CAPABILITIES)
    assert {"sso-openid-connect", "permission-v1", "permission-v2", "client-confidential-asymmetric"} <= set(
        config["capabilities"]
    )


def test_openid_configuration_and_jwks(auth_http):
    config = auth_http.get("/auth/.well-known/openid-configuration").json()
    for name in (
        "issuer",
        "authorization_endpoint",
        "token_endpoint",
        "jwks_uri",
        "response_types_supported",
        "subject_types_supported",
        "id_token_signing_alg_values_supported",
    ):
        assert config[name], name
    assert "RS256" in config["id_token_signing_alg_values_supported"]
    jwks = auth_http.get("/auth/jwks")
    assert jwks.headers["content-type"].startswith("application/json")
    keys = jwks.json()["keys"]
    assert keys and all(k["kty"] == "RSA" and k["kid"] and "d" not in k for k in keys)
    style = auth_http.get("/auth/style.json")
    assert style.status_code == 200 and style.json()["color_background"]


def test_capability_statement_security_only_when_enabled(storage, database_url, auth_db):
    for enabled in (False, True):
        settings = make_settings(database_url, base_url=FHIR_BASE, auth_enabled=enabled)
        with TestClient(create_app(settings, storage=storage), base_url=ORIGIN) as http:
            rest = http.get("/fhir/metadata").json()["rest"][0]
        if not enabled:
            assert "security" not in rest
            continue
        security = rest["security"]
        assert security["service"][0]["coding"][0]["code"] == "SMART-on-FHIR"
        uris = {e["url"]: e["valueUri"] for e in security["extension"][0]["extension"]}
        assert uris["authorize"] == f"{ORIGIN}/auth/authorize"
        assert uris["token"] == f"{ORIGIN}/auth/token"


def test_cors_discovery_is_open_to_any_origin(auth_http):
    for path in ("/fhir/.well-known/smart-configuration", "/fhir/metadata", "/auth/jwks"):
        response = auth_http.get(path, headers={"Origin": "https://cualquier.example"})
        assert response.headers["access-control-allow-origin"] == "*", path
        assert "access-control-allow-credentials" not in response.headers


def test_cors_token_and_fhir_only_for_registered_origins(auth_http, auth_db):
    create_client(auth_db, "public", name="SPA", client_id="spa", redirect_uris=("https://spa.example.ec/callback",))
    allowed = {"Origin": "https://spa.example.ec"}
    response = auth_http.post("/auth/token", data={"grant_type": "authorization_code"}, headers=allowed)
    assert response.headers["access-control-allow-origin"] == "https://spa.example.ec"
    assert "origin" in response.headers["vary"].lower()
    assert "access-control-allow-credentials" not in response.headers
    stranger = auth_http.post("/auth/token", data={}, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in stranger.headers
    preflight = auth_http.options(
        "/fhir/Patient",
        headers={**allowed, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"},
    )
    assert preflight.status_code == 204
    assert "Authorization" in preflight.headers["access-control-allow-headers"]
    denied = auth_http.options(
        "/fhir/Patient", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    )
    assert denied.status_code == 403 and "access-control-allow-origin" not in denied.headers
    # the authorization page is a navigation, never a CORS resource
    page = auth_http.get("/auth/authorize", headers=allowed)
    assert "access-control-allow-origin" not in page.headers


def test_configured_origins(storage, database_url, auth_db):
    settings = make_settings(database_url, base_url=FHIR_BASE, cors_origins=["https://frontend.example.ec"])
    with TestClient(create_app(settings, storage=storage), base_url=ORIGIN) as http:
        response = http.get("/fhir/Patient", headers={"Origin": "https://frontend.example.ec"})
    assert response.headers["access-control-allow-origin"] == "https://frontend.example.ec"


def test_plain_http_off_loopback_is_refused(storage, database_url, auth_db):
    """Authlib's transport rule applies to the public URL: OAuth over http only on 127.0.0.1."""
    settings = make_settings(database_url, base_url="http://clinica.example.ec/fhir")
    create_client(auth_db, "public", name="App", client_id="app", redirect_uris=("https://app.example.ec/cb",))
    with TestClient(create_app(settings, storage=storage), base_url="http://clinica.example.ec") as http:
        page = http.get("/auth/authorize", params={"response_type": "code", "client_id": "app"})
        token = http.post("/auth/token", data={"grant_type": "client_credentials"})
    assert page.status_code == 400 and "location" not in page.headers
    assert token.status_code == 400 and token.json()["error"] == "insecure_transport"
