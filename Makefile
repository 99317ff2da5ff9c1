# Switchboard: two commands for a fresh machine.
#   make run   - set up, migrate ./switchboard.db, load demo data, print logins, serve :8000
#   make test  - set up, start PostgreSQL/Redis/the test PBX, run every test on SQLite and PostgreSQL
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint venv services pbx pbx-down demo-call bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/switchboard run-demo --host 127.0.0.1 --port 8000

services:
	bash scripts/services.sh

test: $(STAMP) services
	bash scripts/pbx.sh build
	$(BIN)/pytest -q -p no:cacheprovider
	$(MAKE) lint

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

pbx:
	bash scripts/pbx.sh start

pbx-down:
	bash scripts/pbx.sh stop

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
