"""Search semantics: parameter registry and query parsing (no SQL, no HTTP)."""
