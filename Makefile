# Tsunagi — the two commands: `make up` (run it) and `make test` (prove it).
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: up test test-fast bench install clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) is required"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## Start the whole system on this machine (own Redis, SQLite, sample data).
up: $(STAMP)
	$(BIN)/tsunagi up $(ARGS)

## Run the full test suite (unit, integration on SQLite + PostgreSQL, e2e, fault).
## pytest's exit code 5 (no tests collected) counts as a failure.
test: $(STAMP)
	@$(BIN)/pytest $(PYTEST_ARGS); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "no tests ran: failing"; exit 1; fi; exit $$rc

## Everything except the slow fault-injection tests.
test-fast: $(STAMP)
	@$(BIN)/pytest -m "not fault" $(PYTEST_ARGS); rc=$$?; [ $$rc -eq 5 ] && exit 1; exit $$rc

## Benchmarks (not tests): figures in bench/results/ (ARGS="--n 2000" for a bigger run).
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	@touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python -m bench.run $(ARGS)

clean:
	rm -rf data .pytest_cache
