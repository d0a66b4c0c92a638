# The front door. `make demo` and `make test` work on a fresh machine with Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install demo test test-all test-fast bench lint serve model clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

model: install
	@[ -f var/models/classifier.joblib ] || $(BIN)/rexian model train

demo: install model
	$(BIN)/rexian db upgrade
	$(BIN)/rexian city load guangzhou
	$(BIN)/rexian seed-demo
	$(BIN)/rexian serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest -n 2 --dist loadfile -q -m "not slow"

test-all: install
	$(BIN)/python -m pytest -n 2 --dist loadfile -q

test-fast: install
	$(BIN)/python -m pytest -q -m "not slow and not browser" -k "not postgresql"

bench: install model
	$(BIN)/python bench/run_all.py

lint: install
	$(BIN)/ruff check src tests bench

clean:
	rm -rf var build *.egg-info .pytest_cache
