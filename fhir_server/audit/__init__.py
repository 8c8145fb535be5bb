"""AuditEvent and Provenance writing."""
