# Servicestelle — `make help` lists the targets.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
LOGIN ?= beraterin

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

# Dependencies come from the lock files, every file checked against its hash; the project
# itself is installed on top without resolving anything (`make lock` renews the locks).
$(BIN)/servicestelle: pyproject.toml requirements/runtime.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements/runtime.lock
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $@

$(VENV)/.dev-installed: pyproject.toml requirements/dev.lock $(BIN)/servicestelle
	$(BIN)/pip install --quiet --require-hashes -r requirements/dev.lock
	@touch $@

node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --silent --no-audit --no-fund && touch $@; \
	else echo "npm not found: browser accessibility checks will be skipped"; fi

install: $(BIN)/servicestelle ## Virtualenv with the service installed (editable)

run: $(BIN)/servicestelle ## Demo instance (SQLite, synthetic data) on http://127.0.0.1:5000
	$(BIN)/servicestelle demo

demo-code: $(BIN)/servicestelle ## Current second-factor code of a demo user: make demo-code LOGIN=beraterin
	@$(BIN)/servicestelle demo code $(LOGIN)

# The whole suite also gates branch coverage of the framework-free libraries at 100 %;
# a part of the suite (PYTEST_ARGS) runs without the gate.
COVERAGE_GATE := --cov=audit --cov=crypto --cov-branch --cov-report=term-missing:skip-covered --cov-fail-under=100

test: $(VENV)/.dev-installed node_modules/.installed ## The whole test suite (SQLite, PostgreSQL, Chromium); 100 % branch coverage of audit/ and crypto/
	$(BIN)/pytest $(if $(PYTEST_ARGS),$(PYTEST_ARGS),$(COVERAGE_GATE))

lint: $(VENV)/.dev-installed ## ruff and mypy
	$(BIN)/ruff check servicestelle crypto audit tests bench migrations
	$(BIN)/mypy

bench: $(VENV)/.dev-installed ## Benchmarks, printed as one table
	$(BIN)/python -m bench

# pip-tools in a throwaway virtualenv: the lock files pin the newest versions pyproject.toml
# allows (resolved for this Python on Linux), with the sha256 of every file PyPI offers.
LOCK_VENV := /tmp/servicestelle-lock
LOCK := $(LOCK_VENV)/bin/python -m piptools compile --quiet --generate-hashes --allow-unsafe \
	--strip-extras --no-emit-index-url --no-emit-find-links

lock: ## Renew requirements/*.lock from pyproject.toml (then run the tests)
	rm -rf $(LOCK_VENV) && $(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet pip-tools
	$(LOCK) --output-file requirements/runtime.lock pyproject.toml
	$(LOCK) --extra dev --output-file requirements/dev.lock pyproject.toml

translations: $(VENV)/.dev-installed ## Extract messages and update the English catalogue
	$(BIN)/pybabel extract -F babel.cfg -k _l -o servicestelle/translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i servicestelle/translations/messages.pot -d servicestelle/translations --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d servicestelle/translations

clean: ## Remove the virtualenv, caches and the local instance
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache instance dist build

.PHONY: help install run demo-code test lint bench lock translations clean
