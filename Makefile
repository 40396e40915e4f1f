# zyklus — two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install test test-postgres lint demo web bench soak clean

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
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest

# Needs a PostgreSQL server: ZYKLUS_TEST_POSTGRES_URL=postgresql+psycopg://… (.ci/postgres.sh).
test-postgres: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[postgres]'
	ZYKLUS_TEST_POSTGRES_URL="$(ZYKLUS_TEST_POSTGRES_URL)" $(BIN)/pytest tests_postgres

demo: $(STAMP)
	bash demo/demo.sh
	@printf '\n\033[1m== Im Browser ansehen ==\033[0m\n'
	@echo "make web   startet die Webanwendung auf diesen Demo-Daten und nennt Benutzer und Passwort."

# The web application on the demo data (after `make demo`), clock frozen at the demo's end, with
# the delivery service `zyklus run` alongside (stopped with the web application).
WEB_NOW ?= 2027-06-08T12:00
WEB_PASSWORD ?= demo-passwort-2026
web: $(STAMP)
	@test -f var/demo/config.toml || { echo "Bitte zuerst „make demo“ ausführen."; exit 2; }
	@export ZYKLUS_CONFIG=var/demo/config.toml ZYKLUS_NOW=$(WEB_NOW) ZYKLUS_USER=demo \
	  ZYKLUS_PASSWORD='$(WEB_PASSWORD)'; \
	export ZYKLUS_WEB_SECRET="$${ZYKLUS_WEB_SECRET:-$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(32))')}"; \
	$(BIN)/zyklus init > /dev/null && \
	{ $(BIN)/zyklus user add demo --role koordinierungsstelle --name "Demo-Koordinierungsstelle" \
	    < /dev/null 2> /dev/null || $(BIN)/zyklus user passwd demo < /dev/null > /dev/null; } && \
	echo "Anmelden unter http://127.0.0.1:8000/ als Benutzer „demo“ mit dem Passwort „$(WEB_PASSWORD)“" && \
	echo "(Uhr eingefroren auf $(WEB_NOW); Strg+C beendet.)" && \
	echo "Der Zustelldienst „zyklus run“ läuft nebenher (Protokoll: var/demo/zyklus-run.log); Mails gehen nach var/demo/var/mail." && \
	{ $(BIN)/zyklus run 2> var/demo/zyklus-run.log & dienst=$$!; \
	  trap 'kill $$dienst 2> /dev/null; wait $$dienst' EXIT INT TERM; \
	  $(BIN)/zyklus web; }

bench: $(STAMP)
	$(BIN)/python -m bench.run --write-readme $(BENCH_ARGS)

# The full crash and failure campaign (docs/operations.md "Crash tests"), 6–9 minutes on
# 2 cores; not part of `make test`. Also on PostgreSQL when ZYKLUS_TEST_POSTGRES_URL is set.
soak: $(STAMP)
	@if [ -n "$$ZYKLUS_TEST_POSTGRES_URL" ]; then $(BIN)/python -c 'import psycopg' 2> /dev/null \
	  || $(BIN)/python -m pip install --quiet -e '.[postgres]'; fi
	$(BIN)/python -m soak $(SOAK_ARGS)

clean:
	rm -rf $(VENV) var/demo .pytest_cache .mypy_cache .ruff_cache
