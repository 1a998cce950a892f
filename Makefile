# PayCase: the two commands are `make run` and `make test`; everything else is optional.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.9
CHECKOV_VENV := .tools/checkov
STAGE ?= dev

SLOW_TIERS := not e2e and not fuzz and not infra and not soak and not chaos
# Two pytest-xdist workers, one per core. A tier whose tests share an engine (the fuzz stack,
# DynamoDB Local, the packaged template) runs on one worker (tests/conftest.py); xdist's
# controller runs the load runs (tests/load_runs.py).
WORKERS ?= 2
XDIST := -n $(WORKERS)

.PHONY: run test check lint typecheck unit adapters api faults integration e2e fuzz infra bench chaos soak reset package admin backfill-search deps tools clean

deps: $(VENV)/.installed node_modules/.installed

## checkov, for the infra tier, in a virtualenv of its own (its pins clash with ours).
tools: $(CHECKOV_VENV)/.installed

# uv installs the pinned requirements in seconds where pip takes over a minute on a clean
# machine; pip only installs uv itself into the project's virtualenv. Unlike pip, uv writes no
# bytecode unless asked: without it every process of the local stack and the tests compiled
# botocore, moto and chalice again at each start (a fresh clone's `make test` took a minute
# longer, more where PYTHONDONTWRITEBYTECODE is set and Python never caches it).
UV_INSTALL := $(UV) pip install --quiet --compile-bytecode
$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	test -x $(UV) || $(PY) -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(UV_INSTALL) --python $(PY) -r requirements-dev.txt
	touch $@

$(CHECKOV_VENV)/.installed: requirements-checkov.txt $(VENV)/.installed
	test -x $(CHECKOV_VENV)/bin/python || $(UV) venv --quiet --python $(PYTHON) $(CHECKOV_VENV)
	$(UV_INSTALL) --python $(CHECKOV_VENV)/bin/python -r requirements-checkov.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## Start the whole local stack with demo data (Ctrl-C stops it).
run: deps
	$(PY) -m devstack run

## Every test tier; starts and stops DynamoDB Local itself. Prints the slowest tests.
test: deps tools lint typecheck
	$(PY) -m pytest -q $(XDIST) --durations=15 tests

## The quick loop: every tier but the slow ones (e2e, fuzz, infra, soak, chaos), fewer examples.
check: deps lint typecheck
	HYPOTHESIS_PROFILE=quick $(PY) -m pytest -q $(XDIST) -m "$(SLOW_TIERS)" tests

lint: deps
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: deps
	$(PY) -m mypy chalicelib clients

## One tier at a time: unit (domain and services on fakes), adapters (moto), api
## (chalice.test.Client on moto), faults (botocore faults in every write path, on moto),
## integration (DynamoDB Local), e2e (the whole local stack), infra (packaged CloudFormation
## through cfn-lint).
unit: deps
	$(PY) -m pytest -q tests/unit tests/services

adapters api faults integration e2e fuzz: deps
	$(PY) -m pytest -q tests/$@

infra: deps tools
	$(PY) -m pytest -q tests/$@

bench: deps
	$(PY) -m bench

## The local stack behind the DynamoDB fault proxy: 2,000 complaints from 8 clients under
## throttling, 500s and lost answers; exits non-zero when a goal is missed (bench/chaos.py).
chaos: deps
	$(PY) -m bench.chaos

## 5,000 complaints with webhook events and merchant queries, the test clock moving, and
## kill -9 of the whole stack half way; exits non-zero when a goal is missed (bench/soak.py).
soak: deps
	$(PY) -m bench.soak

## Wipe the local stack's data (stop `make run` first).
reset:
	rm -rf .local

## CloudFormation for a deployed stage: build/$(STAGE)/sam.json (see README, Deployment).
package: deps
	$(PY) -m devstack package --stage $(STAGE) --out build/$(STAGE)

## Give a deployed stage's existing cases their search lookups (once; resumable):
## make backfill-search STAGE=prod
backfill-search: deps
	$(PY) -m devstack backfill-search --stage $(STAGE)

## The first admin of a deployed stage: make admin STAGE=prod NAME="Ops Lead"
admin: deps
	$(PY) -m devstack create-admin --stage $(STAGE) --name "$(NAME)"

clean:
	rm -rf $(VENV) .tools node_modules build .local .pytest_cache .mypy_cache .ruff_cache
