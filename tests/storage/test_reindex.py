"""fhir-server reindex: rebuilds index rows in batches and resumes where an interrupted run stopped."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from fhir_server.interactions import crud
from fhir_server.interactions.context import RequestContext
from fhir_server.interactions.search import search
from fhir_server.model.json import dumps
from fhir_server.storage.reindex import reindex, reindex_type
from fhir_server.storage.schema import idx_string, reindex_progress

CTX = RequestContext(base_url="http://testserver/fhir", language="es", zone=ZoneInfo("America/Guayaquil"))


def _names(storage, name):
    result = search(storage, CTX, "Patient", [("name", name), ("_count", "100")]).body
    bundle = json.loads(dumps(result))
    return {e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"}


@pytest.fixture
def patients(storage):
    for i in range(7):
        body = {"resourceType": "Patient", "id": f"p{i}", "name": [{"family": f"Núñez{i}"}]}
        crud.update(storage, CTX, "Patient", f"p{i}", json.dumps(body).encode())
    crud.delete(storage, CTX, "Patient", "p6")
    with storage.engine.begin() as connection:
        connection.execute(idx_string.delete())
    assert _names(storage, "nunez") == set()
    return storage


def test_reindex_rebuilds_rows(patients):
    done = reindex(patients, ["Patient"], batch=3)
    assert done == {"Patient": 7}
    assert _names(patients, "nunez") == {f"p{i}" for i in range(6)}
    assert reindex_type(patients, "Patient") == 0  # finished for this registry: nothing to redo
    assert reindex_type(patients, "Patient", restart=True) == 7


def test_an_interrupted_run_resumes(patients):
    seen = []

    def stop_after_first_batch(type_name, done, total):
        seen.append((done, total))
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        reindex_type(patients, "Patient", batch=3, progress=stop_after_first_batch)
    assert seen == [(3, 7)]
    with patients.engine.connect() as connection:
        assert connection.execute(sa.select(reindex_progress.c.last_pk)).scalar_one() > 0
    assert reindex_type(patients, "Patient", batch=3) == 4
    assert _names(patients, "nunez") == {f"p{i}" for i in range(6)}
