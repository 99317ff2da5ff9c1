# Switchboard: two commands for a fresh machine.
#   make run   - set up, migrate ./switchboard.db, load demo data, print logins, serve :8000 (PORT=8100 for another)
#   make test  - set up, start PostgreSQL/Redis/the test PBX, run every test on SQLite and PostgreSQL
PYTHON ?= python3
PORT   ?= 8000
# pytest-xdist workers for `make test`: the PBX tests take one (tests/support/pbx_group.py), the rest share the others
TEST_WORKERS ?= 3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint venv web services pbx pbx-down demo-call bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

# The browser phone's libraries (JsSIP, Twilio's Voice SDK) from npm, pinned by web/package-lock.json
# and bundled with esbuild into agent_ui/static/vendor (git-ignored). Node and npm from Debian if missing.
WEB_STAMP := agent_ui/static/vendor/.built
$(WEB_STAMP): web/package.json web/package-lock.json $(wildcard web/src/*.js)
	command -v npm >/dev/null 2>&1 || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nodejs npm; }
	cd web && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build
	touch $(WEB_STAMP)

web: $(WEB_STAMP)

run: $(STAMP) $(WEB_STAMP)
	$(BIN)/switchboard run-demo --host 127.0.0.1 --port $(PORT)

services:
	bash scripts/services.sh

test: $(STAMP) $(WEB_STAMP) services
	bash pbx/pbx.sh build
	$(BIN)/pytest -q -p no:cacheprovider -n $(TEST_WORKERS)
	$(MAKE) lint

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

pbx: $(STAMP)
	bash pbx/pbx.sh start
	SWITCHBOARD_PYTHON=$(BIN)/python bash pbx/pbx.sh prompts

pbx-down:
	bash pbx/pbx.sh stop

# One real inbound call through `make pbx`, from the demo customer Amina Wanjiru, to the
# collections queue: with the app running (SWITCHBOARD_AMI__HOST=127.0.0.1 ...) and agent1 ready
# with a phone, agent1's desktop pops her record. The caller talks DEMO_HOLD_MS, then hangs up.
DEMO_CALLER ?= 0712345678
DEMO_DID ?= 0800123457
DEMO_HOLD_MS ?= 20000
demo-call:
	@bash pbx/pbx.sh status >/dev/null || { echo "the test PBX is not running: make pbx first"; exit 1; }
	sipp 127.0.0.1:5060 -sf pbx/sipp/uac_call.xml -s $(DEMO_DID) -key caller $(DEMO_CALLER) \
		-i 127.0.0.1 -p 5070 -mi 127.0.0.1 -mp 15070 -m 1 -l 1 -d $(DEMO_HOLD_MS) -timeout 180s -nostdin

# Every bench script that needs no PBX, briefly: small sizes, a few seconds each, each run bounded by
# BENCH_TIMEOUT seconds (`make bench` fails if one fails or overruns). A check that the scripts still
# run, with indicative figures; the README's figures come from the full runs (bench/NAME.py --help),
# and the PBX ones (pop_latency.py pbx, failover.py, phone_answer.py, ivr_latency.py pbx) run by hand.
BENCH_TIMEOUT ?= 300
BENCH_DIR ?= /tmp/switchboard-bench-make
BENCH := timeout $(BENCH_TIMEOUT) $(BIN)/python
bench: $(STAMP) services
	$(BENCH) bench/ami_ingest.py --copies 20 --rounds 1
	$(BENCH) bench/lookup.py --customers 5000 --samples 200 --workdir $(BENCH_DIR)
	$(BENCH) bench/dialer_pick.py --tasks 5000 --claims 300 --single 200 --workers 2 --max-seconds 20
	$(BENCH) bench/work_list.py --customers 2000 --pages 5 --workdir $(BENCH_DIR)
	$(BENCH) bench/call_log.py --calls 5000 --samples 20 --workdir $(BENCH_DIR)
	$(BENCH) bench/twilio_webhook.py --rate 50 --seconds 3
	$(BENCH) bench/login_flood.py --clients 4 --seconds 3
	$(BENCH) bench/sms_outbox.py --rate 20 --seconds 3 --drain 200
	$(BENCH) bench/mpesa_c2b.py --rate 50 --seconds 3 --warmup 1 --customers 200 --agents 10
	$(BENCH) bench/pop_latency.py replay --agents 50 --rate 50 --seconds 3 --warmup 1
	$(BENCH) bench/ivr_latency.py twiml --rate 50 --seconds 3

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache web/node_modules agent_ui/static/vendor
