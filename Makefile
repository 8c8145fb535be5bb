# The two commands: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FHIR_TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
export FHIR_TEST_POSTGRES_URL

.DEFAULT_GOAL := help
.PHONY: help run test lint fmt bench install install-dev migrate serve

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "%-12s %s\n",$$1,$$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed ## create .venv and install the server

install-dev: $(VENV)/.installed-dev ## install the server with test and lint tools

migrate: install ## create or upgrade the database (FHIR_DATABASE_URL, default data/fhir.sqlite3)
	$(BIN)/fhir-server migrate

run: migrate ## install, migrate the embedded SQLite database and serve http://127.0.0.1:8080/fhir
	$(BIN)/fhir-server serve

lint: install-dev ## ruff, format check, mypy (strict), import contracts
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy fhir_server tests bench
	$(BIN)/lint-imports

test: lint ## lint, then the whole suite on SQLite and PostgreSQL
	$(BIN)/pytest -n 2 --dist loadfile

fmt: install-dev ## format and autofix
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install ## benchmarks against a running server: make bench URL=http://127.0.0.1:8080/fhir
	$(BIN)/python bench/crud.py $(or $(URL),http://127.0.0.1:8080/fhir)
