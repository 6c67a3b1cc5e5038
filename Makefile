# Two commands for a newcomer on Debian/Ubuntu:
#   make run    install, create a SQLite database with the demo, serve http://127.0.0.1:5000
#   make test   install (with test tools), run every test on SQLite, on PostgreSQL, in Chromium
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The interpreter of .venv: Debian's own python3 where there is one. It is built with
# profile-guided and link-time optimisation; on this project's test machine the tests took
# about a fifth less CPU time on it than on a Python built without them, and the app starts
# sooner (docs/decisions.md, "The interpreter"). PYTHON=... chooses another; an existing
# .venv keeps the interpreter it was made with (`make clean` first to change it).
PYTHON ?= $(firstword $(wildcard /usr/bin/python3) python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

# Debian packages: Japanese fonts for pages and certificates; the rest for the tests.
APT_RUN := python3-venv fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0
APT_TEST := $(APT_RUN) chromium postgresql poppler-utils sqlite3 nodejs zbar-tools haproxy redis-server
PYTEST := $(BIN)/pytest -p no:cacheprovider

.PHONY: help run test test-sqlite test-postgres test-browser test-browser-then-load test-load axe bench load install install-test system-run system-test clean

help:
	@echo "make run   - demo on http://$(HOST):$(PORT) (SQLite, demo accounts printed)"
	@echo "make test  - every test: SQLite, PostgreSQL, browser, short load-and-crash test"
	@echo "make load  - the full load and crash test (100 trainees, SQLite and PostgreSQL), and the scale-out test"
	@echo "make bench - every benchmark in bench/ (docs/performance.md)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test,redis]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

system-run:
	@scripts/system-packages.sh $(APT_RUN)

system-test:
	@scripts/system-packages.sh $(APT_TEST)

instance/secret_key:
	@mkdir -p instance
	@$(PYTHON) -c 'import secrets; print(secrets.token_hex(32))' > $@
	@chmod 600 $@

instance/demo_password:
	@mkdir -p instance
	@$(PYTHON) -c 'import secrets; print("demo-" + secrets.token_urlsafe(8))' > $@
	@chmod 600 $@

# A local demo over plain http on loopback: Secure cookies are switched off for it. The job
# worker (training worker) runs beside the web server; Ctrl+C stops both (the terminal sends
# SIGINT to both, and leaving the recipe stops the worker in any case).
run: system-run install instance/secret_key instance/demo_password
	@export SESSION_COOKIE_SECURE=false; \
	$(BIN)/training init-db && \
	$(BIN)/training demo --password "$$(cat instance/demo_password)" && \
	echo "==> http://$(HOST):$(PORT)/ （Ctrl+C で終了）" && \
	{ $(BIN)/training worker & worker=$$!; \
	  trap 'kill -TERM $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	  $(BIN)/training run --host $(HOST) --port $(PORT); }

# The SQLite, PostgreSQL and browser suites are independent (own database, own ports, own
# instance folder) and run side by side; each one's output is printed whole when it ends
# (--output-sync). The short load test follows the browser suite, the shortest of the three,
# while the other two still run: it asserts no lost write and no failed request, and only
# reports latency (the full `make load` measures it alone). The three jobs now end within
# half a minute of each other (on Debian's Python the two database suites got faster than the
# browser-and-load job), so none of them runs nicer than the others.
test: system-test install-test axe
	$(MAKE) --no-print-directory -j3 --output-sync=target test-sqlite test-postgres test-browser-then-load

test-browser-then-load: install-test axe
	@$(MAKE) --no-print-directory test-browser
	@$(MAKE) --no-print-directory test-load

test-sqlite: install-test
	@echo "==> tests on SQLite"
	$(PYTEST) tests/unit tests/integration

# tests/unit is database-free (plain functions, bare Flask apps), so it runs once, on SQLite.
test-postgres: install-test
	@echo "==> tests on PostgreSQL"
	scripts/with-postgres.sh $(PYTEST) tests/integration

# axe-core (accessibility rules, from the npm registry) for tests/browser/test_accessibility.py.
axe: install-test
	@scripts/fetch-axe.sh

test-browser: install-test axe
	@echo "==> browser tests (headless Chromium, axe-core)"
	$(PYTEST) tests/browser

test-load: install-test
	@echo "==> short load and crash test (gunicorn, SQLite and PostgreSQL), then the scale-out test (HAProxy, two app servers, Redis)"
	scripts/with-postgres.sh $(PYTEST) tests/load

# Full load test: 100 trainees for 60 s on SQLite and PostgreSQL, then the SIGKILL crash variant,
# then the scale-out test: one and two app servers behind HAProxy at 100 and 300 trainees, and
# the kill / PostgreSQL restart / Redis restart run with 100 trainees.
# Last, the class certificate ZIP of 350 trainees through the job worker under gunicorn's default
# timeout (a minute or more of rendering: too long for make test).
load: system-test install-test
	scripts/with-postgres.sh $(BIN)/python bench/load_test.py --db both
	scripts/with-postgres.sh $(BIN)/python bench/load_test.py --db both --crash
	scripts/with-postgres.sh $(BIN)/python bench/scale_test.py --full
	LOAD_FULL=1 $(PYTEST) -s tests/load/test_jobs_worker.py -k 350

# Every benchmark in bench/ (several minutes; outputs in test-artifacts/bench/). See docs/performance.md.
bench: system-test install-test
	scripts/bench.sh

clean:
	rm -rf $(VENV) test-artifacts .pytest_cache
