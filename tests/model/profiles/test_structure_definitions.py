"""The served StructureDefinitions: valid R4 for three independent readers, faithful to the R4 base, complete."""

from __future__ import annotations

import json
from typing import Any

import pytest
from antlr4 import CommonTokenStream, InputStream, Token  # type: ignore[import-untyped]
from antlr4.error.ErrorListener import ErrorListener  # type: ignore[import-untyped]
from fhir.resources.R4B.structuredefinition import StructureDefinition as R4BStructureDefinition
from fhirclient.models.structuredefinition import StructureDefinition as ClientStructureDefinition
from fhirpathpy import evaluate
from fhirpathpy.parser.generated.FHIRPathLexer import FHIRPathLexer
from fhirpathpy.parser.generated.FHIRPathParser import FHIRPathParser

from fhir_server.model import canonical as c
from fhir_server.model.json import dumps
from fhir_server.model.profiles import structure_definitions, validate_against
from fhir_server.model.profiles.cedula import CEDULA_FHIRPATH
from fhir_server.model.profiles.registry import ALL, layers
from fhir_server.model.validation import validate
from tests.model.profiles import test_clinical, test_staff
from tests.model.profiles.support import PATIENT, MemoryPort, blood_pressure, fresh, vital
from tests.model.spec import load

SDS = structure_definitions()
BY_ID = {sd["id"]: sd for sd in SDS}


def _json(sd: dict[str, Any]) -> Any:
    return json.loads(dumps(sd))


def test_served_definitions():
    clinic_profiles = {
        p.rsplit("/", 1)[1] for p in vars(c).values() if isinstance(p, str) and "/StructureDefinition/ec-" in p
    }
    clinic_profiles |= {clinic for _, clinic in c.VITAL_SIGNS.values()}
    extensions = {
        "address-ec-provincia", "address-ec-canton", "address-ec-parroquia", "patient-grupo-cultural",
        "patient-nivel-instruccion", "patient-ocupacion", "medication-nombre-comercial",
    }  # fmt: skip
    assert set(BY_ID) == clinic_profiles | extensions
    for sd in SDS:
        assert sd["url"] == c.structure_definition(sd["id"])
        assert sd["status"] == "active" and sd["fhirVersion"] == "4.0.1" and sd["derivation"] == "constraint"
        assert sd["kind"] == ("complex-type" if sd["id"] in extensions else "resource")
    for extension in extensions:
        assert BY_ID[extension]["type"] == "Extension" and BY_ID[extension]["context"]
    assert BY_ID["ec-bodytemp"]["baseDefinition"] == "http://hl7.org/fhir/StructureDefinition/bodytemp"
    assert BY_ID["ec-patient"]["baseDefinition"] == "http://hl7.org/fhir/StructureDefinition/Patient"


def test_callers_get_copies():
    structure_definitions()[0]["url"] = "changed"
    assert structure_definitions()[0]["url"] != "changed"


@pytest.mark.parametrize("sd_id", sorted(BY_ID))
def test_fhir_resources_reads_them(sd_id):
    R4BStructureDefinition.model_validate(_json(BY_ID[sd_id]))


@pytest.mark.parametrize("sd_id", sorted(BY_ID))
def test_fhirclient_reads_them(sd_id):
    parsed = ClientStructureDefinition(_json(BY_ID[sd_id]))  # strict: raises on any unknown or mistyped field
    assert parsed.snapshot is not None and parsed.snapshot.element[0].path == parsed.type


def _schema_validator(r4_spec):
    schema = load(r4_spec, "fhir.schema.json")
    definitions = dict(schema["definitions"])
    # The republished schema points at two definitions it does not contain.
    definitions.setdefault("Resource", {"$ref": "#/definitions/ResourceList"})
    definitions.setdefault("integer64", {"type": "string"})
    try:
        import jsonschema_rs
    except ImportError:
        return None, definitions
    wrapper = {"$schema": schema["$schema"], "definitions": definitions}
    return jsonschema_rs.validator_for(
        {**wrapper, "allOf": [{"$ref": "#/definitions/StructureDefinition"}]}
    ), definitions


def _minimal_schema_check(sd: dict[str, Any], definitions: dict[str, Any]) -> list[str]:
    problems = []
    for name, value in (("StructureDefinition", sd), *(("ElementDefinition", e) for e in sd["snapshot"]["element"])):
        properties = definitions[name]["properties"]
        problems += [f"{name}.{key}" for key in value if key not in properties]
        problems += [f"{name} lacks {key}" for key in definitions[name].get("required", []) if key not in value]
    return problems


def test_json_schema_accepts_them(r4_spec):
    validator, definitions = _schema_validator(r4_spec)
    for sd in SDS:
        document = _json(sd)
        if validator is not None:
            assert [str(error) for error in validator.iter_errors(document)] == [], sd["id"]
        assert _minimal_schema_check(document, definitions) == [], sd["id"]


def test_elements_are_well_formed():
    for sd in SDS:
        snapshot, differential = sd["snapshot"]["element"], sd["differential"]["element"]
        ids = [e["id"] for e in snapshot]
        assert snapshot[0]["path"] == sd["type"] and len(ids) == len(set(ids)), sd["id"]
        assert {e["id"] for e in differential} <= set(ids), sd["id"]
        by_id = {e["id"]: e for e in snapshot}
        for element in snapshot:
            if "sliceName" in element:
                parent = element["id"].rsplit(":", 1)[0]
                assert "slicing" in by_id[parent], (sd["id"], element["id"])
            assert len([k for k in element if k.startswith(("fixed", "pattern"))]) <= 1
            assert element["min"] <= (float("inf") if element["max"] == "*" else int(element["max"]))
            assert element["definition"] and element["short"]


