# yingji — the two commands of the quick start: `make demo` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# The suite runs in this many processes, a test file each at a time (databases, servers and brokers of
# a test are private to it); PYTEST_WORKERS=0 runs it in one. A worker that dies ends the run naming its
# test (--max-worker-restart 0): pytest-xdist's loadfile hangs at the end after replacing a dead worker.
PYTEST_WORKERS ?= 2
DEMO_DB ?= $(CURDIR)/var/demo.db
export YINGJI_DATABASE_URL ?= sqlite:///$(DEMO_DB)

.PHONY: demo test venv lint typecheck contracts services pytest bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

demo: venv
	$(VENV)/bin/yingji db upgrade
	$(VENV)/bin/yingji demo load
	$(VENV)/bin/yingji serve --host 127.0.0.1 --port $(PORT)

lint: venv
	$(VENV)/bin/ruff check src tests bench tools
	$(VENV)/bin/ruff format --check src tests bench tools

typecheck: venv
	$(VENV)/bin/mypy

contracts: venv
	$(VENV)/bin/lint-imports

services:
	bash tools/ensure-services.sh

pytest: venv
	$(VENV)/bin/pytest $(PYTEST_ARGS)

test: venv services lint typecheck contracts
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) --dist loadfile --max-worker-restart 0 $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var test-artifacts .pytest_cache .mypy_cache .ruff_cache
