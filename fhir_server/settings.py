"""Server settings, read from ``FHIR_*`` environment variables (and an optional ``.env``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE_PATH = Path("data") / "fhir.sqlite3"


class Settings(BaseSettings):
    """Every knob of the server; built by the caller, never at import time."""

    model_config = SettingsConfigDict(env_prefix="FHIR_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_SQLITE_PATH}",
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db",
    )
    base_url: str = Field(
        default="http://127.0.0.1:8080/fhir",
        description="Public base URL of the FHIR endpoint, used in Location headers and bundles",
    )
    host: str = Field(default="127.0.0.1", description="Address `fhir-server serve` binds")
    port: int = Field(default=8080, description="Port `fhir-server serve` binds")
    workers: int = Field(default=1, ge=1, description="Worker processes for `fhir-server serve`")
    default_language: Literal["es", "en"] = Field(
        default="es",
        description="Language of messages when Accept-Language names neither es nor en",
    )
    timezone: str = Field(
        default="America/Guayaquil",
        description="Clinic time zone: reads dates without offset and drives scheduling",
    )
    max_body_bytes: int = Field(
        default=16 * 1024 * 1024, ge=1024, description="Largest request body accepted (413 above)"
    )
    max_bundle_entries: int = Field(default=10_000, ge=1, description="Most entries in a batch or transaction (413)")
    default_page_size: int = Field(default=20, ge=1, description="_count when a search gives none")
    max_page_size: int = Field(default=1000, ge=1, description="Largest _count honoured")
    # Connections are opened as needed and kept. An overflow connection is closed as soon as it is
    # returned: in some soak runs that started six new PostgreSQL backends a second. The same 20 at
    # most as before (10 + 10 overflow), all kept.
    db_pool_size: int = Field(
        default=20, ge=1, description="PostgreSQL connections per worker, for writes and again for reads"
    )
    db_pool_overflow: int = Field(
        default=0, ge=0, description="Extra PostgreSQL connections, closed again as soon as they are returned"
    )
    db_statement_timeout_ms: int = Field(
        default=30_000, ge=0, description="PostgreSQL statement timeout for the API (0: none)"
    )
    clinic_profiles: Literal["claimed", "required"] = Field(
        default="claimed",
        description="claimed: validate the clinic profiles a resource names in meta.profile; "
        "required: every resource a clinic profile covers must conform to it (and is tagged with it)",
    )
    terminology_dir: Path | None = Field(
        default=None,
        description="Folder of the project's terminology resources (default: terminology/ of the source tree)",
    )
    cie10_overlay: Path | None = Field(
        default=None, description="CSV code,display whose Spanish displays win when CIE-10 is built"
    )
    care_relationship_days: int = Field(
        default=365,
        ge=1,
        description="A doctor sees the clinical data of patients with appointments or encounters this recent",
    )
    log_level: str = Field(default="info", description="Log level of the server")
    # SMART on FHIR authorization server (fhir_server/auth).
    auth_enabled: bool = Field(
        default=True,
        description="Require SMART access tokens on the FHIR API (false: an open server, for local experiments only)",
    )
    auth_issuer: str | None = Field(
        default=None, description="Public URL of the authorization server (default: base URL with /fhir -> /auth)"
    )
    auth_access_token_seconds: int = Field(default=3600, ge=60, le=3600, description="Lifetime of user tokens")
    auth_backend_token_seconds: int = Field(default=300, ge=30, le=300, description="Lifetime of backend tokens")
    auth_refresh_token_days: int = Field(default=90, ge=1, description="Lifetime of offline_access refresh tokens")
    auth_code_seconds: int = Field(default=60, ge=10, le=600, description="Lifetime of authorization codes")
    auth_login_max_failures: int = Field(default=5, ge=1, description="Failed logins per account before a pause")
    auth_login_ip_max_failures: int = Field(default=20, ge=1, description="Failed logins per IP before a pause")
    auth_login_window_seconds: int = Field(default=900, ge=1, description="Window of the failed-login counters")
    auth_jwks_loopback_http: bool = Field(
        default=False, description="Accept http:// JWKS URLs on 127.0.0.1 (tests and local tools only)"
    )
    auth_reset_minutes: int = Field(default=60, ge=5, le=60, description="Lifetime of a password-reset link")
    auth_reset_max_per_account: int = Field(
        default=3, ge=1, description="Password-reset requests per user name or e-mail within the window"
    )
    auth_reset_max_per_ip: int = Field(default=10, ge=1, description="Password-reset requests per IP within the window")
    auth_reset_window_seconds: int = Field(default=3600, ge=1, description="Window of the password-reset counters")
    auth_mail_sink: Literal["outbox", "file", "log"] = Field(
        default="outbox",
        description="Where reset e-mails go: outbox (auth_outbox table, read with `fhir-server outbox`), "
        "file (JSON lines in FHIR_AUTH_MAIL_FILE) or log (development only: links appear in the log)",
    )
    auth_mail_file: Path | None = Field(default=None, description="File of the `file` mail sink")
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Browser origins allowed on the token endpoint and the FHIR API, besides registered clients'",
    )
    # Audit trail (fhir_server/audit, interactions/auditing.py and audit_trail.py).
    audit_enabled: bool = Field(
        default=True, description="Write AuditEvents for every request and login, and Provenance for every write"
    )
    audit_flush_interval_ms: int = Field(
        default=200, ge=10, description="How often queued read/search AuditEvents are written"
    )
    audit_batch_size: int = Field(default=500, ge=1, description="Most queued AuditEvents written per transaction")
    audit_queue_size: int = Field(
        default=50_000, ge=1, description="Most AuditEvents waiting to be written; beyond it the oldest are dropped"
    )
    # Bulk Data $export (fhir_server/interactions/bulk_export).
    bulk_dir: Path | None = Field(
        default=None,
        description="Folder of $export output files (default: bulk/ beside the SQLite database, else data/bulk)",
    )
    bulk_workers: int = Field(default=1, ge=0, description="Export worker threads per server process (0: none here)")
    bulk_batch_size: int = Field(default=5000, ge=1, description="Resources read per database round trip of an export")
    bulk_lease_seconds: int = Field(
        default=30, ge=1, description="A running export not heard of for this long is taken over by another worker"
    )
    bulk_poll_seconds: float = Field(default=1.0, gt=0, description="How often idle export workers look for jobs")
    bulk_retention_hours: int = Field(
        default=24, ge=1, description="Finished exports (jobs and files) are deleted this long after they end"
    )
    # Bulk Data $import (fhir_server/interactions/bulk_import/operation*.py); lease, poll and retention: FHIR_BULK_*.
    import_dir: Path | None = Field(
        default=None,
        description="Folder whose NDJSON files $import may read, as [base]/$import-file/<path> "
        "(unset: $import reads only this server's $export files)",
    )
    import_workers: int = Field(default=1, ge=0, description="Import worker threads per server process (0: none here)")
    import_batch_size: int = Field(default=500, ge=1, description="NDJSON lines per transaction of an $import")
    # Operations: logs, metrics, tracing, limits (fhir_server/api/ops.py, docs/adr/0012).
    log_format: Literal["text", "json"] = Field(
        default="text", description="Log lines as text (development) or one JSON object per line (production)"
    )
    metrics_token: str | None = Field(
        default=None,
        description="Bearer token that /metrics requires; unset: /metrics answers loopback callers only",
    )
    request_timeout_seconds: float = Field(
        default=30.0, ge=0, description="A request still running after this answers 503 (0: no limit)"
    )
    rebalance_after_lag_ms: int = Field(
        default=10,
        ge=0,
        description="A worker whose event loop ran this late on average over a second closes two keep-alive "
        "connections after their answers, so their clients reconnect to a worker with room (0: never)",
    )
    graceful_shutdown_seconds: int = Field(
        default=30, ge=0, description="On SIGTERM, how long in-flight requests may take to finish"
    )
    rate_limit_per_minute: int = Field(
        default=0, ge=0, description="Cost units each client may spend per minute, across workers (0: no limit)"
    )
    rate_limit_shared_file: Path | None = Field(
        default=None,
        description="File whose token buckets every worker of this host shares (set by `serve --workers N`; "
        "unset: each worker enforces limit / workers)",
    )
    rate_limit_weights: dict[str, int] = Field(
        default_factory=dict,
        description="Cost per interaction, overriding the defaults (read 1, search 3, transaction 2 + 1 per entry, "
        '$export 20...); JSON, e.g. {"search": 5}',
    )
    otel_endpoint: str | None = Field(
        default=None,
        description="OTLP/HTTP endpoint for traces (default: OTEL_EXPORTER_OTLP_ENDPOINT; neither: no tracing)",
    )
    otel_service_name: str = Field(default="fhir-server", description="service.name of the exported traces")
    # Read replicas (fhir_server/storage/replica.py, docs/adr/0011-read-replicas-and-scale-out.md).
    database_replica_url: str | None = Field(
        default=None,
        description="A PostgreSQL streaming replica for reads and searches; writers still read their own writes",
    )
    replica_retry_seconds: float = Field(
        default=5.0, ge=0, description="After a failed replica connection, reads go to the primary for this long"
    )
    # Activation of imported accounts (`fhir-server send-activation`, fhir_server/auth/activation.py).
    auth_activation_hours: int = Field(
        default=72, ge=1, le=336, description="Lifetime of an activation link sent to an imported account"
    )

    @field_validator("database_url")
    @classmethod
    def _psycopg_driver(cls, value: str) -> str:
        # Plain postgresql:// URLs would select psycopg2, which is not installed.
        for prefix in ("postgresql://", "postgres://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        return value

    @field_validator("base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @property
    def bulk_path(self) -> Path:
        """Where export files go: FHIR_BULK_DIR, else bulk/ beside the SQLite database, else data/bulk."""
        if self.bulk_dir is not None:
            return self.bulk_dir
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix) and ":memory:" not in self.database_url:
            return Path(self.database_url[len(prefix) :]).parent / "bulk"
        return Path("data") / "bulk"

    @property
    def zone(self) -> ZoneInfo:
        """The clinic time zone."""
        return ZoneInfo(self.timezone)

    @property
    def issuer(self) -> str:
        """The authorization server's public URL (its endpoints hang below it)."""
        if self.auth_issuer:
            return self.auth_issuer.rstrip("/")
        root = self.base_url.removesuffix("/fhir")
        return f"{root}/auth"
