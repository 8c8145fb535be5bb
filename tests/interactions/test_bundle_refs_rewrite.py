"""rewrite: mapped references and urn values replaced in a copy; nothing else changes, the input least of all."""

from __future__ import annotations

import copy
from collections import OrderedDict
from typing import Any

from fhir_server.interactions.bundle_refs import rewrite

MAPPING = {"urn:uuid:1": "Patient/a", "Practitioner?identifier=s|1": "Practitioner/b", "plain": "X/1"}


class Text(str):
    pass


def test_references_and_urn_values_are_replaced() -> None:
    body: dict[str, Any] = {
        "resourceType": "Observation",
        "subject": {"reference": "urn:uuid:1", "display": "urn:uuid:1"},
        "performer": [{"reference": "Practitioner?identifier=s|1"}, {"reference": "urn:uuid:2"}],
        "note": [{"text": "plain"}],  # mapped, but neither a reference nor a urn
        "valueString": "urn:uuid:1",
        "component": [["urn:uuid:1", 1, None, 1.5, True]],  # strings in lists are left alone
        "extension": [{"url": "x", "valueReference": {"reference": Text("urn:uuid:1")}}],
        "contained": [OrderedDict(reference="plain")],
    }
    result = rewrite(body, MAPPING)
    assert result == {
        "resourceType": "Observation",
        "subject": {"reference": "Patient/a", "display": "Patient/a"},
        "performer": [{"reference": "Practitioner/b"}, {"reference": "urn:uuid:2"}],
        "note": [{"text": "plain"}],
        "valueString": "Patient/a",
        "component": [["urn:uuid:1", 1, None, 1.5, True]],
        "extension": [{"url": "x", "valueReference": {"reference": "Patient/a"}}],
        "contained": [{"reference": "X/1"}],
    }
    assert type(result["contained"][0]) is dict


def test_the_top_is_a_copy_and_unchanged_parts_are_shared() -> None:
    body: dict[str, Any] = {"a": {"b": [{"reference": "other"}]}, "c": [{"reference": "urn:uuid:1"}], "d": 1}
    before = copy.deepcopy(body)
    result = rewrite(body, MAPPING)
    assert body == before  # the input is never changed
    assert result == {"a": {"b": [{"reference": "other"}]}, "c": [{"reference": "Patient/a"}], "d": 1}
    assert result is not body  # the write stamps id and meta on it
    assert result["a"] is body["a"]  # nothing to replace inside: the same object
    assert result["c"] is not body["c"] and result["c"][0] is not body["c"][0]
    nothing = {"a": {"b": 1}}
    assert rewrite(nothing, MAPPING) is not nothing and rewrite(nothing, MAPPING)["a"] is nothing["a"]
    top_list = [{"reference": "other"}]
    assert rewrite(top_list, MAPPING) is not top_list and rewrite(top_list, MAPPING)[0] is top_list[0]
