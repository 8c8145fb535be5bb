"""The in-memory engine on synthetic code systems: hierarchy, filters, expansions, lookups, validation."""

from __future__ import annotations

import pytest

from fhir_server.errors import Invalid, NotFound, Unprocessable
from fhir_server.model.canonical import VS_CIE10_ALL, VS_CIE10_DIAGNOSIS
from fhir_server.terminology.codesystem import CodeSystemIndex
from fhir_server.terminology.expand import ExpandRequest, expand
from fhir_server.terminology.lookup import lookup, subsumes
from fhir_server.terminology.text import WordIndex, filter_tokens, words
from fhir_server.terminology.validation import CodingInput, codings_from, validate_in_code_system, validate_in_value_set
from tests.terminology.helpers import COLORS, ICD10, colors, must, synthetic_icd10, terms, value_set


def _codes(expansion) -> list[str]:
    return [e.concept.code for e in expansion.entries]


def _param(parameters, name):
    return next((p for p in parameters["parameter"] if p["name"] == name), None)


def test_words_fold_case_and_accents():
    assert words("Infección AGUDA (vías)") == ["infeccion", "aguda", "vias"]
    assert filter_tokens("  J06.9  Fári ") == ["j06.9", "fari"]
    index = WordIndex([["faringitis", "aguda"], ["amigdalitis", "aguda"], ["j02"]])
    assert index.search("agu") == [0, 1]
    assert index.search("fari agu") == [0]
    assert index.search("zzz") == []
    assert index.search("  ") is None


def test_nested_hierarchy():
    source = CodeSystemIndex(synthetic_icd10())
    assert must(source.get("J06.9")).parents == ["J06"]
    assert must(source.get("J06")).parents == ["J00-J06"]
    assert must(source.get("J00-J06")).parents == ["X"]
    assert must(source.get("X")).parents == []
    assert must(source.get("J02")).children == ["J02.0", "J02.7", "J02.8", "J02.9"]
    assert source.ancestors("J06.9") == {"J06", "J00-J06", "X"}
    assert "J18.5" in source.descendants("X")
    assert (
        must(source.get("J02.7")).inactive and must(source.get("X")).abstract and not must(source.get("J06.9")).abstract
    )
    assert source.has_hierarchy and source.complete


def test_parent_property_hierarchy_and_case_insensitivity():
    source = CodeSystemIndex(colors())
    assert must(source.get("CARMESI")).code == "carmesi"
    assert source.ancestors("carmesi") == {"rojo", "calido"}
    assert source.descendants("calido") == {"rojo", "carmesi", "naranja"}
    assert must(source.get("gris")).inactive
    assert source.subsumes("calido", "carmesi") == "subsumes"
    assert source.subsumes("carmesi", "calido") == "subsumed-by"
    assert source.subsumes("rojo", "rojo") == "equivalent"
    assert source.subsumes("rojo", "azul") == "not-subsumed"


