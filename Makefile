# flashpoint: `make run` sets everything up on a fresh machine and ingests the demo corpus;
# `make test` runs the test suite. Both are idempotent.
SHELL := /bin/bash
VENV  := .venv
BIN   := $(VENV)/bin
# Python 3.12 (the en_core_web_md package needs it); pyenv provides it on these machines.
PYTHON ?= $(shell for p in python3.12 $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12) python3; do \
             $$p -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null && { echo $$p; break; }; done)
DB    ?= flashpoint.duckdb
STAMP := $(VENV)/.installed

.PHONY: run install test demo lint clean

run: install demo

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/flashpoint ingest "$$($(BIN)/flashpoint demo-path)" --db $(DB)
	$(BIN)/flashpoint summary --db $(DB)
	COLUMNS=$${COLUMNS:-200} $(BIN)/flashpoint events --db $(DB) --country PAK --modality asserted --limit 25

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/python -m ruff check src tests

clean:
	rm -rf $(VENV) $(DB) build *.egg-info src/*.egg-info
