"""Legacy logins become user accounts of the authorization server: PENDING ACTIVATION, with no usable
password, linked to their Practitioner or Patient (fhirUser), keeping the legacy e-mail.

Legacy password hashes are never migrated as credentials (they sat next to committed secrets, E1):
the administrator sends activation links (`fhir-server send-activation`) and each person activates
the account by choosing a password through the link. A login disabled in the legacy system is
created deactivated instead: it gets no link until an administrator reactivates it. An account that
already exists is left exactly as it is, so a re-run never activates, deactivates or changes an
account an administrator (or its owner) has since changed.
"""

from __future__ import annotations

import sqlalchemy as sa

from fhir_server.auth.accounts import create_pending_account, deactivate_account, find_account
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
                create_pending_account(engine, legacy.username, legacy.role, legacy.fhir_user, legacy.email)
            except Conflict:  # the e-mail belongs to another account: create it without one
                create_pending_account(engine, legacy.username, legacy.role, legacy.fhir_user, None)
            except FhirError:
                report.findings.append(_taken(row, legacy.username))
                continue
            if not legacy.active:  # disabled in the legacy system: no activation link until an administrator decides
                deactivate_account(engine, legacy.username)
            report.accounts_created += 1
