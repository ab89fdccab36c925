# Two commands do everything on a fresh machine: `make book` and `make test`.
# The first use creates .venv and installs the project at the exact versions of
# constraints.txt (what CI tested); later runs reuse it and reinstall only when
# pyproject.toml or constraints.txt changes. `make lock` refreshes constraints.txt.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: all book test test-fast bench lint lock clean

all: test

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -c constraints.txt pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

# Resolve pyproject.toml's ranges afresh in a throwaway venv and pin the result.
lock:
	rm -rf build/lock-venv
	$(PYTHON) -m venv build/lock-venv
	build/lock-venv/bin/python -m pip install --quiet --upgrade pip
	build/lock-venv/bin/python -m pip install --quiet -e '.[dev]'
	{ echo "# Exact versions make installs (refresh: make lock). Generated; do not edit."; \
	  build/lock-venv/bin/python -m pip freeze --all --exclude-editable \
	  | grep -v '^setuptools=='; } > constraints.txt
	rm -rf build/lock-venv

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
