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
# Twice as many workers as cores: a worker spends much of its time waiting on the servers, browsers and
# faults it drives. Measured on 2 cores, 868 tests within one hour: 3 workers 141 s, 4 workers 129-136 s,
# 5 workers 130-136 s. With 4 workers (869 tests) the run takes 120-130 s with both cores 90 % busy
# throughout (about 190 s of CPU): it is bound by CPU, the chaos group (~80 s) its longest part.
# TEST_WORKERS=0 runs it serially. pytest's exit status is make's; services the run started are stopped.
TEST_WORKERS ?= $(shell $(PYTHON) -c 'import os; print(2 * len(os.sched_getaffinity(0)))')
# Bytecode caches (gitignored __pycache__) are written even where the environment sets PYTHONDONTWRITEBYTECODE:
# otherwise each of the run's ~60 runner starts, every CLI it calls and every xdist worker compiles the
# project's modules again, and pytest rewrites every test module's asserts again in each worker.
test: venv
	PYTHONDONTWRITEBYTECODE= $(PY) -m pytest -n $(TEST_WORKERS)

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
