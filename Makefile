# zyklus — two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install test test-postgres lint demo bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

# Needs a PostgreSQL server: ZYKLUS_TEST_POSTGRES_URL=postgresql+psycopg://… (.ci/postgres.sh).
test-postgres: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[postgres]'
	ZYKLUS_TEST_POSTGRES_URL="$(ZYKLUS_TEST_POSTGRES_URL)" $(BIN)/pytest tests_postgres

demo: $(STAMP)
	bash demo/demo.sh

bench: $(STAMP)
	$(BIN)/python -m bench.run --write-readme $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var/demo .pytest_cache .mypy_cache .ruff_cache
