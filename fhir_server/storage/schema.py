"""Tables shared by SQLite and PostgreSQL; alembic builds both from one chain.

``resource`` holds the current version of each resource (or its tombstone), ``resource_version``
every version ever written, append-only. Search reads only ``resource`` and the index tables, so it
never scans history. Instants are integer microseconds since the epoch (UTC) on both engines.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
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
    UniqueConstraint("res_type", "res_id"),
    Index(None, "res_type", "last_updated"),
    Index(None, "last_updated"),
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
