"""The compiled-SQL cache per search shape: same answers as a fresh build, never shared across shapes.

Each search is compared with the statement ``paging.build_page`` builds for it, run on its own; the
cache also runs in its verifying mode, where every reuse is rebuilt and compared (SQL text and values).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from fhir_server.errors import Invalid
from fhir_server.search.query import Clause, SearchQuery, parse_query
from fhir_server.search.registry import r4_registry
from fhir_server.search.values_parse import TokenValue
from fhir_server.storage import statement_cache
from fhir_server.storage.paging import build_page
from fhir_server.storage.repository import SqlStorage
from fhir_server.storage.search_plan import count_plan, page_plan
from fhir_server.storage.sql_search import build_count

ZONE = ZoneInfo("America/Guayaquil")
FAMILIES = ["Pérez Gómez", "Guamán", "Núñez", "Quishpe", "Andrade"]
CODES = ["8867-4", "8480-6", "29463-7"]


def _query(type_name: str, params: list[tuple[str, str]], zone: ZoneInfo = ZONE) -> SearchQuery:
    return parse_query(
        type_name, params, registry=r4_registry(), zone=zone, base_url="http://testserver/fhir",
        default_count=20, max_count=100, strict=True,
    )  # fmt: skip


@pytest.fixture
def verifying() -> Iterator[None]:
    previous = statement_cache.VERIFY
    statement_cache.clear()
    statement_cache.VERIFY = True
    try:
        yield
    finally:
        statement_cache.VERIFY = previous
        statement_cache.clear()


@pytest.fixture
def seeded(storage: SqlStorage) -> SqlStorage:
    def work(writer: Any) -> None:
        for n in range(12):
            patient = {"resourceType": "Patient", "name": [{"family": FAMILIES[n % 5], "given": [f"Ana{n}"]}],
                       "gender": "female" if n % 2 else "male", "birthDate": f"19{60 + n}-0{1 + n % 9}-15",
                       "identifier": [{"system": "urn:cedula", "value": f"17{n:08d}"}]}  # fmt: skip
            writer.save(patient, f"p{n}", "PUT", None)
            for k in range(4):
                observation = {
                    "resourceType": "Observation", "status": "final" if k % 3 else "amended",
                    "subject": {"reference": f"Patient/p{n}"},
                    "code": {"coding": [{"system": "http://loinc.org", "code": CODES[(n + k) % 3]}]},
                    "effectiveDateTime": f"2024-0{1 + (n + k) % 9}-1{k}T10:00:00-05:00",
                }  # fmt: skip
                writer.save(observation, f"o{n}-{k}", "PUT", None)
        late = {"resourceType": "Observation", "status": "final", "subject": {"reference": "Patient/p3"},
                "code": {"coding": [{"system": "http://loinc.org", "code": CODES[0]}]},
                "effectiveDateTime": "2024-03-10T22:30:00-05:00"}  # already the 11th in UTC  # fmt: skip
        writer.save(late, "o3-late", "PUT", None)
        writer.save({"resourceType": "Condition", "subject": {"reference": "Patient/p1"},
                     "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "J45.9"}]}},
                    "c1", "PUT", None)  # fmt: skip

    storage.write(work)
    return storage


def _fresh_ids(storage: SqlStorage, query: SearchQuery) -> tuple[list[str], int]:
    with storage.read_engine.connect() as connection:
        rows = list(connection.execute(build_page(query)[0]))
        total = int(connection.execute(build_count(query)).scalar_one())
    return [row.res_id for row in rows[: query.count]], total


def _check_pages(storage: SqlStorage, type_name: str, params: list[tuple[str, str]]) -> None:
    """Every page of the search, cached, against the fresh statement of that page."""
    cursor = None
    for _ in range(20):
        query = _query(type_name, [*params, ("_total", "accurate")] + ([("_cursor", cursor)] if cursor else []))
        page = storage.search(query)
        ids, total = _fresh_ids(storage, query)
        assert [row.id for row in page.rows] == ids, (type_name, params, cursor)
        assert page.total == total
        assert all(type(row.content) is bytes and type(row.deleted) is bool for row in page.rows)
        cursor = page.next_cursor
        if cursor is None:
            return
    pytest.fail("too many pages")


SHAPES: list[tuple[str, list[list[tuple[str, str]]]]] = [
    ("Patient", [[("family", f), ("_count", "2")] for f in ("perez", "GUAMAN", "gomez", "zz")]),
    ("Patient", [[("name:exact", f)] for f in ("Núñez", "Andrade", "nuñez")]),
    ("Patient", [[("name:contains", f), ("_count", "3")] for f in ("ña", "de", "%")]),
    ("Patient", [[("gender", g), ("_sort", "-birthdate,family"), ("_count", "4")] for g in ("male", "female")]),
    ("Patient", [[("identifier", f"urn:cedula|17{n:08d}")] for n in (1, 5, 99)]),
    ("Patient", [[("_id", ids)] for ids in ("p1,p2", "p3,p9", "p4,nope")]),
    ("Patient", [[("_sort", s), ("_count", "5")] for s in ("family", "_id")]),
    ("Observation", [[("subject", f"Patient/p{n}"), ("_count", "2"), ("_sort", "-_lastUpdated")] for n in (1, 2, 7)]),
    (
        "Observation",
        [[("patient", f"p{n}"), ("code", f"http://loinc.org|{c}")] for n, c in ((1, CODES[0]), (3, CODES[2]))],
    ),
    # `patient` is `subject` narrowed to Patient: the type in the value must not stop the shape being kept.
    ("Observation", [[("patient", f"Patient/p{n}"), ("_count", "2")] for n in (1, 2, 7)]),
    ("Observation", [[("patient:missing", m), ("_count", "5")] for m in ("false", "true")]),
    ("Observation", [[("date", f"ge2024-0{m}-01"), ("date", f"lt2024-0{m + 2}"), ("_count", "5")] for m in (2, 4, 6)]),
    ("Observation", [[("date", f"eq2024-0{m}"), ("status", s)] for m, s in ((3, "final"), (5, "amended"))]),
    ("Observation", [[("code:not", f"http://loinc.org|{c}"), ("subject", "Patient/p2")] for c in CODES[:2]]),
    ("Observation", [[("subject", f"Patient/p{n}"), ("_sort", "date"), ("_count", "3")] for n in (0, 4)]),
    ("Observation", [[("_lastUpdated", "ge2020-01-01"), ("subject:missing", m)] for m in ("false", "true")]),
    ("Condition", [[("code:below", f"http://hl7.org/fhir/sid/icd-10|{c}")] for c in ("J45", "J4", "K")]),
]


@pytest.mark.parametrize(("type_name", "value_sets"), SHAPES, ids=[f"{t}-{v[0][0][0]}" for t, v in SHAPES])
def test_cached_statement_answers_like_a_fresh_build(
    seeded: SqlStorage, verifying: None, type_name: str, value_sets: list[list[tuple[str, str]]]
) -> None:
    for params in value_sets:
        _check_pages(seeded, type_name, params)
    query = _query(type_name, value_sets[-1])
    plan = page_plan(query, seeded.read_engine.dialect.name)
    assert plan is not None
    assert statement_cache.cached(seeded.read_engine.dialect, plan) is not None


def _sql(storage: SqlStorage, query: SearchQuery) -> str:
    storage.search(query)
    plan = page_plan(query, storage.read_engine.dialect.name)
    assert plan is not None
    sql = statement_cache.cached(storage.read_engine.dialect, plan)
    assert sql is not None
    return sql


def test_values_are_bound_and_the_shape_is_reused(seeded: SqlStorage, verifying: None) -> None:
    first = _sql(seeded, _query("Patient", [("family", "quishpe")]))
    assert "quishpe" not in first
    assert _sql(seeded, _query("Patient", [("family", "andrade")])) is first
    assert len(seeded.search(_query("Patient", [("family", "andrade")])).rows) == 2
    # Another parameter binds its code in the same SQL text, but it is a shape of its own.
    given = _query("Patient", [("given", "andrade")])
    assert _sql(seeded, given) == first
    assert page_plan(given, seeded.read_engine.dialect.name) != page_plan(
        _query("Patient", [("family", "andrade")]), seeded.read_engine.dialect.name
    )
    assert seeded.search(given).rows == []


NARROWING = Clause("_compartment", None, None, ("Patient", "p1"))
DIFFERENT: list[tuple[str, list[tuple[str, str]], list[tuple[str, str]]]] = [
    ("Patient", [("family", "perez")], [("family:exact", "perez")]),
    ("Patient", [("family", "perez")], [("family:contains", "perez")]),
    ("Patient", [("family", "perez")], [("family", "perez"), ("_sort", "family")]),
    ("Observation", [("subject", "p1"), ("_sort", "_lastUpdated")], [("subject", "p1"), ("_sort", "-_lastUpdated")]),
    ("Observation", [("subject", "p1"), ("_sort", "date")], [("subject", "p1"), ("_sort", "-date")]),
    ("Observation", [("code", "http://loinc.org|8867-4")], [("code", "8867-4")]),
    ("Observation", [("code", "http://loinc.org|8867-4")], [("code:not", "http://loinc.org|8867-4")]),
    ("Observation", [("code", "|8867-4")], [("code", "8867-4")]),
    ("Observation", [("date", "ge2024")], [("date", "le2024")]),
    ("Observation", [("subject", "Patient/p1")], [("subject", "p1")]),
    ("Observation", [("subject", "p1,p2")], [("subject", "p1")]),
    ("Patient", [("_id", "p1,p2")], [("_id", "p1")]),
]


@pytest.mark.parametrize(("type_name", "one", "other"), DIFFERENT)
def test_shapes_that_differ_do_not_share_a_statement(
    seeded: SqlStorage, verifying: None, type_name: str, one: list[tuple[str, str]], other: list[tuple[str, str]]
) -> None:
    first, second = _query(type_name, one), _query(type_name, other)
    dialect = seeded.read_engine.dialect.name
    assert page_plan(first, dialect).key != page_plan(second, dialect).key  # type: ignore[union-attr]
    assert _sql(seeded, first) != _sql(seeded, second)
    for params in (one, other):
        _check_pages(seeded, type_name, params)


def test_narrowing_and_cursor_change_the_shape(seeded: SqlStorage, verifying: None) -> None:
    plain = _query("Observation", [("code", "8867-4"), ("_count", "7")])
    narrowed = _query("Observation", [("code", "8867-4"), ("_count", "7")])
    narrowed.clauses.append(NARROWING)
    wider = _query("Observation", [("code", "8867-4"), ("_count", "7")])
    wider.clauses.append(Clause("_compartment", None, None, ("Patient", "p1", "p2")))
    paged = _query("Observation", [("code", "8867-4"), ("_count", "7")])
    paged.cursor = seeded.search(plain).next_cursor
    scoped = _query("Observation", [("code", "8867-4"), ("_count", "7")])
    scoped.clauses.append(
        Clause("status", r4_registry().get("Observation", "status"), None, (TokenValue(None, "final"),))
    )
    statements = {_sql(seeded, query) for query in (plain, narrowed, wider, paged, scoped)}
    assert len(statements) == 5
    for n in range(4):  # other patients in the same narrowed shape
        query = _query("Observation", [("code", "8867-4")])
        query.clauses.append(Clause("_compartment", None, None, ("Patient", f"p{n}")))
        with seeded.read_engine.connect() as connection:
            fresh = [row.res_id for row in connection.execute(build_page(query)[0])]
        assert [row.id for row in seeded.search(query).rows] == fresh
        assert all(row.startswith(f"o{n}-") for row in fresh)


def test_the_clinic_zone_is_a_value_not_a_shape(seeded: SqlStorage, verifying: None) -> None:
    """The same day in two zones: one statement, bound to each zone's own range."""
    dialect = seeded.read_engine.dialect.name
    here = _query("Observation", [("date", "2024-03-10"), ("_count", "50")])
    utc = _query("Observation", [("date", "2024-03-10"), ("_count", "50")], zone=ZoneInfo("UTC"))
    assert page_plan(here, dialect).key == page_plan(utc, dialect).key  # type: ignore[union-attr]
    assert page_plan(here, dialect).values != page_plan(utc, dialect).values  # type: ignore[union-attr]
    for query in (here, utc, here):
        with seeded.read_engine.connect() as connection:
            fresh = [row.res_id for row in connection.execute(build_page(query)[0])]
        assert [row.id for row in seeded.search(query).rows] == fresh
    assert [row.id for row in seeded.search(here).rows] != [row.id for row in seeded.search(utc).rows]


