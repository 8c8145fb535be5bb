"""EXPLAIN ANALYZE the SQL the server runs for the benchmark's search shapes, on PostgreSQL.

Usage: python bench/explain.py POSTGRES_URL [QUERY ...]

Each QUERY is ``Type?params`` as a client would send it (defaults: the shapes of bench/search.py on
its generated data). Prints the execution time and whether any plan node scans the resource table
sequentially. Reads only; the server need not run.
"""

from __future__ import annotations

import argparse
import sys
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from fhir_server.search.query import parse_query
from fhir_server.search.registry import r4_registry
from fhir_server.storage.engine import make_engine
from fhir_server.storage.paging import build_page
from fhir_server.storage.sql_search import build_count

SHAPES = [
    "Patient?identifier=https://www.registrocivil.gob.ec/cedula|1710034065",
    "Patient?name=nun",
    "Observation?subject=Patient/pat-00001&code=http://loinc.org|8867-4&date=ge2022-01-01&date=lt2024-01-01&_sort=-date",
    "Condition?code:below=http://hl7.org/fhir/sid/icd-10|J45",
    "Appointment?date=2025-08-29&practitioner=Practitioner/prac-004&status=booked",
    "Patient?_has:Observation:subject:code=http://loinc.org|39156-5&_count=20",
    "Observation?subject:Patient.name=ros&_count=20",
    "Encounter?_include=Encounter:patient&patient=Patient/pat-00903",
    "Observation?code=http://loinc.org|8310-5&_summary=count",
]


def explain(url: str, database: str, query_text: str) -> tuple[float, bool]:
    type_name, _, params = query_text.partition("?")
    pairs = parse_qsl(params)
    query = parse_query(type_name, pairs, registry=r4_registry(), zone=ZoneInfo("America/Guayaquil"),
                        base_url=url, default_count=20, max_count=1000, strict=True)  # fmt: skip
    counting = ("_summary", "count") in pairs
    statement = build_count(query) if counting else build_page(query)[0]
    engine = make_engine(database)
    # Expanding IN lists (a narrowed reference's parameter codes) rendered as plain bound values.
    compiled = statement.compile(dialect=engine.dialect, compile_kwargs={"render_postcompile": True})
    with engine.connect() as connection:
        plan = [r[0] for r in connection.exec_driver_sql("EXPLAIN ANALYZE " + str(compiled), compiled.params)]
    engine.dispose()
    seq = any("Seq Scan on resource " in line or line.strip().endswith("Seq Scan on resource") for line in plan)
    millis = float(next(line for line in plan if line.startswith("Execution Time")).split()[2])
    return millis, seq


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("database", help="postgresql+psycopg://user@127.0.0.1:5432/db")
    parser.add_argument("queries", nargs="*", help="Type?params (default: the bench/search.py shapes)")
    args = parser.parse_args()
    for query_text in args.queries or SHAPES:
        millis, seq = explain("http://127.0.0.1:8080/fhir", args.database, query_text)
        verdict = "SEQUENTIAL SCAN of resource" if seq else "no sequential scan of resource"
        print(f"{millis:8.2f} ms  {verdict:<32} {query_text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
