# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DATA ?= $(if $(SUBCHECK_DATA),$(SUBCHECK_DATA),../shared/data)

.PHONY: install install-test demo test timing lint bench differential fixtures clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[sut]"
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed examples/subcheck-dice/pyproject.toml
	$(PY) -m pip install -q -e ".[sut,test]"
	$(PY) -m pip install -q -e examples/subcheck-dice   # the example Dice plugin the segmentation tests need
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

## demo: check the bundled demo submission and print the report
demo: install
	$(PY) -m checker.demo

## test: lint, then the whole test suite
test: install-test lint
	$(PY) -m pytest -n 2

## timing: the reproduce tests that judge re-runs against claims made on this machine a minute earlier; run alone
timing: install-test
	SUBCHECK_TIMING=1 $(PY) -m pytest -m timing

lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

## bench: results checked per second and peak memory on the shared data, and on whole published rounds beside
## their official checkers (ROUNDS="v4.1=/tmp/round41 v5.1=/tmp/round51", written by extract_mirror.py)
ROUNDS ?=
RUNS ?= 3
bench: install
	$(PY) -m checker.bench $(DATA)/inference-v4.1 --version v4.1 --training $(DATA)/training-v4.1 \
		$(foreach r,$(ROUNDS),--round $(r)) --runs $(RUNS) --cold

## differential: subcheck beside every official tool that applies (inference checkers v4.1, v5.1.1 and HEAD from the
## mlcommons/inference mirror, mlperf-logging's package checker and summarizer, the Endpoints submission-checker) on
## the shared data, the v6.1 Endpoints-client and endpoints fixtures, or on TREES="DIR=v6.1 ..."; one table (differential.csv), and it fails
## on a difference rules/differential.yaml does not explain. FAST=1 reads the official outputs kept beside the shared
## data instead of running those tools.
TREES ?= $(DATA) fixtures/inference-v6.1-endpoints=v6.1 $(foreach f,$(wildcard fixtures/endpoints/*),$(f)=v1.0)
differential: install
	$(PY) -m checker.differential $(TREES) $(if $(FAST),--fast) --table differential.csv

## fixtures: regenerate the demo submissions with real LoadGen runs (rewrites the tracked files under fixtures/)
fixtures: install
	@echo "make fixtures rewrites the tracked files under fixtures/: review with 'git diff fixtures/', undo with 'git checkout fixtures/'"
	$(PY) -m reference_sut.fixtures fixtures/

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
