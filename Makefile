# motorlab: two commands on a fresh machine.
#   make demo   set everything up, then run the whole study on the tiny demo config (minutes on 2 cores)
#   make test   set everything up, check the layering (lint-imports), then run the test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.motorlab-installed
CORES ?= all

.PHONY: setup chromium demo test bench lint clean-venv

setup: $(STAMP) chromium

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), f"motorlab needs Python >= 3.11, found {sys.version.split()[0]} ($(PYTHON)); set PYTHON=python3.11 or newer"'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

# Static figure export (kaleido) needs a Chromium browser; HTML figures do not. The real-browser
# tests (tests/test_browser.py, Selenium) also need chromium-driver.
chromium:
	@if { command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || command -v google-chrome >/dev/null 2>&1; } \
		&& command -v chromedriver >/dev/null 2>&1; then \
		true; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian's chromium and chromium-driver for static (PNG) figure export and browser tests..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	else \
		echo "NOTE: no Chromium/chromedriver found. PNG export will be skipped (HTML still written) and the"; \
		echo "      real-browser tests skip. Install them with: sudo apt-get install chromium chromium-driver"; \
	fi

demo: setup
	$(VENV)/bin/snakemake --cores $(CORES) results/part1/all results/part2/all --configfile config/demo.yaml

test: setup
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/pytest -q -n 2

bench: setup
	$(PY) bench/train_throughput.py --iters 20 --replicates 1
	$(PY) bench/train_throughput.py --iters 20 --replicates 5
	$(PY) bench/train_throughput.py --iters 5 --replicates 5 --models 4

# Both lints also run in `make test` (lint-imports above; snakemake --lint in tests/test_workflow.py).
lint: setup
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/snakemake --lint --configfile config/demo.yaml

clean-venv:
	rm -rf $(VENV)
