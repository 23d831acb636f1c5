# The README's two commands: `make run` and `make test`. Everything they need, they install.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PG_ADMIN_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
export FLASK_APP := wsgi

.PHONY: install run test lint format bench bench-web bench-matching chromium wrk clean

$(VENV)/bin/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo --if-empty
	$(BIN)/flask run --host 127.0.0.1 --port 5000

chromium:
	@command -v chromium >/dev/null || { apt-get update -q && apt-get install -y -q chromium; }

test: $(VENV)/.installed-test chromium lint
	$(BIN)/pytest -q
	@if $(BIN)/python -c "import psycopg; psycopg.connect('host=127.0.0.1 port=5432 user=postgres dbname=postgres', connect_timeout=3).close()" 2>/dev/null; then \
		echo "== again on PostgreSQL =="; \
		TEST_DATABASE_URL=$(PG_ADMIN_URL) $(BIN)/pytest -q; \
	else \
		echo "PostgreSQL is not answering on 127.0.0.1:5432: the PostgreSQL pass is skipped."; \
	fi

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(VENV)/.installed-test
	$(BIN)/python -m bench

wrk:
	@command -v wrk >/dev/null || { apt-get update -q && apt-get install -y -q wrk; }

bench-web: $(VENV)/.installed-test wrk
	$(BIN)/python -m bench.web

bench-matching: $(VENV)/.installed-test
	$(BIN)/python -m bench.matching

clean:
	rm -rf $(VENV) instance/commons.db*
