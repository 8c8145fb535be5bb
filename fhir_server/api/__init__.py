"""The HTTP layer: the only package that imports FastAPI and Starlette (the app: ``fhir_server.api.app``).

Importing the package loads nothing else: a worker of ``serve --workers N`` unpickles its HTTP protocol
class from ``api.http_protocol`` before it starts answering uvicorn's health checks, and the whole app
took 4-6 s to import on a busy 2-core machine, past the checks' limit (the workers were killed and
restarted in a loop).
"""
