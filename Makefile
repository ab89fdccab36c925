# Two commands do everything on a fresh machine: `make book` and `make test`.
# The first use checks the system prerequisites (scripts/check-prereqs), creates .venv and
# installs the project at the exact versions of constraints.txt (what CI tested); later runs
# reuse it and reinstall only when pyproject.toml or constraints.txt changes. `make book`
# installs only what the book needs; `make test` adds the dev extra (pytest, torch, playwright).
# `make lock` refreshes constraints.txt.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
BOOK_STAMP := $(VENV)/.installed-book
DEV_STAMP  := $(VENV)/.installed-dev

.PHONY: all book test test-fast bench lint lock clean prereqs-book prereqs-test

all: test

prereqs-book:
	@scripts/check-prereqs $(PYTHON) book
prereqs-test:
	@scripts/check-prereqs $(PYTHON) test

$(BOOK_STAMP): pyproject.toml constraints.txt | prereqs-book
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -c constraints.txt pip
	$(PY) -m pip install --quiet -c constraints.txt -e .
	@touch $(BOOK_STAMP)

# TORCH_INDEX: an index to take torch from first, e.g. PyTorch's CPU wheels
# (make test TORCH_INDEX=https://download.pytorch.org/whl/cpu, as PyTorch documents it);
# constraints.txt's torch==2.13.0 also matches its local build 2.13.0+cpu. Only torch comes
# from there (--no-deps); its dependencies come from PyPI with the rest. Empty: PyPI's torch.
TORCH_INDEX ?=

$(DEV_STAMP): $(BOOK_STAMP) | prereqs-test
	$(if $(TORCH_INDEX),$(PY) -m pip install --quiet -c constraints.txt --no-deps torch --index-url $(TORCH_INDEX))
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(DEV_STAMP)

# Resolve pyproject.toml's ranges afresh in a throwaway venv and pin the result. Local version
# labels (torch's `+cpu` where a CPU wheel was at hand) are cut: the public index has none.
lock:
	rm -rf build/lock-venv
	$(PYTHON) -m venv build/lock-venv
	build/lock-venv/bin/python -m pip install --quiet --upgrade pip
	build/lock-venv/bin/python -m pip install --quiet -e '.[dev]'
	{ echo "# Exact versions make installs (refresh: make lock). Generated; do not edit."; \
	  build/lock-venv/bin/python -m pip freeze --all --exclude-editable \
	  | grep -v '^setuptools==' | sed 's/+[A-Za-z0-9.]*$$//'; } > constraints.txt
	rm -rf build/lock-venv

# bookbuild/: `npm ci` when package-lock.json changed (MathJax, require.js and the widgets
# manager are served from the book, never a CDN), student versions of the chapters staged in
# _build/student_src/, jupyter-book build -W -n --keep-going into _build/html/ (notebook
# execution cached in _build/.jupyter_cache/), then a scan for network references and leaks.
book: $(BOOK_STAMP)
	$(PY) -m bookbuild

test: $(DEV_STAMP)
	$(PY) -m pytest -n auto --dist loadgroup --durations=10

# A developer's quick subset: everything but the tests marked slow (book builds, grading
# corpora, browsers, the capstone's training run).
test-fast: $(DEV_STAMP)
	$(PY) -m pytest -n auto --dist loadgroup -m "not slow"

bench: $(DEV_STAMP)
	$(PY) benchmarks/reference_speed.py
	$(PY) benchmarks/training_speed.py
	$(PY) benchmarks/widget_latency.py
	$(PY) benchmarks/grading_speed.py

lint: $(DEV_STAMP)
	$(PY) -m ruff check solutions convlab autograder bookbuild tests benchmarks

clean:
	rm -rf _build build .pytest_cache
