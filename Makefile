# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
READY := $(VENV)/.requirements-installed

.PHONY: demo test pytest sanity docs bench clean

$(READY): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; v = sys.version_info; sys.exit(0 if v >= (3, 11) else "Python 3.11 or newer is needed; this is %d.%d (set PYTHON=...)" % v[:2])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $@

demo: $(READY)
	$(BIN)/python demo/demo.py

test: pytest sanity

# Unit tests (moto in-process), integration tests (built collection, ansible, moto_server) and
# packaging checks (artifact, changelog, docs, ansible-lint, execution environment).
pytest: $(READY)
	$(BIN)/python -m pytest -n auto

sanity: $(READY)
	bash tests/sanity.sh $(BIN)/python

# Regenerate docs/reference from the modules' documentation (tests/packaging checks it is current).
docs: $(READY)
	$(BIN)/python -m tests.support.reference_docs

# Not a test: timings against a local endpoint, written to docs/performance.md. Its own environment,
# with the `ansible` package for amazon.aws, which the collection is compared against.
BENCH_VENV := .venv-bench
$(BENCH_VENV)/.requirements-installed: requirements.txt bench/requirements.txt
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet -r bench/requirements.txt
	@touch $@

bench: $(BENCH_VENV)/.requirements-installed
	$(BENCH_VENV)/bin/python bench/run.py

clean:
	rm -rf $(VENV) $(BENCH_VENV) build tests/output .pytest_cache
