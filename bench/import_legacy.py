"""End-to-end speed of ``import-legacy ehr``: a generated legacy EHR into a PostgreSQL FHIR database.

Usage: python bench/import_legacy.py [--patients 5000] [--consultations 50000] [--chunk 200] [--workers 2]
                                     [--admin postgresql://postgres@127.0.0.1:5432/postgres]

Creates two scratch databases on the server at --admin: the legacy EHR (schema and messy data from
tests/mappings/legacy, loaded with COPY) and the FHIR database (migrated; project terminology, the
INEC DPA when the verified copy is beside the repository, the synthetic CIE-10 and the medicines
catalog of the tests). Imports with ``run_import`` (the CLI's code path) and prints legacy rows per
second and the CPU it took (importer processes; PostgreSQL backends per database when the server is
local), then drops both databases. A consultation is an attended cita with vitals, evolución,
diagnoses and prescriptions (about six legacy rows and fifteen FHIR resources).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import sqlalchemy as sa

from fhir_server.interactions.context import Principal, RequestContext
from fhir_server.interactions.terminology_load import LoadOptions, load_built_ins, load_terminology
from fhir_server.mappings.legacy.ehr.geography import dpa_index
from fhir_server.mappings.legacy.ehr.source import open_ehr_source
from fhir_server.mappings.legacy.progress import BarProgress
from fhir_server.mappings.legacy.runner import run_import
from fhir_server.mappings.medicines import read_catalog
from fhir_server.model.json import loads
from fhir_server.settings import Settings
from fhir_server.storage.engine import make_engine
from fhir_server.storage.migrate import upgrade
from fhir_server.storage.params.common import ExtractContext
from fhir_server.storage.repository import SqlStorage
from fhir_server.terminology.loaders.project import default_directory

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the legacy data generator lives in tests/
from pg_scratch import BackendCpu

from tests.mappings.legacy.ehr_data import generate
from tests.mappings.legacy.ehr_schema import create_schema

BASE_URL = "http://127.0.0.1:8080/fhir"
ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
DPA = ROOT.parent / "shared" / "data" / "ecuador-dpa" / "dpa.csv"
_LOCAL_HOSTS = (None, "", "localhost", "127.0.0.1", "::1")


def _url(admin: str, database: str) -> str:
    return sa.make_url(admin).set(database=database).render_as_string(hide_password=False)


def _load_clinic(storage: SqlStorage) -> None:
    ctx = RequestContext(BASE_URL, "es", ZoneInfo("America/Guayaquil"), principal=Principal(kind="system"))
    options = LoadOptions(
        project_dir=default_directory(),
        dpa=DPA if DPA.exists() else None,
        cie10_file=FIXTURES / "terminology" / "icd10-sintetico.json",
    )
    options.extra = list(read_catalog(FIXTURES / "medicamentos.csv"))
    load_terminology(storage, ctx, options)
    load_built_ins(storage, ctx)


def _machine_cpu() -> float:
    """CPU seconds every process on the machine has used (Linux; 0 elsewhere)."""
    try:
        with Path("/proc/stat").open() as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
    except OSError:
        return 0.0
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait


def _own_cpu() -> float:
    """CPU seconds of this process and its finished children (the writer processes)."""
    mine, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return mine.ru_utime + mine.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=5000)
    parser.add_argument("--consultations", type=int, default=50000)
    parser.add_argument("--chunk", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2, help="writer processes")
    parser.add_argument("--admin", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the import to this file")
    args = parser.parse_args()
    suffix = uuid.uuid4().hex[:10]
    legacy_db, fhir_db = f"bench_legacy_{suffix}", f"bench_fhir_{suffix}"
    admin = psycopg.connect(args.admin, autocommit=True)
    try:
        admin.execute(f'CREATE DATABASE "{legacy_db}"')
        admin.execute(f'CREATE DATABASE "{fhir_db}"')
        legacy_url = _url(args.admin, legacy_db)
        began = time.perf_counter()
        with psycopg.connect(legacy_url) as conn:
            create_schema(conn)
            planted = generate(conn, patients=args.patients, consultations=args.consultations)
        rows = sum(planted.counts.values())
        print(f"legacy EHR generated: {rows} rows in {time.perf_counter() - began:.1f} s ({planted.counts})")
        fhir_url = _url(args.admin, fhir_db).replace("postgresql://", "postgresql+psycopg://", 1)
        engine = make_engine(fhir_url, pool_size=5, max_overflow=5)
        try:
            upgrade(engine)
            storage = SqlStorage(engine, context=ExtractContext(ZoneInfo("America/Guayaquil"), BASE_URL))
            _load_clinic(storage)
            stored = storage.read("CodeSystem", "ec-dpa")
            dpa = dpa_index(loads(stored.content) if stored is not None and stored.content else None)
            settings = Settings(database_url=fhir_url, base_url=BASE_URL)
            source = open_ehr_source(legacy_url, dpa=dpa)
            progress = BarProgress()
            backends = BackendCpu(args.admin, [fhir_db, legacy_db])
            backends.start()
            began, machine_before, own_before = time.perf_counter(), _machine_cpu(), _own_cpu()
            profiler = None
            if args.profile is not None:
                import cProfile

                profiler = cProfile.Profile()
                profiler.enable()
            try:
                report = run_import(
                    source, storage, settings=settings, chunk_size=args.chunk, progress=progress, workers=args.workers
                )
            finally:
                if profiler is not None:
                    profiler.disable()
                    profiler.dump_stats(args.profile)
                progress.close()
                source.close()
            seconds = time.perf_counter() - began
            machine, own = _machine_cpu() - machine_before, _own_cpu() - own_before
            postgres = backends.finish()
            resources = sum(t.created + t.updated + t.unchanged for t in report.types.values())
            print(report.text("en").split("\n\nFindings")[0])
            print(
                f"\nimported {report.rows_read} legacy rows ({resources} FHIR resources, "
                f"{len(report.findings)} findings) in {seconds:.1f} s: "
                f"{report.rows_read / seconds:.0f} legacy rows/s, {resources / seconds:.0f} resources/s"
            )
            print(
                f"CPU: importer processes {own:.0f} s, everything else on the machine (PostgreSQL, other "
                f"users) {machine - own:.0f} s, of {seconds * (os.cpu_count() or 1):.0f} s available"
            )
            if sa.make_url(args.admin).host in _LOCAL_HOSTS:  # a remote server's pids are not in our /proc
                print(
                    f"     of which PostgreSQL backends: FHIR database {postgres[fhir_db]:.0f} s, "
                    f"legacy source {postgres[legacy_db]:.0f} s"
                )
        finally:
            engine.dispose()
    finally:
        for name in (legacy_db, fhir_db):
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


if __name__ == "__main__":
    main()
