"""Access tokens an operator issues from the command line (curl, scripts, benchmarks).

Whoever runs ``fhir-server issue-token`` already holds the database, so this grants nothing new;
the token is still cut by the account's role on every request and expires like any other.
"""

from __future__ import annotations

import sqlalchemy as sa

from fhir_server.auth.accounts import find_account
from fhir_server.auth.clients import create_client, get_client
from fhir_server.auth.common import new_id
from fhir_server.auth.tokens import LaunchContext, new_token_values, store_tokens
from fhir_server.errors import Invalid, NotFound

CLI_CLIENT = "fhir-server-cli"


def issue_token(
    engine: sa.Engine, username: str, scope: str, *, audience: str, minutes: int, patient: str | None = None
) -> str:
    """A fresh access token for an active account (its role's ceiling still applies)."""
    account = find_account(engine, username)
    if account is None or not account.active:
        raise NotFound("auth-unknown-user", username=username)
    if not 1 <= minutes <= 60:
        raise Invalid("auth-token-minutes", minutes=minutes)
    if get_client(engine, CLI_CLIENT) is None:
        create_client(engine, "public", name="fhir-server command line", client_id=CLI_CLIENT,
                      redirect_uris=("http://127.0.0.1/cli",), consent_required=False)  # fmt: skip
    issued = new_token_values(False)
    store_tokens(
        engine, issued, family_id=new_id(), client_id=CLI_CLIENT, account_id=account.id, scope=scope,
        context=LaunchContext(patient=patient), audience=audience, access_seconds=minutes * 60, refresh_seconds=0,
    )  # fmt: skip
    return issued.access_token
