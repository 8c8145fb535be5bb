"""rewrite: mapped references and urn values replaced in a full copy; nothing else changes."""

from __future__ import annotations

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


def test_the_result_is_a_copy() -> None:
    body: dict[str, Any] = {"a": {"b": [{"reference": "other"}]}}
    result = rewrite(body, MAPPING)
    assert result == body
    assert result is not body and result["a"] is not body["a"] and result["a"]["b"][0] is not body["a"]["b"][0]
