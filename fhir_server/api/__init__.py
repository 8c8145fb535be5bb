"""The HTTP layer: the only package that imports FastAPI and Starlette."""

from fhir_server.api.app import create_app

__all__ = ["create_app"]