def test_displays_by_language():
    source = CodeSystemIndex(colors())
    concept = must(source.get("rojo"))
    assert source.display_for(concept, "es") == "Rojo"
    assert source.display_for(concept, "en") == "Red"
    assert source.display_for(concept, "en-US") == "Red"
    assert source.display_for(concept, "fr") == "Rojo"
    assert source.display_matches(concept, "  ROJO ") and source.display_matches(concept, "red")
    assert not source.display_matches(concept, "Azul")


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ([{"property": "concept", "op": "is-a", "value": "calido"}], ["calido", "rojo", "carmesi", "naranja"]),
        ([{"property": "concept", "op": "descendent-of", "value": "calido"}], ["rojo", "carmesi", "naranja"]),
        ([{"property": "concept", "op": "is-not-a", "value": "calido"}], ["frio", "azul", "gris"]),
        ([{"property": "concept", "op": "generalizes", "value": "carmesi"}], ["calido", "rojo", "carmesi"]),
        ([{"property": "parent", "op": "=", "value": "calido"}], ["rojo", "naranja"]),
        ([{"property": "tono", "op": "=", "value": "fuerte"}], ["rojo", "carmesi", "azul"]),
        ([{"property": "tono", "op": "in", "value": "suave,otro"}], ["naranja"]),
        ([{"property": "tono", "op": "not-in", "value": "fuerte"}], ["calido", "naranja", "frio", "gris"]),
        ([{"property": "code", "op": "regex", "value": "r.*o"}], ["rojo"]),
        ([{"property": "tono", "op": "exists", "value": "false"}], ["calido", "frio", "gris"]),
        ([{"property": "inactive", "op": "=", "value": "true"}], ["gris"]),
        (
            [
                {"property": "concept", "op": "is-a", "value": "calido"},
                {"property": "tono", "op": "=", "value": "fuerte"},
            ],
            ["rojo", "carmesi"],
        ),
    ],
)
def test_compose_filters(filters, expected):
    vs = value_set("filtrado", {"include": [{"system": COLORS, "filter": filters}]})
    assert _codes(terms(vs).expansion_of(vs["url"])) == expected


def test_compose_concepts_exclude_imports_and_inactive():
    warm = value_set(
        "calidos",
        {"include": [{"system": COLORS, "filter": [{"property": "concept", "op": "is-a", "value": "calido"}]}]},
    )
    strong = value_set(
        "fuertes", {"include": [{"system": COLORS, "filter": [{"property": "tono", "op": "=", "value": "fuerte"}]}]}
    )
    both = value_set("ambos", {"include": [{"valueSet": [warm["url"], strong["url"]]}]})
    listed = value_set(
        "lista",
        {
            "inactive": False,
            "include": [
                {
                    "system": COLORS,
                    "concept": [{"code": "azul", "display": "Azul marino"}, {"code": "gris"}, {"code": "nope"}],
                }
            ],
            "exclude": [{"system": COLORS, "concept": [{"code": "rojo"}]}],
        },
    )
    engine = terms(warm, strong, both, listed)
    assert _codes(engine.expansion_of(both["url"])) == ["rojo", "carmesi"]
    expansion = engine.expansion_of(listed["url"])
    assert _codes(expansion) == ["azul"]  # unknown code dropped (complete system), inactive gris dropped
    assert expansion.entries[0].concept.display == "Azul marino"


def test_expansion_errors():
    missing = value_set("otro", {"include": [{"system": "https://example.org/no-held"}]})
    bad_filter = value_set(
        "malo", {"include": [{"system": COLORS, "filter": [{"property": "tono", "op": "is-a", "value": "x"}]}]}
    )
    loop = value_set("bucle", {"include": [{"valueSet": ["https://example.org/ValueSet/bucle"]}]})
    engine = terms(missing, bad_filter, loop)
    for vs in (missing, bad_filter, loop):
        with pytest.raises(Unprocessable):
            engine.expansion_of(vs["url"])
    with pytest.raises(NotFound):
        engine.expansion_of("https://example.org/ValueSet/nada")


def test_cie10_value_sets_on_synthetic_content():
    engine = terms()
    everything = engine.expansion_of(VS_CIE10_ALL)
    diagnosis = engine.expansion_of(VS_CIE10_DIAGNOSIS)
    assert len(everything) == len(CodeSystemIndex(synthetic_icd10()).concepts)
    codes = _codes(diagnosis)
    assert {"J06.9", "I10", "R51", "J02.9"} <= set(codes)
    assert not {"J06", "J00-J06", "X", "J02.7"} & set(codes)  # parents, groups and the inactive code


