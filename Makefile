# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
READY := $(VENV)/.requirements-installed
# The ansible-core release of .venv: the default of the version matrix, tests/matrix/versions.toml.
MATRIX := tests/matrix/versions.toml
ANSIBLE_CORE = $(shell $(PYTHON) -c 'import tomllib; print(tomllib.load(open("$(MATRIX)", "rb"))["default"])')

.PHONY: demo test pytest sanity test-matrix test-eda test-ee docs bench mutation clean

# venv's pip installs uv, and uv the rest: the same releases as pip would choose, in seconds instead of most of a
# minute (it fetches and unpacks in parallel). Then the packages are compiled, once, on every core: where
# PYTHONDONTWRITEBYTECODE is set, no later process writes what it compiles, and every ansible, module and moto_server
# process of the tests would compile each module it imports again. Left out: the large packages that come with the
# tools' dependencies and that no test process imports (or one, which compiles only what it imports), and moto's
# services other than those its EC2 and STS endpoints load.
COLD := /(sympy|networkx|mpmath|pip|setuptools|pkg_resources|sphinx|sphinxcontrib|babel|docutils|cfnlint|pygments/lexers|pyarrow|moto/(?!(core|ec2|ecs|iam|sts|s3|logs|events|cloudwatch|moto_api|moto_server|utilities)/)[^/]+)/
$(READY): requirements.txt requirements-test.txt requirements-dev.txt $(MATRIX)
	@$(PYTHON) -c 'import sys; v = sys.version_info; sys.exit(0 if v >= (3, 11) else "Python 3.11 or newer is needed; this is %d.%d (set PYTHON=...)" % v[:2])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --no-compile "uv>=0.4"
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements-dev.txt "ansible-core==$(ANSIBLE_CORE)"
	$(BIN)/python -m compileall -q -j 0 -x '$(COLD)' "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')"
	@touch $@

demo: $(READY)
	$(BIN)/python demo/demo.py

# Both at once, each one's output printed whole when it ends: sanity runs mostly on one core while pytest waits
# on its subprocesses.
test: $(READY)
	@$(MAKE) --no-print-directory -j2 --output-sync=target pytest sanity

# Unit tests (moto in-process), integration tests (built collection, ansible, moto_server) and
# packaging checks (artifact, changelog, docs, ansible-lint, execution environment).
# One worker more than the cores: the tests also wait (on ansible's processes, on botocore's back-off), and a third
# worker fills those waits.
WORKERS = $(shell $(PYTHON) -c 'import os; print((os.cpu_count() or 1) + 1)')
pytest: $(READY)
	$(BIN)/python -m pytest -n $(WORKERS) --dist worksteal --durations=15

# ansible-test sanity on .venv's release; tests/matrix/bootstrap.py provides ansible-test's pip
# bootstrap where its download host is out of reach.
sanity: $(READY)
	$(BIN)/python -m tests.matrix.sanity

# Every release of tests/matrix/versions.toml: sanity and units on each, integration where listed,
# each in its own environment under .matrix/. MATRIX_ARGS: see `python3 -m tests.matrix.run --help`.
test-matrix:
	$(PYTHON) -m tests.matrix.run $(MATRIX_ARGS)

# The shipped rulebook (extensions/eda/rulebooks) on ansible-rulebook, in its own environment: its webhook source
# receives EventBridge-shaped events and the collection, built and installed, revokes against moto_server. Needs
# Java 17.
EDA_VENV := .venv-eda
$(EDA_VENV)/.requirements-installed: requirements.txt tests/eda/requirements.txt $(MATRIX)
	$(PYTHON) -m venv $(EDA_VENV)
	$(EDA_VENV)/bin/python -m pip install --quiet --no-compile "uv>=0.4"
	$(EDA_VENV)/bin/uv pip install --quiet --python $(EDA_VENV)/bin/python -r tests/eda/requirements.txt "ansible-core==$(ANSIBLE_CORE)"
	@touch $@

test-eda: $(READY) $(EDA_VENV)/.requirements-installed
	NETGUARD_EDA_VENV=$(EDA_VENV) $(BIN)/python -m pytest -n 0 -p no:cacheprovider tests/eda/rulebook_e2e.py

# Not part of `make test`: the execution environment of tests/execution_environment/execution-environment.yml,
# built with ansible-builder and podman, and the demo play run inside it with ansible-navigator against a local
# endpoint (tests/execution_environment/run.py). The base image is made from Debian's packages, as no container
# registry is reachable here, and kept in podman's storage; the Debian packages it needs are installed when missing.
EE_VENV := .venv-ee
$(EE_VENV)/.requirements-installed: tests/execution_environment/requirements.txt
	$(PYTHON) -m venv $(EE_VENV)
	$(EE_VENV)/bin/python -m pip install --quiet -r tests/execution_environment/requirements.txt
	@touch $@

test-ee: $(READY) $(EE_VENV)/.requirements-installed
	$(BIN)/python tests/execution_environment/run.py

# Regenerate docs/reference from the modules' documentation, and the supported-versions tables of
# README.md and docs/versions.md from tests/matrix/versions.toml (tests/packaging checks both are current).
docs: $(READY)
	$(BIN)/python -m tests.support.reference_docs
	$(BIN)/python -m tests.matrix.docs

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

# Not part of `make test` (about 17 minutes on 2 cores): mutation testing of the pure logic with mutmut,
# against tests/unit/plugins/module_utils only, in .mutation/. FILES="rules.py selector.py" measures those
# files only; verdicts are kept while plugins/ and tests/ are unchanged. MUTATION_ARGS="--quick" skips trying
# survivors as real edits, MUTATION_ARGS="--fresh" starts from nothing.
MUTATION_VENV := .venv-mutation
$(MUTATION_VENV)/.requirements-installed: requirements.txt requirements-test.txt tests/mutation/requirements.txt $(MATRIX)
	$(PYTHON) -m venv $(MUTATION_VENV)
	$(MUTATION_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(MUTATION_VENV)/bin/python -m pip install --quiet -r tests/mutation/requirements.txt "ansible-core==$(ANSIBLE_CORE)"
	@touch $@

mutation: $(MUTATION_VENV)/.requirements-installed
	$(MUTATION_VENV)/bin/python -m tests.mutation.run $(MUTATION_ARGS) $(FILES)

clean:
	rm -rf $(VENV) $(BENCH_VENV) $(MUTATION_VENV) $(EDA_VENV) $(EE_VENV) .mutation .matrix build tests/output .pytest_cache
