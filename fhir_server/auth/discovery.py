"""Discovery documents: SMART configuration, OpenID configuration, CapabilityStatement security."""

from __future__ import annotations

from typing import Any

from fhir_server.auth.config import AuthConfig

# Listed capabilities must all really work (SMART @352-@371).
CAPABILITIES = (
    "launch-ehr",
    "launch-standalone",
    "authorize-post",
    "client-public",
    "client-confidential-symmetric",
    "client-confidential-asymmetric",
    "sso-openid-connect",
    "context-banner",
    "context-style",
    "context-ehr-patient",
    "context-ehr-encounter",
    "context-standalone-patient",
    "permission-offline",
    "permission-patient",
    "permission-user",
    "permission-v1",
    "permission-v2",
)
SCOPES_SUPPORTED = (
    "openid",
    "fhirUser",
    "profile",
    "launch",
    "launch/patient",
    "launch/encounter",
    "offline_access",
    "patient/*.cruds",
    "user/*.cruds",
    "system/*.rs",
    "patient/*.read",
    "user/*.read",
    "patient/*.write",
    "user/*.write",
)
AUTH_METHODS = ("client_secret_basic", "private_key_jwt")
ASSERTION_ALGORITHMS = ("RS384", "ES384")
OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"


def smart_configuration(config: AuthConfig) -> dict[str, Any]:
    """GET [base]/.well-known/smart-configuration (SMART App Launch 2.2 conformance, every field we support)."""
    return {
        "issuer": config.issuer,
        "jwks_uri": config.jwks_url,
        "authorization_endpoint": config.authorize_url,
        "token_endpoint": config.token_url,
        "introspection_endpoint": config.introspect_url,
        "revocation_endpoint": config.revoke_url,
        "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "token_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGORITHMS),
        "scopes_supported": list(SCOPES_SUPPORTED),
        "response_types_supported": ["code"],
        "capabilities": list(CAPABILITIES),
        "code_challenge_methods_supported": ["S256"],
    }


def openid_configuration(config: AuthConfig) -> dict[str, Any]:
    """GET {issuer}/.well-known/openid-configuration (what Inferno's OIDC tests read)."""
    return {
        "issuer": config.issuer,
        "authorization_endpoint": config.authorize_url,
        "token_endpoint": config.token_url,
        "jwks_uri": config.jwks_url,
        "introspection_endpoint": config.introspect_url,
        "revocation_endpoint": config.revoke_url,
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": list(SCOPES_SUPPORTED),
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "token_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGORITHMS),
        "code_challenge_methods_supported": ["S256"],
        "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "fhirUser"],
    }


def capability_security(config: AuthConfig) -> dict[str, Any]:
    """CapabilityStatement.rest.security: SMART service coding and the oauth-uris extension."""
    return {
        "cors": True,
        "service": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                        "code": "SMART-on-FHIR",
                        "display": "SMART-on-FHIR",
                    }
                ],
                "text": "OAuth2 using SMART-on-FHIR profile (see http://docs.smarthealthit.org)",
            }
        ],
        "extension": [
            {
                "url": OAUTH_URIS,
                "extension": [
                    {"url": "authorize", "valueUri": config.authorize_url},
                    {"url": "token", "valueUri": config.token_url},
                    {"url": "introspect", "valueUri": config.introspect_url},
                    {"url": "revoke", "valueUri": config.revoke_url},
                ],
            }
        ],
        "description": "SMART App Launch 2.2 and Backend Services; "
        f"discovery at {config.fhir_base}/.well-known/smart-configuration",
    }


def style() -> dict[str, Any]:
    """smart_style_url document (context-style): the clinic frontend's colours."""
    return {
        "color_background": "#f5f7fa",
        "color_error": "#b00020",
        "color_highlight": "#0b6e99",
        "color_modal_backdrop": "rgba(0,0,0,0.4)",
        "color_success": "#1b7f3b",
        "color_text": "#1f2933",
        "dim_border_radius": "6px",
        "dim_font_size": "14px",
        "dim_spacing_size": "16px",
        "font_family_body": "system-ui, sans-serif",
        "font_family_heading": "system-ui, sans-serif",
    }


def smart_security(fhir_base: str, issuer: str) -> dict[str, Any]:
    """``capability_security`` for a FHIR base URL and an issuer (what the CapabilityStatement needs)."""
    return capability_security(AuthConfig(issuer=issuer, fhir_base=fhir_base))
