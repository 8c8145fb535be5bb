"""Legacy logins become user accounts of the authorization server: INACTIVE, with a random password
nobody knows, linked to their Practitioner or Patient (fhirUser).

Legacy password hashes are never migrated as credentials (they sat next to committed secrets, E1):
an administrator activates each account and the person sets a password through a reset link.
An account that already exists is left as it is, so a re-run never deactivates someone who has
since been activated.
"""

from __future__ import annotations

import sqlalchemy as sa

from fhir_server.auth.accounts import create_account, deactivate_account, find_account
from fhir_server.auth.passwords import generate_password
from fhir_server.errors import Conflict, FhirError
from fhir_server.i18n import translate
from fhir_server.mappings.legacy.records import Finding, Mapped
from fhir_server.mappings.legacy.report import ImportReport


def _taken(row: Mapped, username: str) -> Finding:
    params = {"username": username}
    return Finding(
        "cuenta-existente",
        row.table,
        row.row,
        translate("legacy-cuenta-existente", "es", params),
        translate("legacy-cuenta-existente", "en", params),
        "kept",
    )


def create_accounts(engine: sa.Engine, rows: list[Mapped], report: ImportReport, *, dry_run: bool) -> None:
    """Create the accounts of rows that were written (dry run: count what would be created)."""
    for row in rows:
        for legacy in row.accounts:
            existing = find_account(engine, legacy.username)
            if existing is not None:
                if existing.fhir_user == legacy.fhir_user:
                    report.accounts_existing += 1
                else:
                    report.findings.append(_taken(row, legacy.username))
                continue
            if dry_run:
                report.accounts_created += 1
                continue
            try:
                create_account(
                    engine, legacy.username, generate_password(), legacy.role, legacy.fhir_user, legacy.email
                )
            except Conflict:  # the e-mail belongs to another account: create it without one
                create_account(engine, legacy.username, generate_password(), legacy.role, legacy.fhir_user, None)
            except FhirError:
                report.findings.append(_taken(row, legacy.username))
                continue
            deactivate_account(engine, legacy.username)
            report.accounts_created += 1
