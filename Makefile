# The README's two commands are `make repro` and `make test`; both set up .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: setup repro test test-slow lint bench

$(BIN)/dvc: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --editable ".[dev]"
	touch $@

setup: $(BIN)/dvc

repro: setup
	dvc repro

lint: setup
	ruff check .
	ruff format --check .

test: lint
	pytest

test-slow: setup
	pytest -m slow

bench: setup
	python benchmarks/recurrent_layers.py
