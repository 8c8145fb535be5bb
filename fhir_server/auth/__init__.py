"""SMART on FHIR authorization server: accounts, clients, scopes, the role table, tokens.

Resource-server entry point: ``fhir_server.auth.grant.TokenAuthenticator(engine, audience).authenticate(token)``
returns a ``Grant`` (or None) on every FHIR request. The role table is ``fhir_server.auth.policy``.
"""
