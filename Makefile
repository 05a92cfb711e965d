# Gonghui — the two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export DEBUG ?= 1

.PHONY: setup run test test-browser test-postgres clean

# Idempotent: virtualenv, the project with its dependencies, front-end assets from npm (compiled
# translations are committed).
setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

run: setup
	$(BIN)/gonghui migrate --noinput
	$(BIN)/gonghui demo --scale small
	@echo
	@echo "Gonghui is serving on http://127.0.0.1:$(PORT)/  (staff: /staff/, API docs: /api/v1/docs)"
	@# The same logins as README.md's "Demo logins" (tests/core/test_makefile.py holds them together).
	@echo "Demo logins (password gonghui-demo): admin (superuser), nb (宁波市总工会), yz, bl, fh, yy (district cadres),"
	@echo "  worker (a member, at /login/), bl_mediator, yz_mediator, fh_mediator, yy_mediator (mediation rooms),"
	@echo "  bl_lawyer, yz_lawyer, yy_lawyer (the rooms' lawyers)"
	@echo "Background tasks (roster imports) run in a worker beside the server; both stop with Ctrl+C."
	@echo
	@# The task worker runs in the background for as long as the server does (trap: stopped on any exit).
	@# Ctrl+C is how one stops it, not a failure: exit 0, so make prints no "*** Error 130".
	$(BIN)/gonghui db_worker --no-reload --verbosity 1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	trap 'exit 0' INT; trap 'exit 143' TERM; \
	$(BIN)/gonghui runserver 127.0.0.1:$(PORT)

# The layering contract and the linter (pyproject.toml), then the whole suite on SQLite (and on
# PostgreSQL when DATABASE_URL is set), browser tests included.
test: setup
	$(BIN)/lint-imports
	$(BIN)/ruff check
	$(BIN)/python -m pytest -n 2 --dist loadfile

test-browser: setup
	$(BIN)/python -m pytest -m browser

# The suite against a throwaway database on the local PostgreSQL.
test-postgres: setup
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/gonghui} $(BIN)/python -m pytest -n 2 --dist loadfile

clean:
	rm -rf $(VENV) node_modules var