def test_codelookup_port():
    engine = terms()
    info = engine.concept(ICD10, "J06.9")
    assert info is not None and info.parents == ("J06",) and info.leaf and info.selectable
    assert must(engine.concept(ICD10, "X")).selectable is False
    assert engine.concept(ICD10, "Z00") is None
    assert engine.concept("https://example.org/unknown", "a") is None
    assert engine.knows_system(ICD10) and not engine.knows_system("https://example.org/unknown")
    assert engine.in_value_set(VS_CIE10_DIAGNOSIS, ICD10, "J06.9") is True
    assert engine.in_value_set(VS_CIE10_DIAGNOSIS, ICD10, "J06") is False
    assert engine.in_value_set(VS_CIE10_DIAGNOSIS, None, "J06.9") is True
    assert engine.in_value_set("https://example.org/ValueSet/none", ICD10, "J06.9") is None


def test_fragment_knows_nothing_about_absent_codes():
    fragment = {**colors(), "content": "fragment", "url": "https://example.org/frag", "id": "frag"}
    vs = value_set("frag", {"include": [{"system": "https://example.org/frag"}]})
    engine = terms(vs)
    engine = type(engine)([CodeSystemIndex(fragment)], [vs])
    assert not engine.knows_system("https://example.org/frag")
    assert engine.in_value_set(vs["url"], "https://example.org/frag", "rojo") is True
    assert engine.in_value_set(vs["url"], "https://example.org/frag", "violeta") is None


def test_expand_filter_paging_language():
    engine = terms()
    vs = must(engine.value_set(VS_CIE10_DIAGNOSIS))
    expansion = engine.expansion(vs)
    found = expand(vs, expansion, ExpandRequest(filter="faringitis", count=2, display_language="es"))
    body = found["expansion"]
    assert body["total"] == 3 and body["offset"] == 0  # J02.0, J02.8, J02.9; J02.7 is inactive
    assert [c["code"] for c in body["contains"]] == ["J02.0", "J02.8"]
    page_two = expand(vs, expansion, ExpandRequest(filter="FARÍNGITIS", offset=2, count=2, display_language="en"))
    assert [c["code"] for c in page_two["expansion"]["contains"]] == ["J02.9"]
    assert page_two["expansion"]["contains"][0]["display"] == "Test acute pharyngitis, unspecified"
    by_code = expand(vs, expansion, ExpandRequest(filter="J02", count=10))
    assert [c["code"] for c in by_code["expansion"]["contains"]] == ["J02.0", "J02.8", "J02.9"]
    assert [c["code"] for c in expand(vs, expansion, ExpandRequest(filter="j069"))["expansion"]["contains"]] == [
        "J06.9"
    ]
    assert expand(vs, expansion, ExpandRequest(filter="pharyng unspec"))["expansion"]["total"] == 1
    echoed = {p["name"] for p in found["expansion"]["parameter"]}
    assert {"filter", "count", "offset", "displayLanguage", "version"} <= echoed


def test_expand_limits_flags_and_parent():
    engine = terms()
    vs = must(engine.value_set(VS_CIE10_ALL))
    expansion = engine.expansion(vs)
    with pytest.raises(Unprocessable) as raised:
        expand(vs, expansion, ExpandRequest(limit=5))
    assert raised.value.issues[0].code == "too-costly"
    assert expand(vs, expansion, ExpandRequest(limit=5, count=3))["expansion"]["total"] == len(expansion)
    everything = expand(vs, expansion, ExpandRequest(filter="faringitis"))["expansion"]["contains"]
    assert {"J02.7", "J02"} <= {c["code"] for c in everything}
    assert next(c for c in everything if c["code"] == "J02.7")["inactive"] is True
    active = expand(vs, expansion, ExpandRequest(filter="faringitis", active_only=True))["expansion"]["contains"]
    assert "J02.7" not in {c["code"] for c in active}
    below = expand(vs, expansion, ExpandRequest(parent="J00-J06", exclude_not_for_ui=True))["expansion"]["contains"]
    assert {c["code"] for c in below} >= {"J02", "J06.9"} and "J00-J06" not in {c["code"] for c in below}
    with pytest.raises(Invalid):
        expand(vs, expansion, ExpandRequest(offset=-1))