def _r4_elements(r4_spec) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for name in ("profiles-resources.json", "profiles-types.json"):
        for entry in load(r4_spec, name)["entry"]:
            resource = entry["resource"]
            if resource["resourceType"] == "StructureDefinition" and resource.get("derivation") != "constraint":
                found.update({e["id"]: e for e in resource["snapshot"]["element"]})
    return found


def test_snapshots_agree_with_the_r4_base(r4_spec):
    r4 = _r4_elements(r4_spec)
    for sd in SDS:
        for element in sd["snapshot"]["element"]:
            base = r4.get(element["base"]["path"])
            assert base is not None, (sd["id"], element["id"])
            assert (element["base"]["min"], element["base"]["max"]) == (base["min"], base["max"]), element["id"]
            # Profiles only narrow: cardinality within the base, types a subset of the base's.
            assert element["min"] >= base["min"], element["id"]
            if base["max"] != "*":
                assert element["max"] != "*" and int(element["max"]) <= int(base["max"]), element["id"]
            ours = {t["code"] for t in element.get("type", [])}
            theirs = {t["code"] for t in base.get("type", [])}
            if element["base"]["path"] == "Extension.url":
                theirs.add("uri")  # R4 writes System.String; fixed[x] needs the FHIR type
            assert ours <= theirs | {"BackboneElement", "Element"}, (sd["id"], element["id"], ours, theirs)


def test_every_enforced_invariant_is_published():
    for profile in ALL:
        if not profile.served:
            continue
        sd = BY_ID[profile.id]
        published = {k["key"] for e in sd["snapshot"]["element"] for k in e.get("constraint", [])}
        own = {k["key"] for e in sd["differential"]["element"] for k in e.get("constraint", [])}
        enforced = {inv.key for layer in layers(profile.url) for inv in layer.invariants}
        assert enforced <= published, profile.id
        assert {inv.key for inv in profile.invariants} == own, profile.id
        for element in sd["snapshot"]["element"]:
            for constraint in element.get("constraint", []):
                assert constraint["human"] and constraint["_human"]["extension"][0]["extension"][1]["valueString"]


class _Raise(ErrorListener):  # type: ignore[misc]
    def syntaxError(self, recognizer, offending_symbol, line, column, msg, e):  # noqa: N802
        raise SyntaxError(f"{column}: {msg}")


def _parses(expression: str) -> bool:
    lexer = FHIRPathLexer(InputStream(expression))
    lexer.removeErrorListeners()
    lexer.addErrorListener(_Raise())
    tokens = CommonTokenStream(lexer)
    parser = FHIRPathParser(tokens)
    parser.removeErrorListeners()
    parser.addErrorListener(_Raise())
    parser.expression()
    return bool(tokens.LA(1) == Token.EOF)


def test_constraint_expressions_are_fhirpath():
    assert not _parses_safely("valueQuantity.where(")
    for sd in SDS:
        for element in sd["snapshot"]["element"]:
            for constraint in element.get("constraint", []):
                assert _parses_safely(constraint["expression"]), (sd["id"], constraint["key"])


def _parses_safely(expression: str) -> bool:
    try:
        return _parses(expression)
    except SyntaxError:
        return False


@pytest.mark.parametrize(
    ("value", "valid"),
    [("1710034065", True), ("0926687856", True), ("1710034064", False), ("2510034065", False), ("1760034065", False)],
)
def test_published_cedula_rule_matches_the_server(value, valid):
    assert evaluate({"value": value}, f"value.select({CEDULA_FHIRPATH})", {}) == [valid]


def test_published_range_rule_matches_the_server():
    [expression] = [
        k["expression"]
        for e in BY_ID["ec-bodytemp"]["snapshot"]["element"]
        for k in e.get("constraint", [])
        if k["key"] == "ec-temp-1"
    ]
    assert evaluate(vital("8310-5", 36.5, "°C", "Cel"), expression, {}) == [True]
    assert evaluate(vital("8310-5", 46, "°C", "Cel"), expression, {}) == [False]


def test_issues_name_rules_the_definitions_publish():
    """Each issue's ``rule`` is an element id or a constraint key of the profile that produced it."""
    cases = [
        (PATIENT | {"gender": None, "identifier": [{"system": c.CEDULA_SYSTEM, "value": "1"}]}, c.PROFILE_PATIENT),
        (vital("8310-5", 46, "°C", "[degF]", effectiveDateTime="2024"), c.structure_definition("ec-bodytemp")),
        (blood_pressure(70, 90) | {"category": []}, c.structure_definition("ec-bp")),
        (
            test_clinical.DIAGNOSIS | {"encounter": None, "code": {"coding": [{"system": c.ICD10, "code": "Z"}]}},
            c.PROFILE_DIAGNOSTICO,
        ),
        (test_staff.ROOM | {"mode": "kind", "partOf": None}, c.PROFILE_CONSULTORIO),
    ]
    for resource, url in cases:
        resource = {k: v for k, v in fresh(resource).items() if v is not None}
        issues = validate_against(resource, [url], MemoryPort())
        assert issues, url
        sd = BY_ID[url.rsplit("/", 1)[1]]
        known = {e["id"] for e in sd["snapshot"]["element"]}
        known |= {k["key"] for e in sd["snapshot"]["element"] for k in e.get("constraint", [])}
        extension_ids = {e["id"] for x in SDS if x["type"] == "Extension" for e in x["snapshot"]["element"]}
        assert {i.params["rule"] for i in issues} <= known | extension_ids, url


def test_the_servers_own_validation_accepts_them():
    for sd in SDS:
        validate(_json(sd))  # raises Invalid (400) with every structural issue
