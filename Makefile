# Groundwork. `make run` to try it, `make test` to test it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.requirements-installed

.PHONY: help install run test lint ci clean

help:
	@echo "make run    install, migrate, load the demo data and start web, worker and beat"
	@echo "make test   install and run the whole test suite (SQLite unless DATABASE_URL is set)"
	@echo "make lint   ruff check and format check"
	@echo "make ci     what CI runs: tests on SQLite and PostgreSQL, migrations, deploy checks, lint"

$(BIN)/python:
	$(PYTHON) bin/bootstrap-venv $(VENV)

$(STAMP): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check --quiet --requirement requirements.txt
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo --if-empty
	@echo "Groundwork runs on http://127.0.0.1:8000 (Ctrl-C stops web, worker and beat)."
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho --procfile Procfile.dev start

test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) var
