# Two commands on a fresh Debian 12 machine: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.dsr-installed
SYSSTAMP := $(VENV)/.dsr-sysdeps

.PHONY: demo test test-fast soak lab bench sysdeps venv bytecode

demo: $(STAMP) $(SYSSTAMP) bytecode
	$(BIN)/dsr batch --demo
	$(BIN)/dsr publish --by 演示操作员 --skip-unreviewed
	$(BIN)/dsr ledger verify

test: $(STAMP) $(SYSSTAMP) bytecode
	$(BIN)/python -m pytest -q --durations=15 -m "not soak"

soak: $(STAMP) $(SYSSTAMP)
	DSR_KILLS=50 DSR_FLIPS=1000 $(BIN)/python -m pytest -q -s -m "soak or slow" tests/adversarial tests/test_archive_crash.py

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

lab: $(STAMP) $(SYSSTAMP)
	$(BIN)/jupyter lab $$( [ "$$(id -u)" -eq 0 ] && echo --allow-root ) notebooks/ceremony.ipynb

bench: $(STAMP) $(SYSSTAMP) bytecode
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

venv: $(STAMP)

# dsr is installed editable, so pip compiled no bytecode for it; with PYTHONDONTWRITEBYTECODE set (CI images,
# containers) every process, kernel included, would compile dsr from source again (≈ 0.2 s CPU each).
# compileall skips what is current, so this is quick when nothing changed.
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q dsr
sysdeps: $(SYSSTAMP)

$(SYSSTAMP): scripts/sysdeps.sh | $(VENV)/bin/python
	scripts/sysdeps.sh
	touch $@

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV) || { scripts/sysdeps.sh && $(PYTHON) -m venv $(VENV); }

# sysdeps first: the ticket accelerator (setup.py, dsr/core/_ticketc.c) needs a C compiler and OpenSSL's headers
$(STAMP): pyproject.toml constraints.txt setup.py dsr/core/_ticketc.c $(SYSSTAMP) | $(VENV)/bin/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[test,lab]"
	touch $@
