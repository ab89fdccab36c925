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

# bookbuild/: `npm ci` when package-lock.json changed (MathJax, require.js and the widgets
# manager are served from the book, never a CDN), student versions of the chapters staged in
# _build/student_src/, jupyter-book build -W -n --keep-going into _build/html/ (notebook
# execution cached in _build/.jupyter_cache/), then a scan for network references and leaks.
book: $(STAMP)
	$(PY) -m bookbuild

test: $(STAMP)
	$(PY) -m pytest -n auto --durations=10

bench: $(STAMP)
	$(PY) benchmarks/reference_speed.py
	$(PY) benchmarks/widget_latency.py
	$(PY) benchmarks/grading_speed.py

lint: $(STAMP)
	$(PY) -m ruff check solutions convlab autograder bookbuild tests benchmarks

clean:
	rm -rf _build build .pytest_cache
