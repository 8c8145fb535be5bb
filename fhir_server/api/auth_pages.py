"""Server-rendered pages of /auth/authorize (login, patient picker, consent, errors) and of the password
reset (/auth/forgot, /auth/reset), in Spanish or English.

No JavaScript, no third-party assets; every value is HTML-escaped. Security headers forbid framing
(clickjacking), leak no referrer (codes travel in URLs), and limit where forms may post: this server
and, for the final redirect after a form POST, the app's redirect origin.
"""

from __future__ import annotations

from html import escape

from starlette.responses import HTMLResponse

from fhir_server.auth.flow import ErrorPage, FormPage
from fhir_server.auth.passwords import MAX_LENGTH, MIN_LENGTH
from fhir_server.auth.scopes import PERMISSIONS, parse_resource_scope
from fhir_server.i18n import translate

_STYLE = (
    "body{font-family:system-ui,sans-serif;background:#f5f7fa;color:#1f2933;margin:0}"
    "main{max-width:30rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:6px;"
    "box-shadow:0 1px 3px rgba(0,0,0,.15)}label{display:block;margin:.8rem 0 .2rem}"
    "input[type=text],input[type=password],input[type=search]{width:100%;padding:.5rem;box-sizing:border-box}"
    "button{margin-top:1rem;padding:.5rem 1.2rem}.error{color:#b00020}.scope{margin:.4rem 0}"
    "code{font-size:.8rem;color:#52606d}ul{padding-left:1.2rem}"
)


def security_headers(form_origin: str | None, secure: bool) -> dict[str, str]:
    """Headers of every authorization page."""
    targets = "'self'" + (f" {form_origin}" if form_origin else "")
    headers = {
        "Content-Security-Policy": (
            f"default-src 'none'; style-src 'unsafe-inline'; form-action {targets}; "
            "frame-ancestors 'none'; base-uri 'none'"
        ),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
        "Pragma": "no-cache",
    }
    if secure:
        headers["Strict-Transport-Security"] = "max-age=31536000"
    return headers


def _t(message: str, language: str, **params: object) -> str:
    return escape(translate(message, language, params))