def test_clock_dependent_and_unknown_shapes_take_the_ordinary_path(seeded: SqlStorage, verifying: None) -> None:
    dialect = seeded.read_engine.dialect.name
    for type_name, params in [
        ("Observation", [("date", "ap2024-03-01")]),  # approximate: its bounds move with the clock
        ("Observation", [("subject.name", "perez")]),  # chains
        ("Patient", [("_has:Observation:subject:code", "8867-4")]),
        ("Observation", [("value-quantity", "gt5")]),
    ]:
        query = _query(type_name, params)
        assert page_plan(query, dialect) is None and count_plan(query) is None
        _check_pages(seeded, type_name, params)


def test_a_first_search_with_repeated_values_does_not_fill_the_cache(seeded: SqlStorage, verifying: None) -> None:
    dialect = seeded.read_engine.dialect
    twice = _query("Patient", [("family", "ana"), ("given", "ana")])
    seeded.search(twice)
    plan = page_plan(twice, dialect.name)
    assert plan is not None and statement_cache.cached(dialect, plan) is None  # value order unproven
    assert _sql(seeded, _query("Patient", [("family", "ana"), ("given", "perez")]))
    _check_pages(seeded, "Patient", [("family", "perez"), ("given", "ana")])


def test_a_foreign_cursor_is_still_refused(seeded: SqlStorage, verifying: None) -> None:
    by_date = _query("Observation", [("subject", "p1"), ("_sort", "date"), ("_count", "1")])
    cursor = seeded.search(by_date).next_cursor
    assert cursor is not None
    for params in ([("subject", "p1"), ("_count", "1")], [("subject", "p1"), ("_sort", "-date")]):
        query = _query("Observation", params)
        query.cursor = cursor
        with pytest.raises(Invalid):
            seeded.search(query)
