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

# Coverage-guided fuzzing (atheris), not in CI: each target FUZZ_SECONDS long; FUZZ_TARGETS
# picks some (envelope keyring package profile_csv). Corpora and crashes: build/fuzz/.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=

$(VENV)/.fuzz-installed: pyproject.toml $(BIN)/servicestelle
	$(BIN)/pip install --quiet -e '.[fuzz]'
	@touch $@

fuzz: $(VENV)/.fuzz-installed ## Fuzz the ciphertext, keyring, package and CSV parsers (FUZZ_SECONDS=60 each)
	FUZZ_SECONDS=$(FUZZ_SECONDS) $(BIN)/python -m fuzz $(FUZZ_TARGETS)

# Load test (bench/load/README.md): locust in a virtualenv of its own (.venv-load), from the
# `load` extra of pyproject.toml, so the service's locked dependency set stays as it is.
# LOAD_ARGS passes options, e.g. LOAD_ARGS="--cases 10000 --duration 60" for a short run.
LOAD_VENV := .venv-load
LOAD_ARGS ?=

$(LOAD_VENV)/bin/locust: pyproject.toml
	$(PYTHON) -m venv $(LOAD_VENV)
	$(LOAD_VENV)/bin/pip install --quiet $$($(PYTHON) -c "import tomllib; print(' '.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['load']))")
	@touch $@

load: $(BIN)/servicestelle $(LOAD_VENV)/bin/locust ## Load test: `servicestelle run` on PostgreSQL, 100,000 cases, 44 users, login flood (~20 min)
	$(BIN)/python -m bench.load.run --locust $(LOAD_VENV)/bin/locust $(LOAD_ARGS)

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

.PHONY: help install run demo-code test lint bench fuzz load lock translations clean
