"""Hypothesis over the running server: random search parameters, transaction/batch bundles and JSON Patch.

No 5xx, no hang, every error an OperationOutcome, every answer true to the OpenAPI document.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fhir_server.search.registry import r4_registry
from tests.faults.fuzzing import EXAMPLES, Checked
from tests.faults.server import FHIR_JSON

pytestmark = pytest.mark.slow
TYPES = ["Patient", "Observation", "Encounter", "Appointment", "Slot", "Condition", "Practitioner", "MedicationRequest"]
SPECIAL = ["_id", "_lastUpdated", "_sort", "_count", "_include", "_revinclude", "_summary", "_elements", "_total",
           "_has:Observation:subject:code", "_tag", "_profile", "_text", "_content", "_list", "_type", "_format"]  # fmt: skip
MODIFIERS = ["", "", ":exact", ":contains", ":missing", ":not", ":text", ":above", ":below", ":in", ":not-in",
             ":of-type", ":identifier", ":Patient", ":iterate", ":bogus"]  # fmt: skip
PREFIXES = ["", "", "eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap", "zz"]
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)
values = st.one_of(
    text, st.integers(-(10**20), 10**20).map(str), st.floats(allow_nan=True).map(str),
    st.sampled_from(["2024", "2024-02-30", "2024-01-01T10:00:00Z", "1900-01-01T00:00:00+14:00", "http://loinc.org|8867-4",
                     "|x", "a|", "5.4|http://unitsofmeasure.org|mg", "Patient/p1", "p1,p2", "true", "null", "*", ""]),
)  # fmt: skip


@st.composite
def search(draw: st.DrawFn) -> tuple[str, list[tuple[str, str]]]:
    type_name = draw(st.sampled_from(TYPES))
    codes = sorted(r4_registry().for_type(type_name)) + SPECIAL
    names = st.one_of(st.sampled_from(codes), text, st.sampled_from(codes).map(lambda c: f"{c}.name"))
    params = draw(st.lists(st.tuples(names, st.sampled_from(MODIFIERS), st.sampled_from(PREFIXES), values), max_size=4))
    return type_name, [(name + modifier, prefix + value) for name, modifier, prefix, value in params]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3), max_leaves=8,
)  # fmt: skip
resources = st.one_of(
    st.fixed_dictionaries({"resourceType": st.sampled_from(TYPES)}, optional={
        "id": st.from_regex(r"[A-Za-z0-9\-.]{1,64}", fullmatch=True) | text, "status": text,
        "name": st.just([{"family": "Núñez"}]) | json_values, "subject": st.just({"reference": "urn:uuid:e0"}) | json_values,
        "meta": json_values}),
    json_values,
)  # fmt: skip
entries = st.fixed_dictionaries(
    {"request": st.fixed_dictionaries({
        "method": st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "bogus"]),
        "url": st.one_of(st.sampled_from(TYPES), st.sampled_from(TYPES).map(lambda t: f"{t}/f1"),
                         st.sampled_from(TYPES).map(lambda t: f"{t}?_id=f1"), text)},
        optional={"ifNoneExist": st.just("identifier=a|b") | text, "ifMatch": st.just('W/"1"') | text})},
    optional={"fullUrl": st.sampled_from(["urn:uuid:e0", "urn:uuid:e1", "http://x/Patient/1"]) | text,
              "resource": resources},
)  # fmt: skip
bundles = st.fixed_dictionaries(
    {"resourceType": st.just("Bundle"), "type": st.sampled_from(["transaction", "batch", "collection", "history"]) | text,
     "entry": st.lists(entries, max_size=5)},
)  # fmt: skip
paths = st.one_of(
    st.sampled_from(["/name/0/family", "/name/-", "/name/0", "/id", "/meta", "/meta/versionId", "/birthDate", "/gender",
                     "/resourceType", "/telecom", "/active", "", "/", "/name/9", "/name/-1", "/~1x", "/identifier/0/value"]),
    text,
)  # fmt: skip
patch_ops = st.lists(
    st.fixed_dictionaries({"op": st.sampled_from(["add", "remove", "replace", "move", "copy", "test", "bogus"]),
                           "path": paths}, optional={"value": json_values, "from": paths}),
    max_size=4,
) | json_values  # fmt: skip


@pytest.fixture
def server(live_server):
    checked = Checked(live_server)
    checked.request("PUT", "/Patient/f1", json={"resourceType": "Patient", "id": "f1", "name": [{"family": "Vera"}],
                                                "birthDate": "1980-05-01"}, headers=FHIR_JSON)  # fmt: skip
    yield checked
    checked.close()


def test_random_search_parameters(server):
    @given(search())
    @FUZZ
    def run(case: tuple[str, list[tuple[str, str]]]) -> None:
        type_name, params = case
        server.request("GET", f"/{type_name}", params=params)

    run()


def test_random_bundles(server):
    @given(bundles)
    @FUZZ
    def run(bundle: dict[str, Any]) -> None:
        server.request("POST", "", content=json.dumps(bundle), headers=FHIR_JSON)

    run()


def test_random_json_patches(server):
    @given(patch_ops)
    @FUZZ
    def run(patch: Any) -> None:
        response = server.request("PATCH", "/Patient/f1", content=json.dumps(patch),
                                  headers={"Content-Type": "application/json-patch+json"})  # fmt: skip
        after = server.request("GET", "/Patient/f1")
        assert after.status_code == 200 and after.json()["id"] == "f1", (patch, response.text, after.text)

    run()
