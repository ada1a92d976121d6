# Groundwork. `make run` to try it, `make test` to test it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
STAMP := $(VENV)/.requirements-installed
NODE_STAMP := node_modules/.installed
LOCK := $(UV) pip compile --quiet --universal --python-version 3.11 --generate-hashes
export UV_CUSTOM_COMPILE_COMMAND := make lock

.PHONY: help install run test lint bench ci lock clean

help:
	@echo "make run    install, migrate, load the demo data and start web, worker and beat"
	@echo "make test   install and run the whole test suite (SQLite unless DATABASE_URL is set)"
	@echo "make lint   ruff check and format check, and mypy on the services and selectors"
	@echo "make bench  load seed_demo --scale data and measure pages, jobs and calendar reads (BENCH_SCALE, default 1)"
	@echo "make ci     what CI runs: tests on SQLite and PostgreSQL, migrations, deploy checks, lint"
	@echo "make lock   rewrite requirements/*.txt (pins and hashes) from requirements/*.in"

$(BIN)/python:
	$(PYTHON) bin/bootstrap-venv $(VENV)

# pip installs uv, checked against its hashes; uv installs the locks (far
# faster than pip, with no cache to warm).
$(UV): requirements/uv.txt | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check --quiet --require-hashes --requirement requirements/uv.txt
	@touch $(UV)

# The development lock: the runtime set and the test tools, every hash
# checked; sync also removes what the lock no longer lists.
$(STAMP): requirements/dev.txt | $(UV)
	$(UV) pip sync --quiet --python $(BIN)/python --require-hashes requirements/dev.txt
	@touch $(STAMP)

# axe-core and the Nu HTML Checker for the browser tests; optional.
$(NODE_STAMP): package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && touch $(NODE_STAMP); \
	else echo "npm not found: browser tests run without their accessibility and HTML checks"; fi

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo --if-empty
	@# Beat runs the reminder scan every 15 minutes; this first one is queued for the worker at once.
	$(BIN)/python manage.py send_reminders
	@echo "Groundwork runs on http://127.0.0.1:8000 (Ctrl-C stops web, worker and beat)."
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho --procfile Procfile.dev start

test: $(STAMP) $(NODE_STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/run.py

ci:
	bash .ci/run

# Pins stay as the .in files and the current locks have them: change a pin
# in a .in file, then run this. base.txt first, since dev.txt follows it.
lock: | $(UV)
	$(LOCK) requirements/uv.in --output-file requirements/uv.txt
	$(LOCK) requirements/base.in --output-file requirements/base.txt
	$(LOCK) requirements/dev.in --output-file requirements/dev.txt

clean:
	rm -rf $(VENV) var
