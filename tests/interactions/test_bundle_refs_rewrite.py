"""rewrite: mapped references and urn values replaced in a copy; nothing else changes, the input least of all."""

from __future__ import annotations

import copy
from collections import OrderedDict
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from fhir_server.interactions.bundle_refs import rewritable, rewrite

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


_KEYS = st.sampled_from(["reference", "valueString", "display", "item"])
_STRINGS = st.sampled_from([*MAPPING, "urn:uuid:2", "Patient/z", "texto"]) | st.builds(
    Text, st.sampled_from([*MAPPING])
)
_JSON = st.recursive(
    _STRINGS | st.integers() | st.none(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_KEYS, children, max_size=3),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_KEYS, _JSON, max_size=4))
def test_rewritable_names_every_string_a_rewrite_replaces(body: dict[str, Any]) -> None:
    # A transaction skips rewriting when no rewritable string is mapped: that must never skip a change.
    if rewritable([body]).isdisjoint(MAPPING):
        assert rewrite(body, MAPPING) == body


def test_rewritable_strings() -> None:
    body = {
        "subject": {"reference": "urn:uuid:1"},
        "performer": [{"reference": "Practitioner/b"}],
        "valueUri": "urn:oid:1.2",
        "note": [{"text": "plain"}],
    }
    assert rewritable([body]) == {"urn:uuid:1", "Practitioner/b", "urn:oid:1.2"}