def test_lookup():
    engine = terms()
    result = lookup(engine, ICD10, "J06", language="es")
    assert _param(result, "display")["valueString"].startswith("Infecciones agudas")
    properties = [p["part"] for p in result["parameter"] if p["name"] == "property"]
    parents = [parts[1]["valueCode"] for parts in properties if parts[0]["valueCode"] == "parent"]
    children = [parts[1]["valueCode"] for parts in properties if parts[0]["valueCode"] == "child"]
    assert parents == ["J00-J06"] and children == ["J06.0", "J06.8", "J06.9"]
    english = lookup(engine, ICD10, "J06", language="en", properties=["parent"])
    assert _param(english, "display")["valueString"] == "Test acute upper respiratory infections"
    assert {p["part"][0]["valueCode"] for p in english["parameter"] if p["name"] == "property"} == {"parent"}
    with pytest.raises(NotFound):
        lookup(engine, ICD10, "Z99")
    with pytest.raises(NotFound):
        lookup(engine, "https://example.org/none", "a")
    with pytest.raises(Invalid):
        lookup(engine, None, "a")


def test_subsumes():
    engine = terms()
    assert subsumes(engine, ICD10, "J00-J06", "J06.9")["parameter"][0]["valueCode"] == "subsumes"
    assert subsumes(engine, ICD10, "J06.9", "X")["parameter"][0]["valueCode"] == "subsumed-by"
    assert subsumes(engine, ICD10, "J06.9", "J06.9")["parameter"][0]["valueCode"] == "equivalent"
    assert subsumes(engine, ICD10, "J02", "J06.9")["parameter"][0]["valueCode"] == "not-subsumed"
    with pytest.raises(Invalid):
        subsumes(engine, ICD10, "J02", "Z99")


def test_validate_code():
    engine = terms()
    ok = validate_in_code_system(engine, ICD10, [CodingInput(ICD10, "J06.9")])
    assert _param(ok, "result")["valueBoolean"] is True and _param(ok, "message") is None
    wrong_display = validate_in_code_system(engine, ICD10, [CodingInput(ICD10, "J06.9", "Resfriado")], language="en")
    assert _param(wrong_display, "result")["valueBoolean"] is True
    assert "Resfriado" in _param(wrong_display, "message")["valueString"]
    unknown = validate_in_code_system(engine, ICD10, [CodingInput(ICD10, "J99.99")])
    assert _param(unknown, "result")["valueBoolean"] is False and "J99.99" in _param(unknown, "message")["valueString"]
    abstract = validate_in_code_system(engine, ICD10, [CodingInput(ICD10, "X")], abstract_ok=False)
    assert _param(abstract, "result")["valueBoolean"] is False
    expansion = engine.expansion_of(VS_CIE10_DIAGNOSIS)
    inside = validate_in_value_set(
        engine,
        expansion,
        [CodingInput(ICD10, "J06.9", "infeccion aguda de vias respiratorias altas sin especificar, PRUEBA")],
    )
    assert _param(inside, "result")["valueBoolean"] is True and _param(inside, "message") is None
    outside = validate_in_value_set(engine, expansion, [CodingInput(ICD10, "J06")])
    assert _param(outside, "result")["valueBoolean"] is False
    retired = validate_in_value_set(engine, expansion, [CodingInput(ICD10, "J02.7")])
    assert _param(retired, "result")["valueBoolean"] is False
    any_of = validate_in_value_set(
        engine,
        expansion,
        codings_from(
            None,
            None,
            None,
            codeable_concept={"coding": [{"system": ICD10, "code": "J06"}, {"system": ICD10, "code": "I10"}]},
        ),
    )
    assert _param(any_of, "result")["valueBoolean"] is True
    with pytest.raises(Invalid):
        codings_from(None, None, None)
