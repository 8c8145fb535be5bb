"""Figures for read replicas (docs/adr/0011-read-replicas-and-scale-out.md): the cost of the read-your-writes
bookkeeping and how far behind a local streaming replica runs. Starts its own primary + replica on 127.0.0.1.

    .venv/bin/python -m bench.replica_lag --writes 2000
"""

from __future__ import annotations

import argparse
import statistics
import time

import sqlalchemy as sa

from tests.pg_cluster import replicated_pair


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    return f"median {statistics.median(ordered):.3f} ms, p99 {ordered[int(len(ordered) * 0.99)]:.3f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--writes", type=int, default=2000)
    args = parser.parse_args()
    with replicated_pair(databases=["bench"]) as (primary, replica):
        writer = sa.create_engine(primary.url("bench"), isolation_level="AUTOCOMMIT")
        reader = sa.create_engine(replica.url("bench"), isolation_level="AUTOCOMMIT")
        with writer.connect() as w, reader.connect() as r:
            w.exec_driver_sql("CREATE TABLE t (id serial PRIMARY KEY, body text)")
            commit, mark, check, lag = [], [], [], []
            behind = 0
            for n in range(args.writes):
                started = time.perf_counter()
                w.exec_driver_sql("INSERT INTO t (body) VALUES (%s)", (f"row {n}",))
                commit.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                lsn = w.exec_driver_sql("SELECT pg_current_wal_lsn()").scalar()
                mark.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                caught_up = r.exec_driver_sql("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (lsn,)).scalar()
                check.append((time.perf_counter() - started) * 1000)
                behind += 0 if caught_up else 1
                while not caught_up:
                    caught_up = r.exec_driver_sql("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (lsn,)).scalar()
                lag.append((time.perf_counter() - started) * 1000)
        writer.dispose()
        reader.dispose()
    print(f"{args.writes} single-row autocommit inserts on the primary: {_ms(commit)}")
    print(f"reading the commit's WAL position (pg_current_wal_lsn): {_ms(mark)}")
    print(f"checking the replica's replay position: {_ms(check)}")
    print(f"replica not yet caught up at the first check: {behind} of {args.writes} ({behind / args.writes:.1%})")
    print(f"time until the replica shows the write: {_ms(lag)}")


if __name__ == "__main__":
    main()
