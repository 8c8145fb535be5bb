"""`fhir-server load-terminology`: through the write path, idempotent, never replacing complete content by a fragment."""

from __future__ import annotations

import pytest

from fhir_server.cli import main
from fhir_server.interactions.terminology_access import terminology
from fhir_server.interactions.terminology_load import LoadOptions, load_terminology
from fhir_server.model.canonical import CS_DPA, ICD10
from fhir_server.terminology.loaders import cie10
from fhir_server.terminology.loaders.project import default_directory
from tests.terminology.helpers import FIXTURES, must
from tests.terminology.loading import CTX


def test_project_dpa_and_user_cie10_file(storage):
    options = LoadOptions(
        default_directory(), dpa=FIXTURES / "dpa-sintetica.csv", cie10_file=FIXTURES / "icd10-sintetico.json"
    )
    first = load_terminology(storage, CTX, options)
    assert "CodeSystem/cie10" in first.written and "CodeSystem/ec-dpa" in first.written and not first.unchanged
    terms = terminology(storage)
    assert must(terms.code_system(ICD10)).version == "sintetico-1"
    assert must(terms.code_system(CS_DPA)).complete and must(terms.code_system(CS_DPA)).get("010151") is not None
    again = load_terminology(storage, CTX, options)
    assert again.written == [] and len(again.unchanged) == len(first.written)
    defaults = load_terminology(storage, CTX, LoadOptions(default_directory(), skip_cie10=True))
    assert defaults.kept == ["CodeSystem/ec-dpa"] and defaults.written == []
    assert must(terminology(storage).code_system(CS_DPA)).complete


@pytest.mark.slow
def test_installed_packages_built_once(storage):
    if cie10.packages_version() is None:
        pytest.skip("CIE-10 packages not installed")
    first = load_terminology(storage, CTX, LoadOptions(default_directory()))
    assert first.cie10 is not None and "CodeSystem/cie10" in first.written
    assert must(must(terminology(storage).concept(ICD10, "J06.9")).display).startswith("Infección aguda")
    again = load_terminology(storage, CTX, LoadOptions(default_directory()))
    assert again.cie10 is None and again.written == []
    assert any("already current" in note for note in again.notes)


def test_command_line(storage, database_url, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("FHIR_DATABASE_URL", database_url)
    assert main(["load-terminology", "--skip-cie10", "--dpa", str(FIXTURES / "dpa-sintetica.csv")]) == 0
    out = capsys.readouterr().out
    assert "written:" in out and "CIE-10 skipped" in out
    bad = tmp_path / "bad.csv"
    bad.write_text("code,display,parent\nJ02.9,Hija,J02\n")
    assert main(["load-terminology", "--cie10-file", str(bad)]) == 2
    assert "J02" in capsys.readouterr().err


def test_command_line_loads_the_medicines_catalog(storage, database_url, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("FHIR_DATABASE_URL", database_url)
    catalog = FIXTURES.parent / "medicamentos.csv"
    assert main(["load-terminology", "--skip-cie10", "--medicamentos", str(catalog)]) == 0
    assert "MedicationKnowledge" not in capsys.readouterr().err
    stored = storage.read("MedicationKnowledge", "med-2")
    assert stored is not None and b"Aspirina" in (stored.content or b"")
    broken = tmp_path / "rotos.csv"
    broken.write_text("nombre_generico,forma_farmaceutica\nParacetamol,tableta\n")
    assert main(["load-terminology", "--skip-cie10", "--medicamentos", str(broken)]) == 2
    assert "concentracion" in capsys.readouterr().err
