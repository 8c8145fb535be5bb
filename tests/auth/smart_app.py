"""A SMART app as a test driver: PKCE, authorize, the server's HTML forms, token calls."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

_HIDDEN = re.compile(r'<input type="hidden" name="(txn|csrf)" value="([^"]*)">')


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


def hidden_fields(page: httpx.Response) -> dict[str, str]:
    """The txn and csrf of an authorization page."""
    return dict(_HIDDEN.findall(page.text))


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


@dataclass
class SmartApp:
    http: httpx.Client
    fhir_base: str
    client_id: str
    redirect_uri: str
    secret: str | None = None

    @property
    def config(self) -> dict[str, Any]:
        response = self.http.get(f"{self.fhir_base}/.well-known/smart-configuration")
        response.raise_for_status()
        config: dict[str, Any] = response.json()
        return config

    def authorize(self, scope: str, *, method: str = "GET", **overrides: Any) -> tuple[httpx.Response, str]:
        """Send the app's authorize request; returns (response, verifier)."""
        verifier, challenge = pkce_pair()
        params: dict[str, str | None] = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": scope,
            "state": secrets.token_urlsafe(12),
            "aud": self.fhir_base,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        params.update(overrides)
        sent = {k: v for k, v in params.items() if v is not None}
        url = self.config["authorization_endpoint"]
        if method == "POST":
            return self.http.post(url, data=sent, follow_redirects=False), verifier
        return self.http.get(url, params=sent, follow_redirects=False), verifier

    def submit(self, page: httpx.Response, action: str, **fields: Any) -> httpx.Response:
        """Post one of the server's forms, as the browser would."""
        data: dict[str, Any] = {**hidden_fields(page), "action": action, **fields}
        return self.http.post(self.config["authorization_endpoint"], data=data, follow_redirects=False)

    def login(self, page: httpx.Response, username: str, password: str) -> httpx.Response:
        return self.submit(page, "login", username=username, password=password)

    def authorize_code(
        self,
        scope: str,
        username: str,
        password: str,
        *,
        patient: str | None = None,
        keep: list[str] | None = None,
        **overrides: Any,
    ) -> tuple[str, str]:
        """The whole interactive flow; returns (code, verifier)."""
        first, verifier = self.authorize(scope, **overrides)
        query = query_of(self.drive(first, username, password, patient=patient, keep=keep))
        assert "code" in query, query
        return query["code"], verifier

    def drive(
        self,
        first: httpx.Response,
        username: str,
        password: str,
        *,
        patient: str | None = None,
        keep: list[str] | None = None,
    ) -> str:
        """What a user does on the server's pages: log in, pick the patient, consent. Returns the redirect."""
        assert first.status_code == 200, first.text
        page = self.login(first, username, password)
        if 'name="q"' in page.text:  # the patient picker
            assert patient is not None, "the server asked for a patient"
            page = self.submit(page, "pick", patient=patient, q="")
        if 'name="scope"' in page.text:  # the consent page
            chosen = keep if keep is not None else re.findall(r'name="scope" value="([^"]*)"', page.text)
            chosen = [c.replace("&amp;", "&") for c in chosen]
            page = self.submit(page, "approve", scope=chosen)
        assert page.status_code == 302, page.text
        location = page.headers["location"]
        assert location.startswith(self.redirect_uri), location
        return location

    def _auth(self) -> Any:
        return (self.client_id, self.secret) if self.secret else None

    def token(self, **form: str) -> httpx.Response:
        if not self.secret:
            form.setdefault("client_id", self.client_id)
        return self.http.post(self.config["token_endpoint"], data=form, auth=self._auth())

    def exchange(self, code: str, verifier: str | None, **extra: str) -> httpx.Response:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri, **extra}
        if verifier is not None:
            form["code_verifier"] = verifier
        return self.token(**form)

    def tokens(self, scope: str, username: str, password: str) -> dict[str, Any]:
        """The interactive flow and the code exchange, which must succeed; returns the token response."""
        code, verifier = self.authorize_code(scope, username, password)
        response = self.exchange(code, verifier)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def refresh(self, refresh_token: str, scope: str | None = None) -> httpx.Response:
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        if scope is not None:
            form["scope"] = scope
        return self.token(**form)

    def revoke(self, token: str) -> httpx.Response:
        form = {"token": token}
        if not self.secret:
            form["client_id"] = self.client_id
        return self.http.post(self.config["revocation_endpoint"], data=form, auth=self._auth())
