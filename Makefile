# Every target sets itself up: a fresh clone needs only python3 (3.11+), make and node/npm.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test test-unit test-integration test-infra test-e2e lint typecheck synth deploy doctor bench eval cost clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	@# setuptools' editable-install notices are informational boxes; they would bury the first run.
	PYTHONWARNINGS=ignore $(BIN)/pip install --quiet -e '.[local,dev]'
	touch $(STAMP)

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## run: the local service (API + web chat) on http://127.0.0.1:$(PORT)
run: $(STAMP)
	PORT=$(PORT) $(BIN)/python -m local

## test: lint, types, then every test level (unit, integration, infra, e2e)
test: $(STAMP) node_modules/.installed lint typecheck
	@$(BIN)/python -m pytest tests; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: failing" >&2; fi; exit $$status

test-unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

test-integration: $(STAMP)
	$(BIN)/python -m pytest tests/integration

test-infra: $(STAMP) node_modules/.installed
	$(BIN)/python -m pytest tests/infra

test-e2e: $(STAMP)
	$(BIN)/python -m pytest tests/e2e

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

## synth: CloudFormation templates into cdk.out/ (offline, no AWS account needed)
synth: $(STAMP) node_modules/.installed
	PATH="$(CURDIR)/$(BIN):$$PATH" npx cdk synth --quiet

deploy: $(STAMP) node_modules/.installed
	PATH="$(CURDIR)/$(BIN):$$PATH" npx cdk deploy --all

doctor: $(STAMP)
	$(BIN)/python -m tools.doctor $(ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench

CORPUS ?= docs
QUESTIONS ?=
eval: $(STAMP)
	$(BIN)/python -m tools.evaluate --corpus "$(CORPUS)" --questions "$(QUESTIONS)"

cost: $(STAMP)
	$(BIN)/python -m tools.cost $(ARGS)

clean:
	rm -rf $(VENV) node_modules cdk.out .build .local-state test-artifacts
