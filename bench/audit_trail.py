"""What one AuditEvent costs to store: the trail's CPU and PostgreSQL's, per event, on a scratch database.

Queues the soak's kinds of accesses (reads of one patient's resource, searches returning several
patients: BALP writes one event per patient) on a started ``AuditTrail`` and flushes it in batches,
as its thread does. Prints events per second, this process's CPU per event and the CPU of the
scratch database's PostgreSQL backends per event (from /proc), and the index rows stored per event
(``audit_index``: the events whose rows fit one row each, ADR 0019).
CPU time, so other work on the machine disturbs it less than wall time; run it under the bench lock.

Usage: python bench/audit_trail.py [--events 30000] [--admin-url URL]
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid

import sqlalchemy as sa
from pg_scratch import BackendCpu, libpq_url, scratch_database

from fhir_server.audit.events import Access, Actor
from fhir_server.interactions.audit_trail import AuditTrail
from fhir_server.model.instants import now_us
from fhir_server.storage.engine import make_engine
from fhir_server.storage.migrate import upgrade
from fhir_server.storage.repository import SqlStorage
from fhir_server.storage.schema import INDEX_TABLES, audit_index

BASE = "http://127.0.0.1:8080/fhir"
DOCTOR = Actor(kind="user", user="Practitioner/dr1", role="doctor", client_id="web", address="127.0.0.1")
_AUDIT_EVENTS = sa.text("SELECT count(*) FROM resource WHERE res_type = 'AuditEvent'")


def accesses(events: int) -> list[Access]:
    """Reads (one patient) and searches (five patients each), in the soak's proportion of 55 to 30."""
    found: list[Access] = []
    made = 0
    n = 0
    while made < events:
        n += 1
        if n % 17 < 11:
            patient = f"p{n % 5000}"
            found.append(
                Access("read", 200, now_us(), DOCTOR, BASE, str(uuid.uuid4()), "Observation", f"o{n}", 1, (patient,))
            )
            made += 1
        else:
            patients = tuple(f"p{(n + k) % 5000}" for k in range(5))
            found.append(
                Access(
                    "search-type",
                    200,
                    now_us(),
                    DOCTOR,
                    BASE,
                    str(uuid.uuid4()),
                    "Observation",
                    patients=patients,
                    query=f"patient={patients[0]}&_count=20",
                )
            )
            made += len(patients)
    return found


def _count(engine: sa.Engine) -> tuple[int, dict[str, int]]:
    with engine.connect() as connection:
        events = connection.execute(_AUDIT_EVENTS).scalar_one()
        rows = {
            k: connection.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for k, t in {**INDEX_TABLES, "audit_index": audit_index}.items()
        }
    return events, rows


def _measure(engine: sa.Engine, args: argparse.Namespace, database: str) -> None:
    upgrade(engine)
    trail = AuditTrail(SqlStorage(engine), BASE, flush_interval_s=3600, batch_size=500, max_queued=10**6)
    for item in accesses(2_000):  # warm-up: caches, prepared statements
        trail.enqueue(item)
    trail.flush()
    timed = accesses(args.events)
    events_before, rows_before = _count(engine)
    backends = BackendCpu(libpq_url(args.admin_url), [database])
    backends.start()
    cpu_before, wall_before = time.process_time(), time.monotonic()
    for start in range(0, len(timed), 200):  # a tick's worth at a time, as the trail's thread sees them
        for item in timed[start : start + 200]:
            trail.enqueue(item)
        trail.flush(whole=False)
    trail.flush()
    wall, cpu = time.monotonic() - wall_before, time.process_time() - cpu_before
    pg = backends.finish()[database]
    events_after, rows_after = _count(engine)
    events = events_after - events_before
    rows = {k: (rows_after[k] - rows_before[k]) / events for k in rows_after if rows_after[k] > rows_before[k]}
    print(f"{events} AuditEvents stored in {wall:.1f} s: {events / wall:,.0f} events/s")
    print(f"CPU per event: trail {cpu / events * 1e6:.0f} us, PostgreSQL backends {pg / events * 1e6:.0f} us")
    print("index rows per event: " + ", ".join(f"{k} {v:.2f}" for k, v in sorted(rows.items())))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=30_000)
    parser.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    with scratch_database(args.admin_url, "fhir_bench_audit") as (name, url):
        engine = make_engine(url, pool_size=2)
        try:
            _measure(engine, args, name)
        finally:
            engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
