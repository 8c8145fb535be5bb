"""Tables shared by SQLite and PostgreSQL; alembic builds both from one chain.

``resource`` holds the current version of each resource (or its tombstone), ``resource_version``
the versions it replaced, append-only. On PostgreSQL the current version is not copied there
(ADR 0016): ``resource.seq`` gives it its place in history. Rows an earlier release wrote, and every
row on SQLite, have no ``seq``: their current version has its copy in ``resource_version``. Search
reads only ``resource`` and the index tables, so it never scans history. Instants are integer
microseconds since the epoch (UTC) on both engines.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
PrimaryKey = BigInteger().with_variant(Integer(), "sqlite")

resource = Table(
    "resource",
    metadata,
    Column("pk", PrimaryKey, primary_key=True, autoincrement=True),
    Column("res_type", String(64), nullable=False),
    Column("res_id", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("last_updated", BigInteger, nullable=False),
    Column("deleted", Boolean, nullable=False),
    Column("content", LargeBinary, nullable=True),
    # The current version's place in history (drawn from resource_version's sequence) and how it was
    # written; NULL when resource_version holds a copy of it.
    Column("seq", BigInteger, nullable=True),
    Column("method", String(8), nullable=True),
    UniqueConstraint("res_type", "res_id"),
    Index(None, "res_type", "last_updated"),
    Index(None, "last_updated"),
)
Index("ix_resource_seq_present", resource.c.seq, postgresql_where=resource.c.seq.is_not(None)).ddl_if(
    dialect="postgresql"
)

resource_version = Table(
    "resource_version",
    metadata,
    Column("seq", PrimaryKey, primary_key=True, autoincrement=True),
    Column("resource_pk", PrimaryKey, ForeignKey("resource.pk"), nullable=False),
    Column("res_type", String(64), nullable=False),
    Column("res_id", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("last_updated", BigInteger, nullable=False),
    Column("method", String(8), nullable=False),
    Column("deleted", Boolean, nullable=False),
    Column("content", LargeBinary, nullable=True),
    UniqueConstraint("resource_pk", "version"),
    Index(None, "res_type", "last_updated"),
    Index(None, "last_updated"),
)

# Instance history and vread look versions up by type and id.
Index(None, resource_version.c.res_type, resource_version.c.res_id)


def _index_table(name: str, *columns: Column[Any], by_resource: tuple[str, ...] = ()) -> Table:
    """An index table: one row per indexed value of one search parameter of one resource.

    ``by_resource`` extends the resource_pk index so lookups from a resource are index-only.
    No foreign key to ``resource`` on PostgreSQL (ADR 0015): the writer keeps the rows in step in
    the same transaction, and checking the key cost a fifth of PostgreSQL's time on bulk writes.
    SQLite keeps it: dropping it there means copying the table, which a live database cannot afford.
    """
    return Table(
        name,
        metadata,
        Column("resource_pk", PrimaryKey, nullable=False),
        Column("res_type", String(64), nullable=False),
        Column("param", String(100), nullable=False),
        *columns,
        Index(None, "resource_pk", *by_resource),
        ForeignKeyConstraint(["resource_pk"], ["resource.pk"], ondelete="CASCADE").ddl_if(dialect="sqlite"),
    )


# Search indexes end with resource_pk so the IN-subqueries of a search are index-only scans.
# Text compared byte-wise (C collation on PostgreSQL, BINARY on SQLite) so prefix range scans work.
Folded = String(collation="C").with_variant(String(), "sqlite")

idx_string = _index_table(
    "idx_string",
    Column("value", Folded, nullable=False),
    Column("exact", Text, nullable=False),
)
Index(None, idx_string.c.param, idx_string.c.res_type, idx_string.c.value, idx_string.c.resource_pk)

idx_token = _index_table(
    "idx_token",
    Column("system", Text, nullable=True),
    Column("code", Text, nullable=True),
    Column("text", Folded, nullable=True),
    Column("type_system", Text, nullable=True),
    Column("type_code", Text, nullable=True),
)
Index(None, idx_token.c.param, idx_token.c.res_type, idx_token.c.code, idx_token.c.system, idx_token.c.resource_pk)

idx_date = _index_table(
    "idx_date",
    Column("low", BigInteger, nullable=False),
    Column("high", BigInteger, nullable=False),
)
Index(None, idx_date.c.param, idx_date.c.res_type, idx_date.c.low, idx_date.c.high, idx_date.c.resource_pk)
Index(None, idx_date.c.param, idx_date.c.res_type, idx_date.c.high, idx_date.c.low, idx_date.c.resource_pk)

idx_number = _index_table(
    "idx_number",
    Column("value", Numeric, nullable=False),
    Column("low", Numeric, nullable=False),
    Column("high", Numeric, nullable=False),
)
Index(None, idx_number.c.param, idx_number.c.res_type, idx_number.c.value, idx_number.c.resource_pk)

idx_quantity = _index_table(
    "idx_quantity",
    Column("system", Text, nullable=True),
    Column("code", Text, nullable=True),
    Column("value", Numeric, nullable=False),
    Column("low", Numeric, nullable=False),
    Column("high", Numeric, nullable=False),
    Column("canonical_code", Text, nullable=True),
    Column("canonical_low", Numeric, nullable=True),
    Column("canonical_high", Numeric, nullable=True),
)
Index(
    None,
    idx_quantity.c.param,
    idx_quantity.c.res_type,
    idx_quantity.c.code,
    idx_quantity.c.value,
    idx_quantity.c.resource_pk,
)
Index(
    None,
    idx_quantity.c.param,
    idx_quantity.c.res_type,
    idx_quantity.c.canonical_code,
    idx_quantity.c.canonical_low,
    idx_quantity.c.resource_pk,
)

idx_reference = _index_table(
    "idx_reference",
    Column("target_type", String(64), nullable=True),
    Column("target_id", String(64), nullable=True),
    Column("target_version", String(64), nullable=True),
    Column("url", Text, nullable=True),
    Column("identifier_system", Text, nullable=True),
    Column("identifier_value", Text, nullable=True),
    by_resource=("param", "target_type", "target_id"),
)
Index(
    None,
    idx_reference.c.param,
    idx_reference.c.res_type,
    idx_reference.c.target_id,
    idx_reference.c.target_type,
    idx_reference.c.resource_pk,
)
Index(None, idx_reference.c.target_id, idx_reference.c.target_type, idx_reference.c.param, idx_reference.c.resource_pk)
# Only absolute URLs and canonicals fill `url`; most references are relative, and indexing their NULLs
# cost every reference row one more B-tree insertion (migration 0014).
Index(
    "ix_idx_reference_url_present",
    idx_reference.c.url,
    postgresql_where=idx_reference.c.url.is_not(None),
    sqlite_where=idx_reference.c.url.is_not(None),
)

idx_uri = _index_table(
    "idx_uri",
    Column("value", Folded, nullable=False),
)
Index(None, idx_uri.c.param, idx_uri.c.res_type, idx_uri.c.value, idx_uri.c.resource_pk)

# Composite parameters: the first component is a token, the second one of token, quantity, date
# or string (the R4 composites of the served types are all of this shape).
idx_composite = _index_table(
    "idx_composite",
    Column("system1", Text, nullable=True),
    Column("code1", Text, nullable=True),
    Column("system2", Text, nullable=True),
    Column("code2", Text, nullable=True),
    Column("low2", Numeric, nullable=True),
    Column("high2", Numeric, nullable=True),
    Column("date_low2", BigInteger, nullable=True),
    Column("date_high2", BigInteger, nullable=True),
    Column("text2", Folded, nullable=True),
)
Index(None, idx_composite.c.param, idx_composite.c.res_type, idx_composite.c.code1, idx_composite.c.resource_pk)

INDEX_TABLES = {
    "string": idx_string,
    "token": idx_token,
    "date": idx_date,
    "number": idx_number,
    "quantity": idx_quantity,
    "reference": idx_reference,
    "uri": idx_uri,
    "composite": idx_composite,
}

# The AuditEvents the audit trail stores keep their index rows in one row each (ADR 0019): a slot per
# row an event can have, (kind, param, slots), its columns named <param>_<n>_<column>.
AUDIT_SLOTS = (
    ("token", "action", 1),
    ("token", "outcome", 1),
    ("token", "type", 1),
    ("token", "subtype", 2),
    ("reference", "agent", 3),
    ("reference", "entity", 3),
    ("date", "date", 1),
)
AUDIT_SLOT_COLUMNS = {
    "token": ("system", "code", "text"),
    "reference": ("target_type", "target_id", "target_version", "url", "identifier_system", "identifier_value"),
    "date": ("low", "high"),
}
audit_index = Table(
    "audit_index",
    metadata,
    Column("resource_pk", PrimaryKey, primary_key=True, autoincrement=False),
    *(
        Column(f"{param}_{n}_{name}", INDEX_TABLES[kind].c[name].type, nullable=True)
        for kind, param, slots in AUDIT_SLOTS
        for n in range(1, slots + 1)
        for name in AUDIT_SLOT_COLUMNS[kind]
    ),
    ForeignKeyConstraint(["resource_pk"], ["resource.pk"], ondelete="CASCADE").ddl_if(dialect="sqlite"),
)
# Searches by agent, entity or patient name a target id; most slots hold none (an identifier, no agent).
# Ending in resource_pk, as the index tables' search indexes: a page of a doctor's thousands of events
# reads the first keys in order instead of sorting them all.
for _param, _n in ((p, n) for kind, p, slots in AUDIT_SLOTS if kind == "reference" for n in range(1, slots + 1)):
    _target_id = audit_index.c[f"{_param}_{_n}_target_id"]
    Index(
        f"ix_audit_index_{_param}_{_n}_target",
        _target_id,
        audit_index.c[f"{_param}_{_n}_target_type"],
        audit_index.c.resource_pk,
        postgresql_where=_target_id.is_not(None),
        sqlite_where=_target_id.is_not(None),
    )
Index("ix_audit_index_date_low", audit_index.c.date_1_low, audit_index.c.date_1_high, audit_index.c.resource_pk)
Index("ix_audit_index_date_high", audit_index.c.date_1_high, audit_index.c.date_1_low, audit_index.c.resource_pk)

# Where `fhir-server reindex` got to, per resource type, so an interrupted run resumes.
reindex_progress = Table(
    "reindex_progress",
    metadata,
    Column("res_type", String(64), primary_key=True),
    Column("last_pk", BigInteger, nullable=False),
    Column("registry_version", String(64), nullable=False),
)

# Time claimed by active appointments, one row per actor (practitioner, room, patient, slot).
# Overlaps for the same actor are refused by the database itself: an exclusion constraint on
# PostgreSQL and a trigger on SQLite (migration 0003), so no race can double-book.
appointment_claim = Table(
    "appointment_claim",
    metadata,
    Column("resource_pk", PrimaryKey, ForeignKey("resource.pk", ondelete="CASCADE"), nullable=False),
    Column("actor", String(140), nullable=False),
    Column("start_us", BigInteger, nullable=False),
    Column("end_us", BigInteger, nullable=False),
    Index(None, "actor", "start_us"),
    Index(None, "resource_pk"),
)

# Records written with a transaction but indexed later (Provenance and AuditEvent of each write):
# the row commits atomically with the write, and a background drain turns it into a resource.
deferred_record = Table(
    "deferred_record",
    metadata,
    Column("seq", PrimaryKey, primary_key=True, autoincrement=True),
    Column("res_type", String(64), nullable=False),
    Column("res_id", String(64), nullable=False),
    Column("content", LargeBinary, nullable=False),
)


def _leased_job_columns() -> list[Column[Any] | Index]:
    """What every background job table holds for its status and lease (storage/leased_jobs.py)."""
    return [
        Column("status", String(16), nullable=False),
        Column("progress", String(100), nullable=True),
        Column("cancelled", Boolean, nullable=False),
        Column("error", Text, nullable=True),
        Column("transaction_time", BigInteger, nullable=False),
        Column("created_us", BigInteger, nullable=False),
        Column("updated_us", BigInteger, nullable=False),
        Column("lease_until_us", BigInteger, nullable=True),
        Column("worker", String(100), nullable=True),
        Index(None, "status", "lease_until_us"),
        Index(None, "updated_us"),
    ]


# Bulk Data $export jobs, claimed by any server process through a lease; each output type keeps
# its resume point (last id written, file length then) so an interrupted job continues without
# duplicates.
bulk_export_job = Table(
    "bulk_export_job",
    metadata,
    Column("job_id", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("group_id", String(64), nullable=True),
    Column("parameters", Text, nullable=False),
    Column("request_url", Text, nullable=False),
    Column("client_id", String(100), nullable=True),
    Column("subject", String(255), nullable=True),
    Column("owner", String(255), nullable=False),
    Column("principal", Text, nullable=False),
    Column("scopes", Text, nullable=True),
    *_leased_job_columns(),
)

bulk_export_part = Table(
    "bulk_export_part",
    metadata,
    Column("job_id", String(64), primary_key=True),
    Column("res_type", String(64), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("file_name", String(200), nullable=False),
    Column("cursor", String(64), nullable=True),
    Column("count", BigInteger, nullable=False),
    Column("bytes", BigInteger, nullable=False),
    Column("done", Boolean, nullable=False),
)

# Bulk Data $import jobs, claimed like export jobs through a lease. Each input file keeps its resume
# point (the last line whose batch committed) and its counts; failed lines are kept (up to a limit) for
# the manifest's error files, recorded in the same transaction as the resume point.
bulk_import_job = Table(
    "bulk_import_job",
    metadata,
    Column("job_id", String(64), primary_key=True),
    Column("parameters", Text, nullable=False),
    Column("request_url", Text, nullable=False),
    Column("client_id", String(100), nullable=True),
    Column("owner", String(255), nullable=False),
    Column("principal", Text, nullable=False),
    *_leased_job_columns(),
)

bulk_import_input = Table(
    "bulk_import_input",
    metadata,
    Column("job_id", String(64), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("res_type", String(64), nullable=False),
    Column("url", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("line", BigInteger, nullable=False),
    Column("written", BigInteger, nullable=False),
    Column("unchanged", BigInteger, nullable=False),
    Column("failed", BigInteger, nullable=False),
    Column("done", Boolean, nullable=False),
)

bulk_import_error = Table(
    "bulk_import_error",
    metadata,
    Column("job_id", String(64), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("line", BigInteger, primary_key=True),
    Column("message", Text, nullable=False),
)
