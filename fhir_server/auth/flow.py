"""The interactive part of /authorize: login, patient picker, consent, then the code redirect.

Framework-free: the HTTP layer passes in what it read and renders the ``Outcome`` it gets back.
Granted scopes = requested ∩ client's allowed ∩ role ceiling ∩ the user's consent choices; a
``patient/`` scope or ``launch/patient`` needs a patient in context (SMART A9): a patient's own
record, the EHR launch's patient, or the one a staff member picks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode

import sqlalchemy as sa
from authlib.oauth2.rfc6749 import OAuth2Error

from fhir_server.auth import pending
from fhir_server.auth.accounts import Account, LoginResult, check_login, get_account
from fhir_server.auth.clients import Client, get_client, origin_of
from fhir_server.auth.common import digest, now_us
from fhir_server.auth.grants import AuthorizedUser
from fhir_server.auth.policy import role_ceiling
from fhir_server.auth.scopes import ScopeSet
from fhir_server.auth.server import PlainRequest, SmartServer
from fhir_server.auth.tokens import LaunchContext, find_launch, use_launch

PICKER_LIMIT = 20


@dataclass(frozen=True)
class PatientChoice:
    id: str
    display: str


class PatientDirectory(Protocol):
    """Finds patients for the picker (implemented by the HTTP layer over FHIR search)."""

    def search(self, text: str, limit: int) -> list[PatientChoice]: ...

    def exists(self, patient_id: str) -> bool: ...


@dataclass(frozen=True)
class Redirect:
    location: str


@dataclass(frozen=True)
class ErrorPage:
    status: int
    message: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FormPage:
    """A page with a form: ``login``, ``picker`` or ``consent``."""

    kind: str
    txn: str
    csrf: str
    client_name: str
    redirect_origin: str | None
    status: int = 200
    message: str | None = None
    patients: tuple[PatientChoice, ...] = ()
    query: str = ""
    scopes: tuple[str, ...] = ()
    offline: bool = False


Outcome = Redirect | ErrorPage | FormPage


class AuthorizeFlow:
    """Drives one authorize transaction from the first GET to the redirect with a code."""

    def __init__(self, engine: sa.Engine, server: SmartServer, patients: PatientDirectory) -> None:
        self.engine = engine
        self.server = server
        self.patients = patients
        self.config = server.config

    def begin(self, method: str, params: Sequence[tuple[str, str]], browser: str) -> Outcome:
        """Validate the app's authorize request and open a transaction (login page)."""
        try:  # an http:// issuer off loopback fails here (Authlib's transport rule)
            request = PlainRequest(method, self.config.authorize_url, {}, query=params)
            grant = self.server.get_consent_grant(request)
        except OAuth2Error as error:
            return self._error(error)
        client: Client = request.client
        launch = None
        if launch_id := request.payload.data.get("launch"):
            launch = find_launch(self.engine, launch_id, client.client_id)
            if launch is None:
                return self._redirect_error(grant.redirect_uri, "invalid_request", request.payload.state)
        opened = pending.start(
            self.engine,
            browser,
            client.client_id,
            list(params),
            patient=launch.patient if launch else None,
            encounter=launch.encounter if launch else None,
            lifetime_s=self.config.pending_seconds,
        )
        return self._page("login", opened, client)

    def step(self, form: Mapping[str, str], chosen_scopes: Sequence[str], browser: str, address: str) -> Outcome:
        """Handle a POST from one of the pages."""
        current = pending.load(self.engine, form.get("txn", ""), form.get("csrf", ""), browser)
        client = get_client(self.engine, current.client_id) if current else None
        if current is None or client is None:
            return ErrorPage(400, "auth-session-expired")
        action = form.get("action", "")
        if action == "deny":
            pending.finish(self.engine, current)
            return self._redirect_error(self._redirect_uri(current, client), "access_denied", current.param("state"))
        if current.account_id is None:
            if action != "login":
                return self._page("login", current, client)
            return self._login(current, client, form, address)
        account = self._account(current)
        if account is None:
            return ErrorPage(400, "auth-session-expired")
        if action in ("search", "pick") and not self._may_pick(account):
            return self._next(current, client, account)  # a patient never browses other patients
        if action == "search":
            return self._picker(current, client, form.get("q", ""))
        if action == "pick":
            patient_id = form.get("patient", "")
            if not patient_id or not self.patients.exists(patient_id):
                return self._picker(current, client, form.get("q", ""), message="auth-patient-unknown")
            current = pending.update(self.engine, current, patient=patient_id)
        if action == "approve":
            return self._finish(current, client, account, chosen=set(chosen_scopes))
        return self._next(current, client, account)

    # Stages.
    def _login(self, current: pending.Pending, client: Client, form: Mapping[str, str], address: str) -> Outcome:
        result, account = check_login(
            self.engine, form.get("username", ""), form.get("password", ""), address, self.config.login_limits
        )
        if result is LoginResult.THROTTLED:
            return self._page("login", current, client, status=429, message="auth-login-throttled")
        if account is None:
            return self._page("login", current, client, status=401, message="auth-login-failed")
        launch_id = current.param("launch")
        launch = find_launch(self.engine, launch_id, client.client_id) if launch_id else None
        if launch_id and (launch is None or (launch.account_id and launch.account_id != account.id)):
            pending.finish(self.engine, current)
            return self._redirect_error(self._redirect_uri(current, client), "access_denied", current.param("state"))
        values: dict[str, object] = {"account_id": account.id, "auth_time_us": now_us()}
        if account.role == "paciente":
            values["patient"] = account.patient_id  # a patient's context is always themself
        current = pending.update(self.engine, current, new_csrf=True, **values)
        return self._next(current, client, account)

    def _next(self, current: pending.Pending, client: Client, account: Account) -> Outcome:
        offered = self._offered(current, client, account)
        if self._needs_patient(offered) and current.patient is None and self._may_pick(account):
            return self._picker(current, client, "")
        if client.consent_required:
            return self._page("consent", current, client, scopes=offered)
        return self._finish(current, client, account, chosen=None)

    def _picker(self, current: pending.Pending, client: Client, text: str, message: str | None = None) -> Outcome:
        found = tuple(self.patients.search(text.strip(), PICKER_LIMIT))
        return FormPage(
            "picker",
            current.txn,
            current.csrf,
            client.name,
            self._form_origin(current, client),
            message=message,
            patients=found,
            query=text,
        )

    def _finish(self, current: pending.Pending, client: Client, account: Account, chosen: set[str] | None) -> Outcome:
        offered = self._offered(current, client, account)
        granted = offered if chosen is None else offered.only(chosen)
        if self._needs_patient(granted) and current.patient is None:
            # No patient could be put in context: patient-level access cannot be granted.
            granted = ScopeSet(tuple(s for s in granted.resources if s.context != "patient"), granted.others)
            granted = granted.without("launch/patient")
        ehr = current.param("launch") is not None
        context = LaunchContext(
            patient=current.patient if (current.patient and self._needs_patient(granted)) else None,
            encounter=current.encounter if "launch/encounter" in granted else None,
            need_patient_banner=ehr if ehr else None,
            smart_style_url=self.config.style_url if ehr else None,
        )
        try:
            request = PlainRequest("GET", self.config.authorize_url, {}, query=current.params)
            grant = self.server.get_consent_grant(request)
        except OAuth2Error as error:
            pending.finish(self.engine, current)
            return self._error(error)
        launch_id = current.param("launch")
        if launch_id and not use_launch(self.engine, digest(launch_id)):
            pending.finish(self.engine, current)
            return self._redirect_error(grant.redirect_uri, "invalid_request", current.param("state"))
        auth_time = (current.auth_time_us or now_us()) // 1_000_000
        user = AuthorizedUser(account, granted.render(), context, auth_time)
        response = self.server.create_authorization_response(request, grant_user=user, grant=grant)
        pending.finish(self.engine, current)
        return Redirect(response.location or "")

    # Helpers.
    def _offered(self, current: pending.Pending, client: Client, account: Account) -> ScopeSet:
        requested = ScopeSet.parse(current.param("scope")).intersect(client.allowed)
        offered = requested.intersect(role_ceiling(account.role), keep_others=True)
        drop = ["online_access"]  # permission-online is not offered
        if current.param("launch") is None:
            drop.append("launch")
        if current.encounter is None:
            drop.append("launch/encounter")
        return offered.without(*drop)

    @staticmethod
    def _needs_patient(scopes: ScopeSet) -> bool:
        return "launch/patient" in scopes or scopes.has_patient_scopes

    @staticmethod
    def _may_pick(account: Account) -> bool:
        return account.role != "paciente"

    def _account(self, current: pending.Pending) -> Account | None:
        with self.engine.connect() as connection:
            account = get_account(connection, current.account_id or "")
        return account if account and account.active else None

    def _redirect_uri(self, current: pending.Pending, client: Client) -> str:
        return current.param("redirect_uri") or client.get_default_redirect_uri() or ""

    def _form_origin(self, current: pending.Pending, client: Client) -> str | None:
        return origin_of(self._redirect_uri(current, client))

    def _page(
        self,
        kind: str,
        current: pending.Pending,
        client: Client,
        *,
        status: int = 200,
        message: str | None = None,
        scopes: ScopeSet | None = None,
    ) -> FormPage:
        return FormPage(
            kind,
            current.txn,
            current.csrf,
            client.name,
            self._form_origin(current, client),
            status=status,
            message=message,
            scopes=tuple(s for s in (scopes.render().split() if scopes else ())),
            offline=bool(scopes and "offline_access" in scopes),
        )

    @staticmethod
    def _redirect_error(redirect_uri: str, error: str, state: str | None) -> Redirect:
        params = [("error", error)] + ([("state", state)] if state else [])
        separator = "&" if "?" in redirect_uri else "?"
        return Redirect(f"{redirect_uri}{separator}{urlencode(params)}")

    def _error(self, error: OAuth2Error) -> Outcome:
        status, _body, headers = error()
        location = next((value for name, value in headers if name == "Location"), None)
        if status == 302 and location:
            return Redirect(location)
        return ErrorPage(400, "auth-bad-authorize-request", {"detail": error.description or error.error})
