# saasmgr: `make run` starts the app with demo data; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
SEED ?= 1
SIZE ?= small
PYTEST_ARGS ?=
# Links in emails and the printed login table point at the server `make run` starts.
SITE_URL ?= http://$(HOST):$(PORT)
export SITE_URL

.PHONY: run test install install-dev migrate demo lint format bench clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py seed_demo --size $(SIZE) --seed $(SEED)

run: demo
	@echo
	@echo "  saasmgr is starting at http://$(HOST):$(PORT)/  (Ctrl-C stops the web server, worker and beat)"
	@echo
	SAASMGR_HOST=$(HOST) SAASMGR_PORT=$(PORT) $(VENV)/bin/honcho start -f Procfile

test: install-dev
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: install-dev
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

# The benchmarks of DESIGN.md section 8 on PostgreSQL (BENCH_DATABASE_URL); BENCH_ARGS="--scale 0.05" for a quick run.
bench: install
	$(PY) -m pip install --quiet -r bench/requirements.txt
	$(PY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf var/celery var/cache var/media var/static var/saasmgr.sqlite3*
