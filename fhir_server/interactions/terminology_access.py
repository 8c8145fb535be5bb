"""The terminology service for a storage or an open write transaction, always as current as the database.

Every call takes a fingerprint of the live CodeSystem and ValueSet rows (type, id, version,
lastUpdated: one small query without content) and reloads only what changed, so the 3 MB ICD-10
CodeSystem is parsed once per version per process. State is kept per database (its URL), so two
databases used by one process (tests use SQLite and PostgreSQL side by side) never mix content.
A Writer sees its own uncommitted terminology; after a rollback the fingerprint differs again and the
committed content comes back.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from fhir_server.model.json import loads
from fhir_server.search.query import Clause, SearchQuery
from fhir_server.search.registry import r4_registry
from fhir_server.search.values_parse import TokenValue
from fhir_server.storage.repository import SqlStorage
from fhir_server.storage.writer import Writer
from fhir_server.terminology.codesystem import CodeSystemIndex
from fhir_server.terminology.service import Terminology

TYPES = ("CodeSystem", "ValueSet")
_CHUNK = 50
Key = tuple[str, str]
Stamp = tuple[int, int]


@dataclass(slots=True)
class _Loaded:
    stamp: Stamp
    value: CodeSystemIndex | dict[str, Any]


@dataclass(slots=True)
class _State:
    fingerprint: dict[Key, Stamp] = field(default_factory=dict)
    loaded: dict[Key, _Loaded] = field(default_factory=dict)
    snapshot: Terminology = field(default_factory=lambda: Terminology((), ()))
    lock: threading.Lock = field(default_factory=threading.Lock)


_STATES: dict[str, _State] = {}
# The snapshot each open write transaction took, with its count of terminology writes at the time.
_TAKEN: weakref.WeakKeyDictionary[Writer, tuple[int, Terminology]] = weakref.WeakKeyDictionary()
_STATES_LOCK = threading.Lock()


def _engine(source: SqlStorage | Writer) -> Engine:
    return source.engine if isinstance(source, SqlStorage) else source.connection.engine


def _state(source: SqlStorage | Writer) -> _State:
    key = _engine(source).url.render_as_string(hide_password=False)
    state = _STATES.get(key)
    if state is None:
        with _STATES_LOCK:
            state = _STATES.setdefault(key, _State())
    return state


def _fetch(source: SqlStorage | Writer, type_name: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    param = r4_registry().get(type_name, "_id")
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        values = tuple(TokenValue(None, res_id) for res_id in chunk)
        page = source.search(SearchQuery(type_name, [Clause("_id", param, None, values)], count=len(chunk)))
        for row in page.rows:
            if row.content is not None:
                found[row.id] = loads(row.content)
    return found


def _reload(source: SqlStorage | Writer, state: _State, fingerprint: dict[Key, Stamp]) -> None:
    stale = [key for key, stamp in fingerprint.items() if key not in state.loaded or state.loaded[key].stamp != stamp]
    for type_name in TYPES:
        ids = [res_id for kind, res_id in stale if kind == type_name]
        for res_id, content in _fetch(source, type_name, ids).items():
            value = CodeSystemIndex(content) if type_name == "CodeSystem" else content
            state.loaded[(type_name, res_id)] = _Loaded(fingerprint[(type_name, res_id)], value)
    fresh = {k for k in stale if k in state.loaded and state.loaded[k].stamp == fingerprint[k]}
    for key in [k for k in state.loaded if k not in fingerprint or (k in stale and k not in fresh)]:
        del state.loaded[key]
    # Newest first: a canonical URL held in several versions answers with the latest written.
    newest = sorted(state.loaded.items(), key=lambda item: item[1].stamp[1], reverse=True)
    systems = [loaded.value for _, loaded in newest if isinstance(loaded.value, CodeSystemIndex)]
    value_sets = [loaded.value for _, loaded in newest if isinstance(loaded.value, dict)]
    state.snapshot = Terminology(systems, value_sets)
    # A row that vanished between the fingerprint and the fetch is fetched again next time.
    state.fingerprint = {k: s for k, s in fingerprint.items() if k in state.loaded}


def terminology(source: SqlStorage | Writer) -> Terminology:
    """The terminology of the database behind ``source``, reloaded where the stored resources changed.

    A write transaction checks once (every resource of a bundle or an import chunk asks), and again
    only after it writes a CodeSystem or ValueSet itself.
    """
    if isinstance(source, Writer):
        taken = _TAKEN.get(source)
        if taken is not None and taken[0] == source.terminology_writes:
            return taken[1]
        snapshot = _current(source)
        _TAKEN[source] = (source.terminology_writes, snapshot)
        return snapshot
    return _current(source)


def _current(source: SqlStorage | Writer) -> Terminology:
    fingerprint = {(t, i): (v, updated) for t, i, v, updated in source.versions(TYPES)}
    state = _state(source)
    if fingerprint == state.fingerprint:
        return state.snapshot
    with state.lock:
        if fingerprint != state.fingerprint:
            _reload(source, state, fingerprint)
        return state.snapshot


def warm(storage: SqlStorage) -> None:
    """Load the terminology and the expansions pickers use most, so the first request is fast."""
    from fhir_server.model.canonical import VS_CIE10_DIAGNOSIS

    terms = terminology(storage)
    if terms.value_set(VS_CIE10_DIAGNOSIS) is not None:
        _ = terms.expansion_of(VS_CIE10_DIAGNOSIS).index
