"""AuditEvent and Provenance builders (pure: plain values in, R4 JSON out; nothing here touches storage).

``events`` shapes RESTful AuditEvents after IHE BALP, ``login`` the authentication events, ``provenance``
the Provenance of a write, ``codes`` the code systems they use. ``fhir_server.interactions.auditing``
decides when they are written and how (in the write's transaction, or queued and batched).
"""
