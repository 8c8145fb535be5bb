"""SMART Backend Services: client_credentials with private_key_jwt (ES384 and RS384) and what it refuses."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx
import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import ECKey, Key, OctKey, RSAKey

from fhir_server.api.app import create_app
from fhir_server.auth.clients import create_client
from tests.auth.fixtures import FHIR_BASE, ORIGIN, live_auth_server
from tests.conftest import make_settings
from tests.security.conftest import seed

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
SCOPE = "system/Patient.rs system/Observation.rs"


def _keys() -> tuple[ECKey, RSAKey]:
    return (
        ECKey.generate_key("P-384", parameters={"kid": "ec-1"}),
        RSAKey.generate_key(2048, parameters={"kid": "rsa-1"}),
    )


def _jwks(*keys: Key) -> dict[str, Any]:
    return {"keys": [key.as_dict(private=False) for key in keys]}


def assertion(key: Key, alg: str, token_url: str, *, client_id: str = "ehr", **changes: Any) -> str:
    header = {"alg": alg, "kid": key.kid, "typ": "JWT", **changes.pop("header", {})}
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": token_url,
        "exp": int(time.time()) + 300,
        "jti": uuid.uuid4().hex,
    }
    claims.update(changes)
    return jwt.encode(header, {k: v for k, v in claims.items() if v is not None}, key, algorithms=[alg])


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def token_request(http: Any, token_url: str, client_assertion: str, scope: str = SCOPE, **form: str) -> httpx.Response:
    data = {
        "grant_type": "client_credentials",
        "scope": scope,
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": client_assertion,
        **form,
    }
    response: httpx.Response = http.post(token_url, data=data)
    return response


def test_backend_services_es384_against_a_live_server(storage, auth_db, database_url):
    ec, rsa = _keys()
    create_client(auth_db, "backend", name="Otro EHR", client_id="ehr", jwks=_jwks(ec, rsa), scope=SCOPE)
    seed(storage, {"resourceType": "Patient", "id": "p1"}, {"resourceType": "Condition", "id": "c1",
                                                             "subject": {"reference": "Patient/p1"}})  # fmt: skip
    with live_auth_server(storage, database_url, auth_enabled=True) as base, httpx.Client(timeout=30) as http:
        config = http.get(f"{base}/.well-known/smart-configuration").json()
        token_url = config["token_endpoint"]
        response = token_request(http, token_url, assertion(ec, "ES384", token_url), scope="system/Patient.rs")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["token_type"] == "Bearer"
        assert body["expires_in"] <= 300
        assert body["scope"] == "system/Patient.rs"
        assert "refresh_token" not in body
        assert response.headers["cache-control"] == "no-store"
        # the token is good for the resource server, as a system grant
        introspected = http.post(
            config["introspection_endpoint"],
            data={"token": body["access_token"]},
            headers={"Authorization": f"Bearer {body['access_token']}"},
        ).json()
        assert introspected["active"] is True and introspected["client_id"] == "ehr"
        # FHIR calls as a system client: what its scopes name, nothing else
        fhir = {"Authorization": f"Bearer {body['access_token']}"}
        assert http.get(f"{base}/Patient/p1", headers=fhir).status_code == 200
        assert http.get(f"{base}/Condition/c1", headers=fhir).status_code == 403
        # RS384 works too
        rs = token_request(http, token_url, assertion(rsa, "RS384", token_url))
        assert rs.status_code == 200, rs.text
        assert set(rs.json()["scope"].split()) == set(SCOPE.split())


@pytest.fixture
def backend(auth_http, auth_db):
    ec, rsa = _keys()
    create_client(auth_db, "backend", name="Otro EHR", client_id="ehr", jwks=_jwks(ec, rsa), scope=SCOPE)
    token_url = f"{ORIGIN}/auth/token"
    return auth_http, token_url, ec, rsa


def _refused(response: httpx.Response) -> None:
    assert response.status_code in (400, 401), response.text
    assert response.json()["error"] == "invalid_client", response.text


def test_replayed_assertion_is_refused(backend):
    http, url, ec, _ = backend
    same = assertion(ec, "ES384", url)
    assert token_request(http, url, same).status_code == 200
    _refused(token_request(http, url, same))


@pytest.mark.parametrize(
    "changes",
    [
        {"aud": "https://otro-servidor.example/auth/token"},
        {"exp": int(time.time()) + 3600},
        {"exp": int(time.time()) - 120},
        {"jti": None},
        {"iss": "someone-else"},
        {"header": {"kid": "unknown-kid"}},
        {"header": {"jku": "https://attacker.example/jwks.json"}},
    ],
    ids=["other-aud", "exp-1h", "expired", "no-jti", "iss-not-sub", "unknown-kid", "foreign-jku"],
)
def test_bad_assertions_are_refused(backend, changes):
    http, url, ec, _ = backend
    _refused(token_request(http, url, assertion(ec, "ES384", url, **changes)))


def test_exp_five_minutes_ahead_is_accepted(backend):
    http, url, ec, _ = backend
    assert token_request(http, url, assertion(ec, "ES384", url, exp=int(time.time()) + 300)).status_code == 200


def test_algorithms_outside_rs384_es384_are_refused(backend):
    http, url, _, rsa = backend
    claims = {"iss": "ehr", "sub": "ehr", "aud": url, "exp": int(time.time()) + 300, "jti": uuid.uuid4().hex}
    unsigned = f"{_b64({'alg': 'none', 'kid': 'rsa-1', 'typ': 'JWT'})}.{_b64(claims)}."
    _refused(token_request(http, url, unsigned))
    public_as_secret = OctKey.import_key(json.dumps(rsa.as_dict(private=False)).encode())
    hs256 = jwt.encode({"alg": "HS256", "kid": "rsa-1"}, claims, public_as_secret, algorithms=["HS256"])
    _refused(token_request(http, url, hs256))
    rs256 = jwt.encode({"alg": "RS256", "kid": "rsa-1"}, {**claims, "jti": "x2"}, rsa, algorithms=["RS256"])
    _refused(token_request(http, url, rs256))
    # the key type must match the algorithm: an EC kid with RS384 finds no key
    mismatch = jwt.encode({"alg": "RS384", "kid": "ec-1"}, {**claims, "jti": "x3"}, rsa, algorithms=["RS384"])
    _refused(token_request(http, url, mismatch))


def test_wrong_assertion_type_and_missing_scope(backend):
    http, url, ec, _ = backend
    wrong_type = token_request(http, url, assertion(ec, "ES384", url), client_assertion_type="not_an_assertion_type")
    assert wrong_type.status_code in (400, 401)
    no_scope = token_request(http, url, assertion(ec, "ES384", url), scope="")
    assert no_scope.status_code == 400


def test_scope_is_mediated(backend):
    http, url, ec, _ = backend
    partly = token_request(http, url, assertion(ec, "ES384", url), scope="system/Patient.rs system/Condition.rs")
    assert partly.status_code == 200 and partly.json()["scope"] == "system/Patient.rs"
    narrowed = token_request(http, url, assertion(ec, "ES384", url), scope="system/*.cruds")
    assert set(narrowed.json()["scope"].split()) == set(SCOPE.split())
    outside = token_request(http, url, assertion(ec, "ES384", url), scope="system/Condition.rs user/*.rs")
    assert outside.status_code == 400 and outside.json()["error"] == "invalid_scope"


def test_user_clients_cannot_use_client_credentials(backend, auth_db):
    http, url, _, _ = backend
    _, secret = create_client(
        auth_db, "confidential", name="BFF", client_id="bff", redirect_uris=("https://b.example/cb",)
    )
    response = http.post(url, data={"grant_type": "client_credentials", "scope": SCOPE}, auth=("bff", secret or ""))
    assert response.status_code in (400, 401)


class _JwksHandler(BaseHTTPRequestHandler):
    jwks: ClassVar[dict[str, Any]] = {}
    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        body = json.dumps(type(self).jwks).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "max-age=300")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def jwks_server() -> Iterator[tuple[str, type[_JwksHandler]]]:
    handler = type("Handler", (_JwksHandler,), {"jwks": {}, "hits": 0})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json", handler
    server.shutdown()
    server.server_close()


def test_jwks_url_is_fetched_cached_and_refetched_for_a_new_kid(storage, auth_db, database_url, jwks_server):
    url, handler = jwks_server
    ec, _ = _keys()
    handler.jwks = _jwks(ec)
    create_client(auth_db, "backend", name="EHR URL", client_id="ehr-url", jwks_uri=url, scope=SCOPE)
    settings = make_settings(database_url, base_url=FHIR_BASE, auth_jwks_loopback_http=True)
    token_url = f"{ORIGIN}/auth/token"
    with TestClient(create_app(settings, storage=storage), base_url=ORIGIN) as http:
        for _ in range(2):
            response = token_request(http, token_url, assertion(ec, "ES384", token_url, client_id="ehr-url"))
            assert response.status_code == 200, response.text
        assert handler.hits == 1  # cached as Cache-Control allows
        rotated = ECKey.generate_key("P-384", parameters={"kid": "ec-2"})
        handler.jwks = _jwks(ec, rotated)
        response = token_request(http, token_url, assertion(rotated, "ES384", token_url, client_id="ehr-url"))
        assert response.status_code == 200, response.text
        assert handler.hits == 2  # unknown kid: fetched again once
        jku = token_request(
            http, token_url, assertion(ec, "ES384", token_url, client_id="ehr-url", header={"jku": url})
        )
        assert jku.status_code == 200  # a jku equal to the registered URL is fine


def test_jwks_urls_to_private_addresses_are_not_fetched(storage, auth_db, database_url, jwks_server):
    url, handler = jwks_server
    ec, _ = _keys()
    handler.jwks = _jwks(ec)
    create_client(auth_db, "backend", name="SSRF", client_id="ssrf", jwks_uri=url, scope=SCOPE)
    settings = make_settings(database_url, base_url=FHIR_BASE)  # loopback http not allowed here
    token_url = f"{ORIGIN}/auth/token"
    with TestClient(create_app(settings, storage=storage), base_url=ORIGIN) as http:
        _refused(token_request(http, token_url, assertion(ec, "ES384", token_url, client_id="ssrf")))
    assert handler.hits == 0
