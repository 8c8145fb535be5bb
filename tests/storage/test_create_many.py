"""Writer.create_many: rows, versions and index rows as one INSERT would write them, on both engines."""

from __future__ import annotations

import uuid
from functools import partial

import pytest
import sqlalchemy as sa

from fhir_server.errors import Conflict
from fhir_server.model.json import loads
from fhir_server.storage.history import HistoryQuery
from fhir_server.storage.indexing import index_rows
from fhir_server.storage.records import Stored
from fhir_server.storage.repository import SqlStorage
from fhir_server.storage.schema import INDEX_TABLES, idx_reference, idx_token, resource
from fhir_server.storage.writer import Writer


def _observation(patient: str, code: str) -> dict[str, object]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
        "subject": {"reference": f"Patient/{patient}"},
    }


def test_create_many_writes_rows_in_order(storage: SqlStorage) -> None:
    patient = str(uuid.uuid4())
    ids = [str(uuid.uuid4()) for _ in range(5)]
    items = [(_observation(patient, f"code-{n}"), res_id, "POST") for n, res_id in enumerate(ids)]
    saved = storage.write(lambda writer: writer.create_many(items))

    assert [s.id for s in saved] == ids
    assert [s.pk for s in saved] == sorted(s.pk for s in saved)
    assert len({s.pk for s in saved}) == len(ids)
    pks = [s.pk for s in saved]
    with storage.engine.connect() as connection:
        current = connection.execute(sa.select(resource).where(resource.c.pk.in_(pks))).all()
        tokens = connection.execute(
            sa.select(idx_token.c.resource_pk, idx_token.c.code).where(
                idx_token.c.resource_pk.in_(pks), idx_token.c.param == "code"
            )
        ).all()
        references = connection.execute(
            sa.select(idx_reference.c.resource_pk).where(
                idx_reference.c.resource_pk.in_(pks), idx_reference.c.param == "subject"
            )
        ).all()
    by_pk = {row.pk: row for row in current}
    for stored in saved:
        row = by_pk[stored.pk]
        assert (row.res_type, row.res_id, row.version, row.deleted) == ("Observation", stored.id, 1, False)
        assert row.last_updated == stored.last_updated and row.content == stored.content
    versions = storage.history(HistoryQuery(type="Observation", count=100)).rows
    assert sorted((v.pk, v.version, v.method, v.deleted, v.content) for v in versions) == sorted(
        (s.pk, 1, "POST", False, s.content) for s in saved
    )
    assert sorted(tokens) == sorted((s.pk, f"code-{n}") for n, s in enumerate(saved))
    assert sorted(r.resource_pk for r in references) == sorted(pks)


def test_create_many_of_an_existing_id_is_a_conflict(storage: SqlStorage) -> None:
    res_id = str(uuid.uuid4())
    storage.write(lambda writer: writer.create_many([(_observation("p", "a"), res_id, "PUT")]))
    # The duplicate key is an IntegrityError, retried like any concurrent duplicate, then a conflict.
    with pytest.raises(Conflict):
        storage.write(lambda writer: writer.create_many([(_observation("p", "b"), res_id, "PUT")]))
    with storage.engine.connect() as connection:
        count = connection.execute(
            sa.select(sa.func.count()).select_from(resource).where(resource.c.res_id == res_id)
        ).scalar_one()
    assert count == 1


INDEX_CORPUS: list[dict[str, object]] = [
    {
        "resourceType": "Patient",
        "identifier": [{"system": "urn:oid:2.16.218.1", "value": "1710034065"}],
        "name": [{"family": "Guamán Núñez", "given": ["José"]}],
        "birthDate": "1980-02-29",
        "gender": "male",
        "generalPractitioner": [{"reference": "Practitioner/dr-1"}],
    },
    {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8310-5"}]},
        "subject": {"reference": "Patient/p-1"},
        "effectiveDateTime": "2026-11-28T09:30:00-05:00",
        "valueQuantity": {"value": 37.55, "unit": "Cel", "system": "http://unitsofmeasure.org", "code": "Cel"},
    },
    {
        "resourceType": "RiskAssessment",
        "status": "final",
        "subject": {"reference": "Patient/p-1"},
        "prediction": [{"probabilityDecimal": 0.125}],
    },
    {"resourceType": "ValueSet", "status": "active", "url": "https://fhir.consultorio.ec/ValueSet/x", "name": "X"},
]


def _stored_rows(storage: SqlStorage, pk: int) -> dict[str, list[tuple[object, ...]]]:
    found: dict[str, list[tuple[object, ...]]] = {}
    with storage.engine.connect() as connection:
        for kind, table in INDEX_TABLES.items():
            columns = [c for c in table.columns if c.name not in ("resource_pk", "res_type")]
            rows = connection.execute(sa.select(*columns).where(table.c.resource_pk == pk)).all()
            if rows:
                found[kind] = sorted((tuple(row) for row in rows), key=repr)
    return found


def _expected_rows(resource: dict[str, object], storage: SqlStorage) -> dict[str, list[tuple[object, ...]]]:
    expected: dict[str, list[tuple[object, ...]]] = {}
    for kind, rows in index_rows(resource, storage.context).items():
        if rows:
            columns = [c.name for c in INDEX_TABLES[kind].columns if c.name not in ("resource_pk", "res_type")]
            expected[kind] = sorted((tuple(row.get(c) for c in columns) for row in rows), key=repr)
    return expected


def _save_one(body: dict[str, object], writer: Writer) -> Stored:
    return writer.save(dict(body), str(uuid.uuid4()), "POST", None)


def _create_one(body: dict[str, object], writer: Writer) -> list[Stored]:
    return writer.create_many([(dict(body), str(uuid.uuid4()), "POST")])


def test_one_save_and_create_many_store_the_same_index_rows_in_every_table(storage: SqlStorage) -> None:
    # A single write sends its rows as arrays in one statement on PostgreSQL, create_many COPYs them: both
    # must store exactly the extracted rows, every column (numbers, instants, strings with their collation).
    kinds: set[str] = set()
    for body in INDEX_CORPUS:
        single = storage.write(partial(_save_one, body))
        (many,) = storage.write(partial(_create_one, body))
        assert single.content is not None
        expected = _expected_rows(loads(single.content), storage)
        assert _stored_rows(storage, single.pk) == expected
        assert _stored_rows(storage, many.pk) == expected
        kinds |= set(expected)
    assert kinds == set(INDEX_TABLES)
