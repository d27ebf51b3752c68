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

test: venv
	$(PY) -m pytest

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
