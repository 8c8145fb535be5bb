"""fhir-server create-user | create-client | create-first-admin | deactivate-user | set-role | rotate-keys."""

from __future__ import annotations

import io
import json

import pytest
from joserfc.jwk import ECKey

from fhir_server.auth.accounts import LoginResult, check_login, find_account
from fhir_server.auth.clients import get_client
from fhir_server.auth.throttle import LoginLimits
from fhir_server.cli import main
from fhir_server.storage.engine import make_engine
from fhir_server.storage.migrate import upgrade


@pytest.fixture
def cli_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("FHIR_DATABASE_URL", url)
    monkeypatch.setenv("FHIR_BASE_URL", "http://127.0.0.1:8080/fhir")
    engine = make_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()


def _account(engine, username):
    account = find_account(engine, username)
    assert account is not None
    return account


def _client(engine, client_id):
    client = get_client(engine, client_id)
    assert client is not None
    return client


def _output(capsys):
    return capsys.readouterr().out


def test_first_admin_only_once_with_a_random_password(cli_db, capsys):
    assert main(["create-first-admin"]) == 0
    out = _output(capsys)
    password = next(line.split(": ", 1)[1] for line in out.splitlines() if "password:" in line)
    assert "user: admin" in out and "http://127.0.0.1:8080/auth/authorize" in out
    assert len(password) >= 16
    assert check_login(cli_db, "admin", password, "127.0.0.1", LoginLimits())[0] is LoginResult.OK
    assert main(["create-first-admin"]) == 0
    assert _output(capsys) == ""  # an administrator exists: nothing created, nothing printed


def test_create_user_with_stdin_password_prints_no_secret(cli_db, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("mi-clave-secreta-1\n"))
    code = main(
        [
            "create-user",
            "--username",
            "Lucia",
            "--role",
            "doctor",
            "--fhir-user",
            "Practitioner/lucia",
            "--password-stdin",
        ]
    )
    assert code == 0
    out = _output(capsys)
    assert "mi-clave-secreta-1" not in out and "password" not in out
    assert check_login(cli_db, "lucia", "mi-clave-secreta-1", "127.0.0.1", LoginLimits())[0] is LoginResult.OK


def test_create_user_generates_a_password_shown_once(cli_db, capsys):
    assert main(["create-user", "--username", "pepe", "--role", "paciente", "--fhir-user", "Patient/p1"]) == 0
    password = _output(capsys).split("password (shown once): ")[1].strip()
    assert check_login(cli_db, "pepe", password, "127.0.0.1", LoginLimits())[0] is LoginResult.OK


def test_role_change_and_deactivation(cli_db, capsys):
    main(["create-user", "--username", "rita", "--role", "enfermera", "--fhir-user", "Practitioner/rita"])
    assert main(["set-role", "--username", "rita", "--role", "doctor"]) == 0
    assert _account(cli_db, "rita").role == "doctor"
    assert main(["deactivate-user", "--username", "rita"]) == 0
    assert not _account(cli_db, "rita").active
    assert main(["set-role", "--username", "nadie", "--role", "doctor"]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_bad_input_is_refused(cli_db, capsys):
    assert main(["create-user", "--username", "tito", "--role", "doctor"]) == 2
    assert "fhirUser" in capsys.readouterr().err


def test_clients(cli_db, capsys, tmp_path):
    assert (
        main(
            [
                "create-client",
                "--kind",
                "public",
                "--name",
                "App",
                "--client-id",
                "app-1",
                "--redirect-uri",
                "https://app.example.ec/cb",
            ]
        )
        == 0
    )
    assert "client_secret" not in _output(capsys)
    assert _client(cli_db, "app-1").redirect_uris == ("https://app.example.ec/cb",)

    assert (
        main(
            [
                "create-client",
                "--kind",
                "confidential",
                "--name",
                "BFF",
                "--client-id",
                "bff",
                "--redirect-uri",
                "https://clinica.example.ec/cb",
                "--no-consent",
            ]
        )
        == 0
    )
    secret = _output(capsys).split("client_secret (shown once): ")[1].strip()
    client = _client(cli_db, "bff")
    assert client.check_client_secret(secret) and not client.consent_required
    assert secret not in (client.secret_hash or "")

    jwks = {"keys": [ECKey.generate_key("P-384", parameters={"kid": "k1"}).as_dict(private=False)]}
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(jwks))
    assert (
        main(
            [
                "create-client",
                "--kind",
                "backend",
                "--name",
                "Otro EHR",
                "--client-id",
                "ehr-2",
                "--jwks-file",
                str(path),
                "--scope",
                "system/Patient.rs",
            ]
        )
        == 0
    )
    assert _client(cli_db, "ehr-2").allowed_scope == "system/Patient.rs"

    private = {"keys": [ECKey.generate_key("P-384", parameters={"kid": "k2"}).as_dict(private=True)]}
    path.write_text(json.dumps(private))
    assert main(["create-client", "--kind", "backend", "--name", "Mal", "--jwks-file", str(path)]) == 2
    assert main(["create-client", "--kind", "public", "--name", "Mal", "--redirect-uri", "http://evil.example/cb"]) == 2


def test_rotate_keys(cli_db, capsys):
    assert main(["rotate-keys"]) == 0
    assert "new signing key:" in _output(capsys)
