"""Loaders: build CodeSystem / ValueSet resources (plain dicts) from installed packages and user files.

They never touch the network or the database; ``fhir_server.interactions.terminology_load`` writes
what they produce through the normal write path.
"""
