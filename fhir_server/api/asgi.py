"""ASGI entry point for uvicorn workers: the app built from FHIR_* settings."""

from fhir_server.api.app import create_app

app = create_app()