def _document(language: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{_t('auth-title', language)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )


def _hidden(page: FormPage) -> str:
    return (
        f'<input type="hidden" name="txn" value="{escape(page.txn)}">'
        f'<input type="hidden" name="csrf" value="{escape(page.csrf)}">'
    )


def _message(page: FormPage, language: str) -> str:
    return f'<p class="error" role="alert">{_t(page.message, language)}</p>' if page.message else ""


def describe_scope(scope: str, language: str) -> str:
    """A plain-language line for a scope (the scope string itself is shown beside it)."""
    parsed = parse_resource_scope(scope)
    if parsed is None:
        return translate(f"auth-scope-{scope}", language)
    permissions = ", ".join(translate(f"auth-perm-{p}", language) for p in PERMISSIONS if p in parsed.permissions)
    what = translate("auth-scope-all-types", language) if parsed.resource_type == "*" else parsed.resource_type
    what = translate(f"auth-scope-of-{parsed.context}", language, {"what": what})
    if parsed.filters:
        filters = ", ".join(f"{name}={value.rsplit('|', 1)[-1]}" for name, value in parsed.filters)
        what = translate("auth-scope-filtered", language, {"what": what, "filters": filters})
    line = translate("auth-scope-resource", language, {"permissions": permissions, "what": what})
    return line[:1].upper() + line[1:]


def _login(page: FormPage, language: str) -> str:
    # The same page, word for word, for an unknown user and a wrong password: the typed name is not echoed.
    return (
        f"<h1>{_t('auth-login-heading', language)}</h1>"
        f"<p>{_t('auth-login-for', language, client=page.client_name)}</p>{_message(page, language)}"
        f'<form method="post" action="authorize">{_hidden(page)}'
        f'<label for="username">{_t("auth-username", language)}</label>'
        '<input type="text" id="username" name="username" autocomplete="username" required autofocus>'
        f'<label for="password">{_t("auth-password", language)}</label>'
        '<input type="password" id="password" name="password" autocomplete="current-password" required>'
        f'<button type="submit" name="action" value="login">{_t("auth-login-button", language)}</button>'
        f'<button type="submit" name="action" value="deny" formnovalidate>{_t("auth-consent-deny", language)}</button>'
        f'</form><p><a href="forgot">{_t("auth-forgot-link", language)}</a></p>'
    )


def _picker(page: FormPage, language: str) -> str:
    rows = "".join(
        f'<li><button type="submit" name="patient" value="{escape(p.id)}">{_t("auth-picker-choose", language)}'
        f"</button> {escape(p.display)} <code>Patient/{escape(p.id)}</code></li>"
        for p in page.patients
    )
    listing = f"<ul>{rows}</ul>" if rows else f"<p>{_t('auth-picker-none', language)}</p>"
    return (
        f"<h1>{_t('auth-picker-heading', language)}</h1>{_message(page, language)}"
        f'<form method="post" action="authorize">{_hidden(page)}'
        f'<label for="q">{_t("auth-picker-search", language)}</label>'
        f'<input type="search" id="q" name="q" value="{escape(page.query)}">'
        f'<button type="submit" name="action" value="search">{_t("auth-picker-search-button", language)}</button>'
        "</form>"
        f'<form method="post" action="authorize">{_hidden(page)}'
        f'<input type="hidden" name="action" value="pick"><input type="hidden" name="q" value="{escape(page.query)}">'
        f"{listing}</form>"
    )


def _consent(page: FormPage, language: str) -> str:
    items = "".join(
        f'<div class="scope"><label><input type="checkbox" name="scope" value="{escape(scope)}" checked> '
        f"{escape(describe_scope(scope, language))} <code>{escape(scope)}</code></label></div>"
        for scope in page.scopes
    )
    offline = f"<p>{_t('auth-consent-offline', language)}</p>" if page.offline else ""
    return (
        f"<h1>{_t('auth-consent-heading', language, client=page.client_name)}</h1>"
        f"<p>{_t('auth-consent-hint', language)}</p>"
        f'<form method="post" action="authorize">{_hidden(page)}{items}{offline}'
        f'<button type="submit" name="action" value="approve">{_t("auth-consent-approve", language)}</button>'
        f'<button type="submit" name="action" value="deny">{_t("auth-consent-deny", language)}</button>'
        "</form>"
    )


_KINDS = {"login": _login, "picker": _picker, "consent": _consent}


def render_page(page: FormPage | ErrorPage, language: str, secure: bool) -> HTMLResponse:
    """The HTML response for a flow outcome that is a page."""
    if isinstance(page, ErrorPage):
        body = f'<h1>{_t("auth-title", language)}</h1><p class="error">{_t(page.message, language, **page.params)}</p>'
        return HTMLResponse(_document(language, body), page.status, headers=security_headers(None, secure))
    html = _document(language, _KINDS[page.kind](page, language))
    return HTMLResponse(html, page.status, headers=security_headers(page.redirect_origin, secure))


# Password reset pages (fhir_server/api/routes/auth_reset.py). Forms post to this server only.


def _page(language: str, body: str, status: int, secure: bool) -> HTMLResponse:
    return HTMLResponse(_document(language, body), status, headers=security_headers(None, secure))


def _note(message: str | None, language: str, params: dict[str, object] | None = None) -> str:
    return f'<p class="error" role="alert">{_t(message, language, **(params or {}))}</p>' if message else ""


def forgot_page(
    language: str, csrf: str, *, secure: bool, message: str | None = None, status: int = 200
) -> HTMLResponse:
    """The "forgot password" form: a user name or an e-mail address."""
    body = (
        f"<h1>{_t('auth-forgot-heading', language)}</h1><p>{_t('auth-forgot-hint', language)}</p>"
        f"{_note(message, language)}"
        f'<form method="post" action="forgot"><input type="hidden" name="csrf" value="{escape(csrf)}">'
        f'<label for="identifier">{_t("auth-forgot-identifier", language)}</label>'
        '<input type="text" id="identifier" name="identifier" autocomplete="username" maxlength="254" '
        "required autofocus>"
        f'<button type="submit">{_t("auth-forgot-button", language)}</button></form>'
    )
    return _page(language, body, status, secure)


def message_page(
    language: str, message: str, *, secure: bool, status: int = 200, link_forgot: bool = False
) -> HTMLResponse:
    """A page with one sentence (link sent, password changed, bad link, throttled)."""
    again = f'<p><a href="forgot">{_t("auth-forgot-heading", language)}</a></p>' if link_forgot else ""
    css = ' class="error" role="alert"' if status >= 400 else ""
    body = f"<h1>{_t('auth-forgot-heading', language)}</h1><p{css}>{_t(message, language)}</p>{again}"
    return _page(language, body, status, secure)


def reset_page(
    language: str,
    token: str,
    csrf: str,
    username: str,
    *,
    secure: bool,
    message: str | None = None,
    params: dict[str, object] | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The new-password form of a live reset link (the token travels in a hidden field)."""
    body = (
        f"<h1>{_t('auth-reset-heading', language)}</h1><p>{_t('auth-reset-for', language, username=username)}</p>"
        f"<p>{_t('auth-reset-policy', language, length=MIN_LENGTH)}</p>{_note(message, language, params)}"
        f'<form method="post" action="reset"><input type="hidden" name="csrf" value="{escape(csrf)}">'
        f'<input type="hidden" name="token" value="{escape(token)}">'
        f'<label for="password">{_t("auth-reset-new-password", language)}</label>'
        f'<input type="password" id="password" name="password" autocomplete="new-password" minlength="{MIN_LENGTH}" '
        f'maxlength="{MAX_LENGTH}" required autofocus>'
        f'<label for="confirmation">{_t("auth-reset-confirm", language)}</label>'
        f'<input type="password" id="confirmation" name="confirmation" autocomplete="new-password" '
        f'maxlength="{MAX_LENGTH}" required>'
        f'<button type="submit">{_t("auth-reset-button", language)}</button></form>'
    )
    return _page(language, body, status, secure)
