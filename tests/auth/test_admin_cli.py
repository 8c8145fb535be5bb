"""fhir-server list-users | set-email | create-user --email | outbox."""

from __future__ import annotations

import pytest

from fhir_server.auth.accounts import create_account, find_account
from fhir_server.auth.mail import OutboxSender
from fhir_server.auth.resets import PasswordResets
from fhir_server.cli import main
from fhir_server.storage.engine import make_engine
from fhir_server.storage.migrate import upgrade

PASSWORD = "clave-segura-123"


@pytest.fixture
def cli_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("FHIR_DATABASE_URL", url)
    monkeypatch.setenv("FHIR_BASE_URL", "http://127.0.0.1:8080/fhir")
    engine = make_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()


def test_list_users_and_e_mails(cli_db, capsys):
    assert (
        main(
            [
                "create-user",
                "--username",
                "dra",
                "--role",
                "doctor",
                "--fhir-user",
                "Practitioner/d",
                "--email",
                "Dra@Clinica.ec",
            ]
        )
        == 0
    )
    create_account(cli_db, "ana", PASSWORD, "secretaria", "Practitioner/a")
    capsys.readouterr()
    assert main(["set-email", "--username", "ana", "--email", "ana@clinica.ec"]) == 0
    assert "ana@clinica.ec" in capsys.readouterr().out
    assert main(["list-users"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["username", "role", "active", "fhirUser", "email"]
    assert lines[1].split() == ["ana", "secretaria", "yes", "Practitioner/a", "ana@clinica.ec"]
    assert lines[2].split() == ["dra", "doctor", "yes", "Practitioner/d", "dra@clinica.ec"]
    assert main(["list-users", "--role", "doctor"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2
    assert main(["set-email", "--username", "ana", "--email", "dra@clinica.ec"]) == 2  # taken
    assert "dra@clinica.ec" in capsys.readouterr().err
    assert main(["set-email", "--username", "ana", "--email", ""]) == 0
    account = find_account(cli_db, "ana")
    assert account is not None and account.email is None


def test_outbox_prints_and_forgets_delivered_links(cli_db, capsys):
    create_account(cli_db, "ana", PASSWORD, "secretaria", "Practitioner/a", email="ana@clinica.ec")
    PasswordResets(cli_db, public_url="http://127.0.0.1:8080/auth", sender=OutboxSender()).request("ana", "1", "es")
    assert main(["outbox"]) == 0
    shown = capsys.readouterr()
    assert "To: ana@clinica.ec" in shown.out and "http://127.0.0.1:8080/auth/reset?token=" in shown.out
    assert "1 message(s)" in shown.err
    assert main(["outbox", "--mark-sent"]) == 0
    assert "marked sent" in capsys.readouterr().err
    assert main(["outbox"]) == 0
    assert capsys.readouterr().out == ""
