# Quick start: `make demo` runs the application on its embedded defaults with demo data;
# `make test` runs the whole test suite against real PostgreSQL and Redis on loopback.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.DEFAULT_GOAL := help
.PHONY: help demo test bench lint format clean services-start services-stop

help:
	@echo "make demo    set up and run the application with demo data at http://127.0.0.1:8000"
	@echo "make test    set up and run the whole test suite (real PostgreSQL, Redis, Celery)"
	@echo "make bench   run the benchmarks (QUICK=1 for small sizes)"
	@echo "make lint    ruff and mypy"
	@echo "make clean   remove var/ (database, files, test servers) and the virtualenv"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $(VENV)/.runtime-installed $@

demo: $(VENV)/.runtime-installed
	$(BIN)/python scripts/compile_messages.py
	@"$$(command -v ldconfig || echo /sbin/ldconfig)" -p 2>/dev/null | grep -q libpangoft2-1.0 || echo "Note: the PDF reports need Pango (Debian: apt-get install libpango-1.0-0 libpangoft2-1.0-0); everything else runs without it."
	$(BIN)/python manage.py migrate --noinput
	set -a && . ./demo.env && set +a && $(BIN)/python manage.py load_demo
	@echo "Starting web, worker, beat and the demo processor at http://127.0.0.1:8000 (Ctrl-C stops all)."
	$(BIN)/honcho -e demo.env -f Procfile.demo start

test: $(VENV)/.dev-installed
	scripts/services.sh run -- scripts/dovecot.sh run -- scripts/test.sh

bench: $(VENV)/.dev-installed
	scripts/services.sh run -- $(BIN)/python bench/run.py $(if $(QUICK),--quick)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: $(VENV)/.dev-installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

services-start:
	scripts/services.sh start

services-stop:
	scripts/services.sh stop

clean:
	-scripts/dovecot.sh stop
	-scripts/services.sh stop
	rm -rf var $(VENV)
