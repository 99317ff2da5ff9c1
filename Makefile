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

# One real inbound call through `make pbx`, from the demo customer Amina Wanjiru, to the
# collections queue: with the app running (SWITCHBOARD_AMI__HOST=127.0.0.1 ...) and agent1 ready
# with a phone, agent1's desktop pops her record. The caller talks DEMO_HOLD_MS, then hangs up.
DEMO_CALLER ?= 0712345678
DEMO_DID ?= 0800123457
DEMO_HOLD_MS ?= 20000
demo-call:
	@bash scripts/pbx.sh status >/dev/null || { echo "the test PBX is not running: make pbx first"; exit 1; }
	sipp 127.0.0.1:5060 -sf tests/pbx/sipp/uac_call.xml -s $(DEMO_DID) -key caller $(DEMO_CALLER) \
		-i 127.0.0.1 -p 5070 -mi 127.0.0.1 -mp 15070 -m 1 -l 1 -d $(DEMO_HOLD_MS) -timeout 180s -nostdin

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
