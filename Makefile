# Two commands do everything on a fresh machine: `make book` and `make test`.
# The first use creates .venv and installs the project; later runs reuse it and
# reinstall only when pyproject.toml changes.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: all book test test-fast bench lint clean

all: test

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

book: $(STAMP)
	$(PY) -m jupyter_book build . --warningiserror --keep-going -n

test: $(STAMP)
	$(PY) -m pytest -n auto --durations=10

bench: $(STAMP)
	$(PY) benchmarks/reference_speed.py

lint: $(STAMP)
	$(PY) -m ruff check solutions convlab autograder tests benchmarks

clean:
	rm -rf _build build .pytest_cache
