"""Medly (MySQL + MongoDB export of expedientes) as a legacy import source."""

from fhir_server.mappings.legacy.medly.source import MedlySource, open_medly_source

__all__ = ["MedlySource", "open_medly_source"]
