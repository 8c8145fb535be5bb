"""What random against time-ordered ids cost PostgreSQL once the key index no longer fits in memory.

Builds, on a scratch database, a table keyed like ``resource`` (``UNIQUE (res_type, res_id)``), fills
it with ``--rows`` ids of one kind, checkpoints, then times ``--more`` inserts by COPY in batches of
500 (as the audit trail writes). Prints, per kind of id, the backend's CPU and wall time for those
inserts, the WAL written per row (full-page images after the checkpoint included) and the size of the
key index. Random ids are version 4 UUIDs; time-ordered ones come from the server's ``new_id``.

Usage: python bench/id_order.py [--rows 2000000] [--more 200000] [--admin-url URL]
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from collections.abc import Callable

import psycopg
from pg_scratch import libpq_url, process_cpu, scratch_database

from fhir_server.model.ids import new_id

_BATCH = 500


def random_id() -> str:
    return str(uuid.uuid4())


def _load(connection: psycopg.Connection, count: int, draw: Callable[[], str]) -> None:
    for start in range(0, count, _BATCH):
        with connection.transaction(), connection.cursor().copy("COPY r (res_type, res_id) FROM STDIN") as copy:
            for _ in range(min(_BATCH, count - start)):
                copy.write_row(("AuditEvent", draw()))


def measure(url: str, kind: str, draw: Callable[[], str], rows: int, more: int) -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(
            "CREATE TABLE r (pk bigserial PRIMARY KEY, res_type varchar(64) NOT NULL, res_id varchar(64) NOT NULL,"
            " UNIQUE (res_type, res_id))"
        )
        _load(connection, rows, draw)
        connection.execute("CHECKPOINT")
        pid = connection.info.backend_pid
        lsn = connection.execute("SELECT pg_current_wal_lsn()").fetchone()[0]  # type: ignore[index]
        cpu, wall = process_cpu(pid) or 0.0, time.monotonic()
        _load(connection, more, draw)
        cpu, wall = (process_cpu(pid) or 0.0) - cpu, time.monotonic() - wall
        wal = connection.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s)", (lsn,)).fetchone()[0]  # type: ignore[index]
        size = connection.execute("SELECT pg_relation_size('r_res_type_res_id_key')").fetchone()[0]  # type: ignore[index]
    print(
        f"{kind}: {more:,} rows after {rows:,}: backend CPU {cpu:.2f} s ({cpu / more * 1e6:.1f} µs/row),"
        f" wall {wall:.2f} s, WAL {float(wal) / more:.0f} B/row, key index {size / 2**20:.0f} MiB"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--more", type=int, default=200_000)
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    for kind, draw in (("random (v4)", random_id), ("time-ordered (v7)", new_id)):
        with scratch_database(args.admin_url, "fhir_bench_ids") as (_, url):
            measure(libpq_url(url), kind, draw, args.rows, args.more)
    return 0


if __name__ == "__main__":
    sys.exit(main())
