"""The write path's statements run on the driver (PostgreSQL) or through SQLAlchemy (SQLite) alike.

On both engines: rows come back as tuples in column order, inside the writing transaction (they see
its writes and go with its rollback), a duplicate key arrives as SQLAlchemy's IntegrityError (the
writes' retry and 409 depend on it), and a statement that carries a value of its own is refused
before it could run without it.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from fhir_server.storage import driver
from fhir_server.storage.repository import SqlStorage
from fhir_server.storage.schema import deferred_record, resource
from fhir_server.storage.writer import Writer

_INSERT = sa.insert(resource).returning(resource.c.pk)
_BY_KEY = sa.select(resource.c.res_id, resource.c.version).where(
    resource.c.res_type == sa.bindparam("t"), resource.c.res_id == sa.bindparam("i")
)
_SET_VERSION = sa.update(resource).where(resource.c.pk == sa.bindparam("key"))


def _row(res_id: str) -> dict[str, object]:
    return {"res_type": "Basic", "res_id": res_id, "version": 1, "last_updated": 1, "deleted": False, "content": b"{}"}


class _Undo(Exception):
    pass


def _by_key(storage: SqlStorage, res_id: str) -> list[tuple[object, ...]]:
    return storage.write(lambda writer: driver.fetch(writer.connection, _BY_KEY, {"t": "Basic", "i": res_id}))


def test_rows_in_the_writing_transaction(storage: SqlStorage) -> None:
    def work(writer: Writer) -> None:
        ((pk,),) = driver.fetch(writer.connection, _INSERT, _row("driver-1"))
        driver.run(writer.connection, _SET_VERSION, {"key": pk, "version": 7})
        assert driver.fetch(writer.connection, _BY_KEY, {"t": "Basic", "i": "driver-1"}) == [("driver-1", 7)]
        assert driver.fetch(writer.connection, _BY_KEY, {"t": "Basic", "i": "absent"}) == []
        raise _Undo

    with pytest.raises(_Undo):
        storage.write(work)
    assert _by_key(storage, "driver-1") == []


def test_a_duplicate_key_arrives_as_sqlalchemys_error(storage: SqlStorage) -> None:
    storage.write(lambda writer: driver.fetch(writer.connection, _INSERT, _row("driver-2")))
    with pytest.raises(sa.exc.IntegrityError), storage.engine.connect() as connection, connection.begin():
        driver.fetch(connection, _INSERT, _row("driver-2"))
    assert _by_key(storage, "driver-2") == [("driver-2", 1)]


def test_an_update_sets_only_the_columns_given() -> None:
    sql = driver.postgres_sql(_SET_VERSION, ("key", "version"))
    assert sql.startswith("UPDATE resource SET version=%(version)s")
    assert "content" not in sql and "%(key)s" in sql


@pytest.mark.parametrize(
    "statement",
    [
        sa.select(deferred_record.c.seq).limit(1),
        sa.select(deferred_record.c.seq).where(deferred_record.c.res_id == "x"),
        sa.delete(deferred_record).where(deferred_record.c.seq == 5),
    ],
)
def test_a_statement_with_values_of_its_own_is_refused(statement: sa.Executable) -> None:
    with pytest.raises(ValueError, match="values of its own"):
        driver.postgres_sql(statement)


def test_many_rows_in_one_insert_or_a_few(storage: SqlStorage) -> None:
    """Values are bound, never rendered (quotes and bytes pass whole); over 500 rows go in several INSERTs."""
    rows = [("Basic", f"d-{n}'; --", f'{{"n": {n}, "q": "\\u0027"}}'.encode()) for n in range(1_101)]
    columns = ("res_type", "res_id", "content")

    def work(writer: Writer) -> list[tuple[object, ...]]:
        driver.insert_values(writer.connection, deferred_record, columns, rows)
        query = sa.select(deferred_record.c.res_type, deferred_record.c.res_id, deferred_record.c.content)
        found = [tuple(row) for row in writer.connection.execute(query.order_by(deferred_record.c.seq))]
        writer.connection.execute(sa.delete(deferred_record))
        return found

    assert storage.write(work) == rows
