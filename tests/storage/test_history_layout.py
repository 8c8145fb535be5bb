"""History when the current version is not copied (ADR 0016), and over rows an earlier release wrote.

On PostgreSQL a resource's current version lives only in ``resource`` (with its place in history,
``seq``) and moves to ``resource_version`` when replaced; SQLite, and rows written before, keep a copy
of every version. Every check reads through ``SqlStorage``, so both layouts must answer alike.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from fhir_server.storage.history import HistoryQuery
from fhir_server.storage.records import Stored
from fhir_server.storage.repository import SqlStorage
from fhir_server.storage.schema import resource, resource_version
from fhir_server.storage.writer import Writer
from tests.storage.layouts import as_written_before, versions_by_type


def _basic(text: str) -> dict[str, Any]:
    return {"resourceType": "Basic", "code": {"text": text}}


def _save(storage: SqlStorage, res_id: str, text: str | None, method: str = "PUT") -> Stored:
    def work(writer: Writer) -> Stored:
        previous = writer.current("Basic", res_id)
        if text is None:
            assert previous is not None
            return writer.delete(previous)
        return writer.save(_basic(text), res_id, method, previous)

    return storage.write(work)


def _copies(storage: SqlStorage, res_id: str) -> int:
    with storage.engine.connect() as connection:
        stmt = sa.select(sa.func.count()).select_from(resource_version).where(resource_version.c.res_id == res_id)
        return int(connection.execute(stmt).scalar_one())


def test_a_resource_lifecycle_reads_back_whole(storage: SqlStorage) -> None:
    written = [
        _save(storage, "b1", "uno", "POST"),
        _save(storage, "b1", "dos"),
        _save(storage, "b1", "tres", "PATCH"),
        _save(storage, "b1", None),
        _save(storage, "b1", "cinco"),
    ]
    page = storage.history(HistoryQuery(type="Basic", id="b1"))
    assert page.total == 5
    assert [(r.version, r.method, r.deleted, r.content) for r in page.rows] == [
        (s.version, s.method, s.deleted, s.content) for s in reversed(written)
    ]
    for stored in written:
        found = storage.vread("Basic", "b1", stored.version)
        assert found is not None and (found.deleted, found.content) == (stored.deleted, stored.content)
    assert storage.vread("Basic", "b1", 6) is None
    # _at: the version current at each instant, whichever table holds it.
    for stored in written:
        at = storage.history(HistoryQuery(type="Basic", id="b1", at=(stored.last_updated, stored.last_updated + 1)))
        assert [r.version for r in at.rows] == [stored.version]
    postgres = storage.engine.dialect.name == "postgresql"
    assert _copies(storage, "b1") == (4 if postgres else 5)
    with storage.engine.connect() as connection:
        assert versions_by_type(connection)["Basic"] == 5


def test_resources_written_before_keep_one_entry_per_version(storage: SqlStorage) -> None:
    _save(storage, "old", "uno", "POST")
    _save(storage, "old", "dos")
    as_written_before(storage, "old")
    third = _save(storage, "old", "tres")
    as_written_before(storage, "old")
    as_written_before(storage, "old")  # idempotent
    fourth = _save(storage, "old", "cuatro")
    page = storage.history(HistoryQuery(type="Basic", id="old"))
    assert page.total == 4
    assert [r.version for r in page.rows] == [4, 3, 2, 1]
    assert [r.content for r in page.rows[:2]] == [fourth.content, third.content]
    with storage.engine.connect() as connection:
        assert versions_by_type(connection)["Basic"] == 4


def test_system_history_pages_through_both_tables_in_order(storage: SqlStorage) -> None:
    _save(storage, "a", "a1", "POST")
    _save(storage, "b", "b1", "POST")
    as_written_before(storage, "b")
    a2 = _save(storage, "a", "a2")
    _save(storage, "c", "c1", "POST")
    _save(storage, "b", "b2")
    seen: list[tuple[str, int]] = []
    before = None
    while True:
        page = storage.history(HistoryQuery(count=2, before_seq=before))
        seen += [(r.id, r.version) for r in page.rows]
        if page.next_seq is None:
            break
        before = page.next_seq
    assert seen == [("b", 2), ("c", 1), ("a", 2), ("b", 1), ("a", 1)]
    since = storage.history(HistoryQuery(type="Basic", since=a2.last_updated))
    assert [(r.id, r.version) for r in since.rows] == [("b", 2), ("c", 1), ("a", 2)]


def test_an_earlier_release_updating_a_row_keeps_history_whole(storage: SqlStorage) -> None:
    """While workers of the previous release are replaced they update rows as they always did."""
    first = _save(storage, "mixed", "uno", "POST")
    with storage.engine.begin() as connection:  # the previous release's update, statement for statement
        later = first.last_updated + 10
        connection.execute(
            resource.update()
            .where(resource.c.pk == first.pk)
            .values(version=2, last_updated=later, deleted=False, content=b'{"v":2}')
        )
        connection.execute(
            resource_version.insert().values(
                resource_pk=first.pk,
                res_type="Basic",
                res_id="mixed",
                version=2,
                last_updated=later,
                method="PUT",
                deleted=False,
                content=b'{"v":2}',
            )
        )
    third = _save(storage, "mixed", "tres")
    page = storage.history(HistoryQuery(type="Basic", id="mixed"))
    assert [(r.version, r.content) for r in page.rows] == [
        (3, third.content),
        (2, b'{"v":2}'),
        (1, first.content),
    ]
    assert page.total == 3
    assert all(storage.vread("Basic", "mixed", n) is not None for n in (1, 2, 3))
