# The two commands that matter: `make run` (the system) and `make test` (the suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test services stop status migrate lint typecheck venv clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

venv: $(VENV)/.installed

run: venv
	$(PY) -m infra.run

# In parallel (pytest-xdist): every worker has its own database, buckets, Redis prefixes and ports.
# One worker more than the cores: a third of the time a worker waits on the servers it drives (measured on
# 2 cores: 66 % busy with two workers, 241 s; 76-78 % with three, 181-194 s).
# TEST_WORKERS=0 runs it serially. pytest's exit status is make's; services the run started are stopped.
TEST_WORKERS ?= $(shell $(PYTHON) -c 'import os; print(len(os.sched_getaffinity(0)) + 1)')
# Bytecode caches (gitignored __pycache__) are written even where the environment sets PYTHONDONTWRITEBYTECODE:
# otherwise each of the run's ~60 runner starts, every CLI it calls and every xdist worker compiles the
# project's modules again, and pytest rewrites every test module's asserts again in each worker.
test: venv
	PYTHONDONTWRITEBYTECODE= $(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup

services: venv
	$(PY) -m infra.devservices up

stop: venv
	$(PY) -m infra.devservices down

status: venv
	$(PY) -m infra.devservices status

migrate: venv
	set -a && source .local/services.env && set +a && $(PY) -m infra.migrate

lint: venv
	$(VENV)/bin/ruff check .

typecheck: venv
	$(VENV)/bin/mypy

clean: stop
	rm -rf .local build
