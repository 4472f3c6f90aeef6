# DealerDesk — every command sets itself up first (a fresh clone needs only Python 3.12+ and make).
SHELL := /bin/bash
PY ?= $(shell for p in python3.13 python3.12 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
PORT ?= 8000
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: setup run test lint format bench worker tick migrate demo clean

$(STAMP): requirements.lock pyproject.toml
	@test -n "$(PY)" || { echo "DealerDesk needs Python 3.12 or newer (python3.13/python3.12/python3)."; exit 1; }
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@echo "==> installing dependencies into $(VENV) (pinned in requirements.lock)"
	@$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.lock
	@$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e .
	@rm -f $(VENV)/.installed-* && touch $@

setup: $(STAMP)
	@$(BIN)/dealerdesk compile_translations

migrate: setup
	@$(BIN)/dealerdesk migrate --no-input -v0

demo: migrate
	@$(BIN)/dealerdesk demo_data

run: demo
	@PORT=$(PORT) scripts/run.sh

test: setup
	@scripts/test.sh

lint: setup
	@$(BIN)/ruff check src tests benchmarks
	@$(BIN)/ruff format --check src tests benchmarks
	@DEALERDESK_VAR=$$(mktemp -d) $(BIN)/dealerdesk makemigrations --check --dry-run -v0 || { echo "Models changed without a migration."; exit 1; }

format: setup
	@$(BIN)/ruff check --fix src tests benchmarks
	@$(BIN)/ruff format src tests benchmarks

bench: migrate
	@$(BIN)/python benchmarks/run.py

worker: migrate
	@$(BIN)/dealerdesk db_worker

tick: migrate
	@$(BIN)/dealerdesk tick

clean:
	rm -rf $(VENV) var .pytest_cache test-results
