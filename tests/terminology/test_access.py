"""The glue: the engine follows the database, per database, and inside an open write transaction."""

from __future__ import annotations

import copy

import pytest

from fhir_server.interactions.terminology_access import terminology
from fhir_server.interactions.writes import put_in
from fhir_server.storage.engine import make_engine
from fhir_server.storage.migrate import upgrade
from fhir_server.storage.repository import SqlStorage
from tests.terminology.helpers import COLORS, colors, value_set
from tests.terminology.loading import CTX, put_all


def test_follows_writes_and_deletes(storage):
    assert terminology(storage).code_system(COLORS) is None
    put_all(
        storage,
        [
            colors(),
            value_set(
                "calidos",
                {"include": [{"system": COLORS, "filter": [{"property": "concept", "op": "is-a", "value": "calido"}]}]},
            ),
        ],
    )
    first = terminology(storage)
    assert first is terminology(storage)  # nothing changed: the same snapshot, no reload
    assert len(first.expansion_of("https://example.org/ValueSet/calidos")) == 4
    source = first.code_system(COLORS)
    changed = copy.deepcopy(colors())
    changed["concept"].append(
        {"code": "ambar", "display": "Ámbar", "property": [{"code": "parent", "valueCode": "calido"}]}
    )
    put_all(storage, [changed])
    second = terminology(storage)
    assert second.code_system(COLORS) is not source
    assert len(second.expansion_of("https://example.org/ValueSet/calidos")) == 5
    put_all(storage, [value_set("otro", {"include": [{"system": COLORS}]})])
    assert terminology(storage).code_system(COLORS) is second.code_system(COLORS)  # parsed once per version
    storage.write(lambda writer: writer.delete(writer.current("CodeSystem", "colores")))
    assert terminology(storage).code_system(COLORS) is None


def test_writer_sees_its_own_transaction(storage):
    class Rollback(Exception):
        pass

    def work(writer):
        before = terminology(writer)
        assert before.code_system(COLORS) is None
        assert terminology(writer) is before  # taken once per transaction while it writes no terminology
        put_in(writer, CTX, colors(), "colores", None)
        assert terminology(writer).code_system(COLORS) is not None
        raise Rollback

    with pytest.raises(Rollback):
        storage.write(work)
    assert terminology(storage).code_system(COLORS) is None


def test_databases_never_mix(storage, tmp_path):
    other_engine = make_engine(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    try:
        upgrade(other_engine)
        other = SqlStorage(other_engine, context=storage.context)
        put_all(other, [colors()])
        assert terminology(other).code_system(COLORS) is not None
        assert terminology(storage).code_system(COLORS) is None
    finally:
        other_engine.dispose()
