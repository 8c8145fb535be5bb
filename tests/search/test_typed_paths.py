"""Expressions compiled for one resource type give exactly the generic extractor's nodes, in order."""

from __future__ import annotations

from typing import Any

from fhir_server.model.r4_types import SERVED_TYPES
from fhir_server.search.expressions import compile_expression
from fhir_server.search.registry import r4_registry
from fhir_server.search.typed_paths import compile_for_type
from tests.search import spec_example_data
from tests.storage.test_index_rows_golden import corpus


def _resources() -> list[dict[str, Any]]:
    found = list(corpus())
    for value in vars(spec_example_data).values():
        if isinstance(value, list) and value and isinstance(value[0], dict) and "resourceType" in value[0]:
            found += value
    contained = {"resourceType": "Patient", "id": "c1", "name": [{"family": "Interno"}]}
    found.append({"resourceType": "Observation", "id": "with-contained", "contained": [contained],
                  "status": "final", "code": {"text": "x"}, "subject": {"reference": "#c1"}})  # fmt: skip
    return found


def test_typed_extractors_match_the_generic_ones():
    registry = r4_registry()
    resources = _resources()
    types = {r["resourceType"] for r in resources}
    assert len(resources) > 300 and len(types) > 15
    compared = 0
    for resource in resources:
        type_name = resource["resourceType"]
        for param in registry.for_type(type_name).values():
            if not param.expression:
                continue
            start = (resource, type_name)
            expected = compile_expression(param.expression)(start, {})
            assert compile_for_type(param.expression, type_name)(start) == expected, (type_name, param.code)
            compared += bool(expected)
    assert compared > 3000


def test_every_parameter_of_every_served_type_compiles_for_its_type():
    registry = r4_registry()
    for type_name in SERVED_TYPES:
        empty = ({"resourceType": type_name}, type_name)
        for param in registry.for_type(type_name).values():
            if param.expression:
                expected = compile_expression(param.expression)(empty, {})
                assert compile_for_type(param.expression, type_name)(empty) == expected
