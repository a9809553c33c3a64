# `make run` and `make test` work on a fresh machine: they find a Python >= 3.12,
# make .venv, install the pinned requirements, and go.

VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

# The first interpreter >= 3.12 among the usual names, then pyenv's versions (newest first);
# PYTHON=/path/to/python overrides.
PYTHON ?= $(shell for c in python3.14 python3.13 python3.12 python3 python \
	$$(ls -d $$(pyenv root 2>/dev/null || echo $$HOME/.pyenv)/versions/3.1[2-9]*/bin/python 2>/dev/null | sort -rV); do \
	$$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && { command -v $$c; break; }; done)

.PHONY: run test lint format migrations-check bench mutants demo clean

$(PY):
	@if [ -z "$(PYTHON)" ]; then \
		echo "No Python >= 3.12 found. Install one, or run: make $(MAKECMDGOALS) PYTHON=/path/to/python3.12" >&2; exit 1; fi
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

run: export DJANGO_DEBUG ?= 1
# Links in emails and feeds name the port the server really listens on.
run: export DJANGO_SITE_URL ?= http://$(HOST):$(PORT)
run: $(VENV)/.runtime
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo_data
	@echo
	@echo "  Open Event is running at http://$(HOST):$(PORT)/"
	@echo "  Demo logins (password: demo-password-1):"
	@echo "    superadmin@example.com (super admin), admin@example.com (admin),"
	@echo "    alice@example.com (organizer), bob@example.com (co-organizer),"
	@echo "    carol@example.com (moderator), dave@example.com (track organizer)"
	@echo "  Another port: make run PORT=8001"
	@echo
	@# One worker beside the web server (emails, webhooks); the trap stops it when the server exits or on Ctrl-C.
	@trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py worker & worker=$$!; \
	$(PY) -m daphne --no-server-name -b $(HOST) -p $(PORT) eventsite.asgi:application

test: export DJANGO_DEBUG ?= 1
test: $(VENV)/.dev
	$(PY) manage.py check
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(VENV)/.dev
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

# Benchmarks of the production servers (gunicorn for HTTP, daphne for sockets, nginx in front for
# the load test) on the local PostgreSQL + Redis (BENCH_DATABASE_URL, REDIS_URL override them), beside
# pretalx 2026.2.1 (installed once under ~/.cache/openevent-bench, a few minutes the first time) with wrk
# and nginx (.ci/run installs them); writes benchmarks/RESULTS.md. About 6 minutes on 2 cores.
bench: $(VENV)/.dev
	$(PY) -m benchmarks.run

# Mutation testing of the core rules (tools/mutants.py: each module against its own tests, in
# build/mutants/), niced; writes docs/mutants-report.txt. Not part of CI: about an hour on 2 cores.
# Some modules only: make mutants MODULES="versioning drf".
mutants: $(VENV)/.dev
	nice -n 10 $(PY) tools/mutants.py $(MODULES)

migrations-check: export DJANGO_DEBUG ?= 1
migrations-check: $(VENV)/.dev
	$(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) db.sqlite3 test_db.sqlite3 staticfiles build
