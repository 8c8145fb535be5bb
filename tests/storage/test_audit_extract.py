"""An AuditEvent's ``audit_index`` row read straight from the event is the row the generic way gives.

``audit_slots`` reads the paths of the parameters AuditEvents index; ``compact(index_rows(...))`` walks
the registry's expressions. For every shape the server builds they must agree, and for any other shape
``audit_slots`` must either agree or decline (None), so the event is indexed the generic way.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fhir_server.audit.events import Access, Actor, rest_events
from fhir_server.model.meta import stamp
from fhir_server.search.registry import r4_registry
from fhir_server.storage.audit_extract import _dates, _utc_instant_us, audit_slots
from fhir_server.storage.audit_rows import compact
from fhir_server.storage.indexing import _plan, index_rows
from fhir_server.storage.params.common import ExtractContext
from fhir_server.storage.params.date import extract_ranges
from tests.conftest import BASE_URL
from tests.storage.test_audit_rows import NOW, _events, _too_many_entities

CONTEXT = ExtractContext(ZoneInfo("America/Guayaquil"), BASE_URL)


def _generic(pk: int, event: dict[str, Any]) -> list[Any] | None:
    return compact(pk, index_rows(event, CONTEXT))


def _stamped(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [stamp(e, f"a-{n}", 1, NOW) for n, e in enumerate(events)]


def test_the_paths_read_are_the_registry_s() -> None:
    # audit_slots hard-codes these expressions: a change in the registry must revisit it.
    steps = {(s.code, s.type) for s in _plan(r4_registry(), "AuditEvent").steps}
    assert steps == {
        ("_profile", "uri"), ("_security", "token"), ("_source", "uri"), ("_tag", "token"),
        ("action", "token"), ("agent", "reference"), ("date", "date"), ("entity", "reference"),
        ("outcome", "token"), ("subtype", "token"), ("type", "token"),
    }  # fmt: skip
    expressions = {c: p.expression for c, p in r4_registry().for_type("AuditEvent").items() if c[0] != "_"}
    assert expressions == {
        "action": "AuditEvent.action",
        "agent": "AuditEvent.agent.who",
        "date": "AuditEvent.recorded",
        "entity": "AuditEvent.entity.what",
        "outcome": "AuditEvent.outcome",
        "patient": "AuditEvent.agent.who.where(resolve() is Patient) | AuditEvent.entity.what.where(resolve() is Patient)",
        "subtype": "AuditEvent.subtype",
        "type": "AuditEvent.type",
    }


def test_every_event_the_server_builds_gets_the_generic_row() -> None:
    events = _stamped(_events())
    for pk, event in enumerate(events):
        row = audit_slots(pk, event, CONTEXT)
        assert row is not None, event
        assert row == _generic(pk, event), event
    # Again in another order: the values kept per shared object must not leak between events.
    for pk, event in reversed(list(enumerate(events))):
        assert audit_slots(pk, event, CONTEXT) == _generic(pk, event)


def test_events_the_slots_cannot_hold_are_declined() -> None:
    [crowded] = _stamped([_too_many_entities()])
    assert _generic(1, crowded) is None
    assert audit_slots(1, crowded, CONTEXT) is None
    tagged = {**crowded, "entity": crowded["entity"][:2], "meta": {**crowded["meta"], "tag": [{"code": "x"}]}}
    assert audit_slots(1, tagged, CONTEXT) is None


ODD_BUT_TAKEN = [
    {"agent": [{"who": {"identifier": {"value": "x"}}}, {"role": []}]},  # an agent without who
    {"entity": [{"description": "no what"}, {"what": {"reference": "Patient/p-9", "type": "Patient"}}]},
    {"recorded": "2026-11-29"},  # a day, not an instant
    {"subtype": []},
    {"type": {"display": "Only a display"}},
    {"action": ""},
    {"agent": [{"who": {"reference": f"{BASE_URL}/Practitioner/dr-2"}}]},  # this server's absolute URL
    {"entity": [{"what": {"reference": "Observation/o-1/_history/3"}}]},
]
ODD_AND_DECLINED = [
    {"meta": {"versionId": "1", "lastUpdated": "2026-11-29T20:05:06Z", "tag": [{"code": "t"}]}},
    {"type": [{"code": "rest"}]},
    {"subtype": [{"code": "read"}, "search"]},
    {"agent": [{"who": "Practitioner/dr-1"}]},
    {"entity": {"what": {"reference": "Patient/p-1"}}},
    {"recorded": 20261129},
    {"action": ["E"]},
    {"agent": [{"who": {"reference": f"Practitioner/{n}"}} for n in range(4)]},  # more agents than slots
]


@pytest.mark.parametrize("change", ODD_BUT_TAKEN)
def test_unusual_shapes_the_slots_hold_get_the_generic_row(change: dict[str, Any]) -> None:
    event = {**_stamped(_events())[1], **change}
    row = audit_slots(3, event, CONTEXT)
    assert row is not None
    assert row == _generic(3, event)


@pytest.mark.parametrize("change", ODD_AND_DECLINED)
def test_shapes_it_does_not_read_are_declined(change: dict[str, Any]) -> None:
    assert audit_slots(3, {**_stamped(_events())[1], **change}, CONTEXT) is None


def test_a_search_s_events_share_their_parts_and_keep_their_own_patient() -> None:
    doctor = Actor("user", "Practitioner/dr-1", "acc-1", "Ana Pérez", "doctor", "web", "10.0.0.7")
    access = Access("search-type", 200, NOW, doctor, BASE_URL, "req-1", "Observation", None, None,
                    tuple(f"p-{n}" for n in range(20)), "code=8867-4")  # fmt: skip
    events = _stamped(rest_events(access))
    rows = [audit_slots(pk, event, CONTEXT) for pk, event in enumerate(events)]
    assert rows == [_generic(pk, event) for pk, event in enumerate(events)]
    assert len({tuple(r) for r in rows if r is not None}) == 20


_SCALARS = st.one_of(st.none(), st.text(max_size=12), st.integers(), st.booleans())
_REFERENCE = st.one_of(
    _SCALARS,
    st.fixed_dictionaries(
        {},
        optional={
            "reference": st.one_of(
                _SCALARS,
                st.sampled_from(["Patient/p-1", "Observation/o/_history/2", f"{BASE_URL}/Patient/p-2", "#c", "x y"]),
            ),
            "identifier": st.one_of(
                _SCALARS, st.fixed_dictionaries({}, optional={"system": _SCALARS, "value": _SCALARS})
            ),
            "type": st.one_of(_SCALARS, st.just("Patient")),
        },
    ),
)
_CODING = st.one_of(
    _SCALARS, st.fixed_dictionaries({}, optional={"system": _SCALARS, "code": _SCALARS, "display": _SCALARS})
)


def _listed(key: str) -> st.SearchStrategy[Any]:
    item = st.one_of(_SCALARS, st.fixed_dictionaries({}, optional={key: _REFERENCE}))
    return st.one_of(_SCALARS, st.lists(item, max_size=4))


@settings(max_examples=300, deadline=None)
@given(
    changes=st.fixed_dictionaries(
        {},
        optional={
            "type": _CODING,
            "subtype": st.one_of(_CODING, st.lists(_CODING, max_size=3)),
            "action": _SCALARS,
            "outcome": _SCALARS,
            "recorded": st.one_of(_SCALARS, st.sampled_from(["2026-11-29", "2026-11-29T20:05:06Z", "2026-13-01"])),
            "agent": _listed("who"),
            "entity": _listed("what"),
            "meta": st.one_of(_SCALARS, st.fixed_dictionaries({}, optional={"tag": st.just([{"code": "t"}])})),
        },
    )
)
def test_any_shape_is_either_the_generic_row_or_declined(changes: dict[str, Any]) -> None:
    event = copy.deepcopy(_stamped(_events())[1])
    event.update(changes)
    event = {k: v for k, v in event.items() if v is not None or k in ("resourceType", "id")}
    row = audit_slots(7, event, CONTEXT)
    if row is not None:
        assert row == _generic(7, event)


@settings(max_examples=300, deadline=None)
@given(st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59, 999999)))
def test_the_trail_s_instants_get_the_date_extractor_s_range(moment: datetime) -> None:
    text = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    expected = [tuple(r) for r in extract_ranges([(text, "instant")], CONTEXT)]
    assert _utc_instant_us(text) is not None
    assert _dates(text, CONTEXT) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-30T04:42:05.931434+00:00",  # an offset
        "2026-11-30T04:42:05.9314Z",  # fewer digits: a wider range
        "2026-11-30T04:42:05Z",
        "2016-12-31T23:59:60.000000Z",  # a leap second
        "2026-02-30T04:42:05.931434Z",  # no such day
        "٢٠٢٦-11-30T04:42:05.931434Z",  # digits of another script
    ],
)
def test_other_instants_go_the_date_extractor_s_way(text: str) -> None:
    assert _utc_instant_us(text) is None
    try:
        expected = [tuple(r) for r in extract_ranges([(text, "instant")], CONTEXT)]
    except ValueError:
        return
    assert _dates(text, CONTEXT) == expected
