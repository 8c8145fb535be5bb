"""Writer.create_many: rows, versions and index rows as one INSERT would write them, on both engines."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from fhir_server.errors import Conflict
from fhir_server.storage.repository import SqlStorage
from fhir_server.storage.schema import idx_reference, idx_token, resource, resource_version


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
        versions = connection.execute(sa.select(resource_version).where(resource_version.c.resource_pk.in_(pks))).all()
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
    assert sorted((v.resource_pk, v.version, v.method, v.deleted, v.content) for v in versions) == sorted(
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
