"""A single write's index rows land whole whatever their shape.

On PostgreSQL one statement inserts them: kinds with a few rows as VALUES, kinds with more as column
arrays. Every row ``index_rows`` extracts must be in its table exactly once, for kinds on either side
of that threshold and for both forms in one statement.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa

from fhir_server.model.json import loads
from fhir_server.storage.index_writer import _FEW_ROWS
from fhir_server.storage.indexing import index_rows
from fhir_server.storage.repository import SqlStorage
from fhir_server.storage.schema import INDEX_TABLES
from fhir_server.storage.writer import Writer


def _patient(names: int, identifiers: int) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "name": [{"family": f"Núñez-{n}", "given": ["María José"]} for n in range(names)],
        "identifier": [{"system": "urn:oid:2.16.858", "value": f"17{n:08d}"} for n in range(identifiers)],
        "birthDate": "1984-02-29",
        "gender": "female",
    }


def _stored_rows(writer: Writer, pk: int) -> dict[str, Counter[tuple[Any, ...]]]:
    found: dict[str, Counter[tuple[Any, ...]]] = {}
    for kind, table in INDEX_TABLES.items():
        columns = [c for c in table.c if c.name not in ("resource_pk", "res_type")]
        rows = writer.connection.execute(sa.select(*columns).where(table.c.resource_pk == pk)).all()
        if rows:
            found[kind] = Counter(tuple(row) for row in rows)
    return found


# (0, 1): every kind a few rows; (1, 1): both forms in one statement; (3, 2), (7, 5): mostly arrays.
CASES = [(0, 1), (1, 1), (3, 2), (7, 5)]


def test_the_cases_cover_both_forms(storage: SqlStorage) -> None:
    sizes = [
        {len(rows) for rows in index_rows({**_patient(*case), "id": "x"}, storage.context).values()} for case in CASES
    ]
    assert max(sizes[0]) <= _FEW_ROWS < max(sizes[-1])
    assert min(sizes[1]) <= _FEW_ROWS < max(sizes[1])


@pytest.mark.parametrize(("names", "identifiers"), CASES)
def test_every_extracted_row_is_stored_once(storage: SqlStorage, names: int, identifiers: int) -> None:
    def work(writer: Writer) -> tuple[dict[str, Counter[tuple[Any, ...]]], dict[str, Counter[tuple[Any, ...]]]]:
        saved = writer.save(_patient(names, identifiers), f"shape-{names}-{identifiers}", "PUT", None)
        stamped = writer.connection.execute(
            sa.text("SELECT content FROM resource WHERE pk = :pk"), {"pk": saved.pk}
        ).scalar_one()
        expected: dict[str, Counter[tuple[Any, ...]]] = {}
        for kind, rows in index_rows(loads(stamped), storage.context).items():
            columns = [c.name for c in INDEX_TABLES[kind].c if c.name not in ("resource_pk", "res_type")]
            expected[kind] = Counter(tuple(row.get(c) for c in columns) for row in rows)
        return expected, _stored_rows(writer, saved.pk)

    expected, stored = storage.write(work)
    assert stored == expected and stored
