"""Settings come from FHIR_* variables; the CLI migrates and refuses to serve an old schema."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from fhir_server.cli import main
from fhir_server.settings import Settings
from fhir_server.storage.engine import make_engine
from fhir_server.storage.migrate import is_current


def test_defaults(monkeypatch):
    for name in ("FHIR_DATABASE_URL", "FHIR_BASE_URL", "FHIR_HOST"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert settings.host == "127.0.0.1"
    assert settings.port == 8080
    assert settings.base_url == "http://127.0.0.1:8080/fhir"
    assert settings.timezone == "America/Guayaquil"
    assert settings.default_language == "es"
    assert settings.database_url.startswith("sqlite:///")
    assert settings.auth_enabled is True  # secure by default


def test_environment(monkeypatch):
    monkeypatch.setenv("FHIR_DATABASE_URL", "postgresql://u@h/db")
    monkeypatch.setenv("FHIR_BASE_URL", "https://clinica.example.ec/fhir/")
    monkeypatch.setenv("FHIR_DEFAULT_LANGUAGE", "en")
    monkeypatch.setenv("FHIR_MAX_PAGE_SIZE", "50")
    settings = Settings(_env_file=None)
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert settings.base_url == "https://clinica.example.ec/fhir"
    assert settings.default_language == "en"
    assert settings.max_page_size == 50


def test_bad_values_are_refused(monkeypatch):
    monkeypatch.setenv("FHIR_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ValidationError):
        Settings(_env_file=None)
    monkeypatch.setenv("FHIR_TIMEZONE", "America/Guayaquil")
    monkeypatch.setenv("FHIR_DEFAULT_LANGUAGE", "fr")
    with pytest.raises(ValidationError):
        Settings(_env_file=None)


def test_migrate_then_serve_check(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("FHIR_DATABASE_URL", url)
    assert main(["serve", "--port", "1"]) == 1  # refuses: schema not current
    assert "fhir-server migrate" in capsys.readouterr().err
    assert main(["migrate"]) == 0
    engine = make_engine(url)
    assert is_current(engine)
    engine.dispose()
