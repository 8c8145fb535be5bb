"""History pages read their rows from the ``seq`` indexes, newest first, and stop after a page.

A first form of ADR 0016 read a UNION ALL of both tables ordered by ``seq``; PostgreSQL 15 sorted every
version for each page (15 ms at 43,000 versions, growing with the database). Each statement must now
be a backward index scan under its LIMIT, on a database big enough for the planner to prefer one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from fhir_server.storage.engine import make_engine
from fhir_server.storage.history import HistoryQuery, page_statements
from fhir_server.storage.migrate import upgrade
from fhir_server.storage.params.common import ExtractContext
from fhir_server.storage.records import Stored
from fhir_server.storage.repository import SqlStorage
from fhir_server.storage.writer import Writer
from tests.conftest import BASE_URL, _postgres_database


def _basics(start: int, count: int) -> list[tuple[dict[str, Any], str, str]]:
    return [
        ({"resourceType": "Basic", "code": {"text": f"b{n}"}}, f"b{n}", "POST") for n in range(start, start + count)
    ]


def _revise(res_id: str, writer: Writer) -> Stored:
    body = {"resourceType": "Basic", "code": {"text": f"{res_id} revised"}}
    return writer.save(body, res_id, "PUT", writer.current("Basic", res_id))


def _plan_nodes(plan: dict[str, Any]) -> list[str]:
    found = [plan["Node Type"] + (" Backward" if plan.get("Scan Direction") == "Backward" else "")]
    for child in plan.get("Plans", []):
        found += _plan_nodes(child)
    return found


@pytest.fixture
def postgres_storage() -> Iterator[SqlStorage]:
    for url in _postgres_database():
        engine = make_engine(url)
        try:
            upgrade(engine)
            yield SqlStorage(engine, context=ExtractContext(ZoneInfo("America/Guayaquil"), BASE_URL))
        finally:
            engine.dispose()


@pytest.mark.postgres
def test_history_pages_scan_the_seq_indexes(postgres_storage: SqlStorage) -> None:
    storage = postgres_storage
    for start in range(0, 6000, 1000):
        storage.write(partial(Writer.create_many, items=_basics(start, 1000)))
    for n in range(600):  # versions replaced, so resource_version has rows too
        storage.write(partial(_revise, f"b{n}"))
    storage.refresh_statistics()
    with storage.engine.connect() as connection:
        for query in (
            HistoryQuery(count=20),
            HistoryQuery(type="Basic", count=20),
            HistoryQuery(count=20, before_seq=3000),
        ):
            for statement in page_statements(query):
                sql = str(statement.compile(storage.engine, compile_kwargs={"literal_binds": True}))
                [[plan]] = connection.execute(sa.text("EXPLAIN (FORMAT JSON) " + sql)).all()
                nodes = _plan_nodes((plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"])
                assert nodes[0] == "Limit" and "Sort" not in nodes, nodes
                assert any(node.endswith("Scan Backward") for node in nodes), nodes
