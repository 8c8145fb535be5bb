"""The authorization server's knobs, taken from Settings once at start-up."""

from __future__ import annotations

from dataclasses import dataclass, field

from fhir_server.auth.throttle import LoginLimits
from fhir_server.settings import Settings


@dataclass(frozen=True)
class AuthConfig:
    """URLs and lifetimes of the authorization server."""

    issuer: str
    fhir_base: str
    access_seconds: int = 3600
    backend_seconds: int = 300
    refresh_seconds: int = 90 * 86_400
    code_seconds: int = 60
    pending_seconds: int = 600
    launch_seconds: int = 300
    login_limits: LoginLimits = field(default_factory=LoginLimits)
    jwks_loopback_http: bool = False

    @staticmethod
    def from_settings(settings: Settings) -> AuthConfig:
        return AuthConfig(
            issuer=settings.issuer,
            fhir_base=settings.base_url,
            access_seconds=settings.auth_access_token_seconds,
            backend_seconds=settings.auth_backend_token_seconds,
            refresh_seconds=settings.auth_refresh_token_days * 86_400,
            code_seconds=settings.auth_code_seconds,
            login_limits=LoginLimits(
                per_account=settings.auth_login_max_failures,
                per_ip=settings.auth_login_ip_max_failures,
                window_us=settings.auth_login_window_seconds * 1_000_000,
            ),
            jwks_loopback_http=settings.auth_jwks_loopback_http,
        )

    @property
    def authorize_url(self) -> str:
        return f"{self.issuer}/authorize"

    @property
    def token_url(self) -> str:
        return f"{self.issuer}/token"

    @property
    def introspect_url(self) -> str:
        return f"{self.issuer}/introspect"

    @property
    def revoke_url(self) -> str:
        return f"{self.issuer}/revoke"

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/jwks"

    @property
    def style_url(self) -> str:
        return f"{self.issuer}/style.json"

    @property
    def launch_url(self) -> str:
        return f"{self.issuer}/launch"
