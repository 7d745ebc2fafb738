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
# the dashboard's front-end assets (package.json, pinned in package-lock.json), copied out of node_modules
WEB   := src/flashpoint/web/vendor
WEBSTAMP := $(WEB)/.installed

.PHONY: run install test demo lint clean chromium serve screenshot

run: install demo

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,ray]'
	@touch $(STAMP)

$(WEBSTAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	rm -rf $(WEB) && mkdir -p $(WEB)/leaflet $(WEB)/swagger-ui $(WEB)/licenses
	cp -r node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css node_modules/leaflet/dist/images $(WEB)/leaflet/
	cp node_modules/topojson-client/dist/topojson-client.min.js node_modules/world-atlas/countries-50m.json $(WEB)/
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css $(WEB)/swagger-ui/
	for p in leaflet topojson-client world-atlas swagger-ui-dist; do cp node_modules/$$p/LICENSE $(WEB)/licenses/$$p.txt; done
	@touch $(WEBSTAMP)

# Debian's Chromium for the browser tests (tests/test_browser.py); Playwright never downloads a browser.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	    || { echo "could not install chromium with apt-get"; [ -z "$$CI" ] || exit 1; }; \
	  else echo "warning: /usr/bin/chromium is missing (apt-get install chromium as root): browser tests will be skipped"; fi; \
	fi

install: $(STAMP) $(WEBSTAMP) chromium

demo: install
	$(BIN)/flashpoint ingest "$$($(BIN)/flashpoint demo-path)" --db $(DB)
	$(BIN)/flashpoint summary --db $(DB)
	COLUMNS=$${COLUMNS:-200} $(BIN)/flashpoint events --db $(DB) --country PAK --modality asserted --limit 25

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/python -m ruff check src tests

screenshot: install  ## renew docs/dashboard.png, the README's picture of the dashboard
	FLASHPOINT_SCREENSHOT=docs/dashboard.png $(BIN)/python -m pytest -q tests/test_browser.py -k screenshot

serve: install
	$(BIN)/flashpoint serve --db $(DB)

clean:
	rm -rf $(VENV) $(DB) build *.egg-info src/*.egg-info node_modules $(WEB)
