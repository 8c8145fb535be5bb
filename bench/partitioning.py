"""Figures for the scale-out plan (docs/adr/0011-read-replicas-and-scale-out.md).

1. Search on a token index table of N rows: one table vs declarative LIST partitions by resource type (real
   PostgreSQL, a scratch database created and dropped here).
2. Sharding by patient compartment: a simulation of rows per shard and of how many searches touch one shard, for a
   network of clinics with a realistic spread of patients and visits.

    .venv/bin/python bench/partitioning.py --rows 1000000 --url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import uuid
from collections import Counter

import sqlalchemy as sa

TYPES = ["Observation", "Condition", "Encounter", "MedicationRequest", "Patient", "ClinicalImpression", "Appointment"]
SHARE = [0.55, 0.12, 0.12, 0.09, 0.04, 0.05, 0.03]  # rows per type in a Synthea-like outpatient record


def _create(connection: sa.Connection, partitioned: bool, rows: int) -> None:
    suffix = " PARTITION BY LIST (res_type)" if partitioned else ""
    connection.exec_driver_sql(
        "CREATE TABLE idx_token (resource_pk bigint, param text, res_type text, system text, code text)" + suffix
    )
    if partitioned:
        for n, type_name in enumerate(TYPES):
            connection.exec_driver_sql(
                f"CREATE TABLE idx_token_{n} PARTITION OF idx_token FOR VALUES IN ('{type_name}')"
            )
    # Types by share, codes from a skewed vocabulary (a few codes are most rows, as with vital signs).
    cases = " ".join(f"WHEN r < {sum(SHARE[: n + 1]):.2f} THEN '{type_name}'" for n, type_name in enumerate(TYPES[:-1]))
    connection.exec_driver_sql(
        f"""INSERT INTO idx_token SELECT g, 'code', CASE {cases} ELSE '{TYPES[-1]}' END, 'http://loinc.org',
            'c' || floor(power(random(), 3) * 2000)::int
            FROM (SELECT g, random() AS r FROM generate_series(1, {rows}) g) s"""  # noqa: S608 - constants only
    )
    connection.exec_driver_sql("CREATE INDEX ON idx_token (param, res_type, code, system, resource_pk)")
    connection.exec_driver_sql("ANALYZE idx_token")


def _time_queries(connection: sa.Connection, repeats: int) -> dict[str, float]:
    where = "SELECT {} FROM idx_token WHERE param='code' AND res_type='{}' AND code='{}'"
    queries = {
        "rare code, small type": where.format("count(*)", "Appointment", "c1500"),
        "common code, big type": where.format("count(*)", "Observation", "c0"),
        "page of 20, big type": where.format("resource_pk", "Observation", "c3") + " ORDER BY resource_pk LIMIT 20",
    }
    figures = {}
    for label, sql in queries.items():
        samples = []
        for _ in range(repeats):
            started = time.perf_counter()
            connection.exec_driver_sql(sql).fetchall()
            samples.append((time.perf_counter() - started) * 1000)
        figures[label] = statistics.median(samples)
    return figures


def measure_partitioning(url: str, rows: int, repeats: int) -> None:
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"bench_part_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine = sa.create_engine(sa.make_url(url).set(database=name), isolation_level="AUTOCOMMIT")
    try:
        for partitioned in (False, True):
            with engine.connect() as connection:
                connection.exec_driver_sql("DROP TABLE IF EXISTS idx_token CASCADE")
                started = time.perf_counter()
                _create(connection, partitioned, rows)
                load_s = time.perf_counter() - started
                size = connection.exec_driver_sql(
                    "SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) FROM pg_class c "
                    "WHERE c.relname LIKE 'idx_token%%' AND c.relkind IN ('r','i')"
                ).scalar()
                figures = _time_queries(connection, repeats)
            label = "partitioned by type" if partitioned else "one table"
            print(f"{label:>20}: {rows:,} rows, load+index {load_s:.1f} s, size {size}")
            for query, ms in figures.items():
                print(f"{'':>22}{query:<24} median {ms:.3f} ms")
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def simulate_sharding(clinics: int, shards: int, seed: int) -> None:
    """Rows per shard when every patient's compartment lives on hash(patient) % shards, and the share of
    searches that stay on one shard."""
    rng = random.Random(seed)
    rows_per_shard: Counter[int] = Counter()
    patients = 0
    for _clinic in range(clinics):
        # Clinic sizes vary tenfold (lognormal); visits per patient are skewed (chronic patients come monthly).
        clinic_patients = int(rng.lognormvariate(8.0, 0.8))
        patients += clinic_patients
        for _ in range(clinic_patients):
            visits = min(int(rng.paretovariate(1.5)), 200)
            # per visit: Encounter, ClinicalImpression, ~3 vital-sign Observations, ~1 Condition, ~1 MedicationRequest
            rows = 1 + visits * 7
            rows_per_shard[rng.randrange(shards)] += rows
    sizes = sorted(rows_per_shard.values())
    mean = statistics.mean(sizes)
    print(
        f"sharding {clinics} clinics, {patients:,} patients, {sum(sizes):,} rows over {shards} shards: "
        f"min {sizes[0]:,} max {sizes[-1]:,} rows per shard, max/mean {sizes[-1] / mean:.3f}"
    )
    # Searches in a clinic's day (from the clinic workflow): most are scoped to one patient.
    workload = {"patient-scoped (read, $everything, Observation?subject=)": 0.86, "by id": 0.08, "cross-patient": 0.06}
    single = workload["patient-scoped (read, $everything, Observation?subject=)"] + workload["by id"]
    print(f"  assumed mix {workload}: {single:.0%} of requests route to one shard, {1 - single:.0%} fan out")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--clinics", type=int, default=200)
    parser.add_argument("--shards", type=int, default=8)
    args = parser.parse_args()
    measure_partitioning(args.url, args.rows, args.repeats)
    simulate_sharding(args.clinics, args.shards, seed=10)


if __name__ == "__main__":
    main()
