"""Shared fixtures: the checkout importable as ``ansible_collections.netguard.aws``, the built collection, moto_server, ansible."""

import atexit
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid

import pytest

from .support import endpoint as support_endpoint
from .support import playbooks, reliability_report, seed

COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _collection_path():
    """A temporary collections path whose netguard/aws is this checkout."""
    parent = tempfile.mkdtemp(prefix="netguard-aws-pytest-")
    atexit.register(shutil.rmtree, parent, True)
    namespace = os.path.join(parent, "ansible_collections", "netguard")
    os.makedirs(namespace)
    os.symlink(COLLECTION_ROOT, os.path.join(namespace, "aws"))
    return parent


if not os.path.realpath(COLLECTION_ROOT).endswith(os.path.join("ansible_collections", "netguard", "aws")):
    sys.path.insert(0, _collection_path())

# moto's in-process EC2 (mock_aws), like moto_server (support/endpoint.py), without the catalogue of public AMIs
# that each region's EC2 would load again after every reset; no test uses it.
os.environ.update(support_endpoint.MOTO_SETTINGS)


@pytest.fixture(scope="session")
def work_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("netguard-aws"))


@pytest.fixture(scope="session")
def built_collection(tmp_path_factory):
    """The collection built from this checkout and installed, once a run: (tarball, collections path).

    pytest-xdist's workers share the run's directory (their own directories' parent); the first to get there builds,
    the others use what it built."""
    run_dir = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        run_dir = run_dir.parent
    with open(os.path.join(str(run_dir), "collection.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        built = os.path.join(str(run_dir), "collection.json")
        if not os.path.exists(built):
            directory = os.path.join(str(run_dir), "collection")
            os.makedirs(directory)
            with open(built + ".tmp", "w") as handle:
                json.dump(support_endpoint.install_collection(directory), handle)
            os.rename(built + ".tmp", built)
        with open(built) as handle:
            return tuple(json.load(handle))


@pytest.fixture(scope="session")
def endpoint(work_dir):
    """moto_server on a free loopback port, for the whole session."""
    with support_endpoint.MotoServer(log_path=os.path.join(work_dir, "moto_server.log"), speedups=True) as server:
        yield server


@pytest.fixture(scope="session")
def collections_path(built_collection):
    return built_collection[1]


@pytest.fixture
def seeded(endpoint):
    """An empty region, then the web group of ``tests/support/seed.py``: the client and its IDs."""
    endpoint.reset()
    ec2 = endpoint.client()
    return ec2, seed.seed_web_group(ec2)


@pytest.fixture
def ansible(endpoint, collections_path, work_dir):
    """Run an ansible command with the installed collection.

    ``aws_environment``: the AWS_* variables to set; by default the endpoint's connection settings.
    ``in_process``: force the action plugins' in-process path (True) or the module (False).
    ``results_file``: where the result_recorder callback writes the collection's task results.

    Every run fails the test if ansible printed a deprecation warning, or a warning that is not one
    of those the collection's tasks returned (``playbooks.assert_no_stray_warnings``).
    """

    def run(*command, aws_environment=None, in_process=None, results_file=None, extra_environment=None):
        if aws_environment is None:
            aws_environment = endpoint.environment()
        settings = dict(aws_environment, ANSIBLE_ROLES_PATH=playbooks.TARGETS, **(extra_environment or {}))
        results_file = results_file or os.path.join(work_dir, "results-%s.json" % uuid.uuid4().hex)
        # result_recorder beside any callback the test enables; ad-hoc ansible loads callbacks other
        # than its output's only with ANSIBLE_LOAD_CALLBACK_PLUGINS.
        for name, value, separator in (("ANSIBLE_CALLBACK_PLUGINS", playbooks.CALLBACKS, os.pathsep),
                                       ("ANSIBLE_CALLBACKS_ENABLED", "result_recorder", ",")):
            settings[name] = separator.join(filter(None, [value, settings.get(name)]))
        settings.update(ANSIBLE_LOAD_CALLBACK_PLUGINS="1", NETGUARD_RESULTS=results_file)
        arguments = list(command[1:])
        if in_process is not None:
            arguments += ["-e", "netguard_aws_in_process=%s" % str(in_process).lower()]
        completed = subprocess.run([support_endpoint.tool(command[0])] + arguments,
                                   env=support_endpoint.ansible_environment(collections_path, work_dir, **settings),
                                   cwd=work_dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   universal_newlines=True, check=False)
        playbooks.assert_no_stray_warnings(completed.stdout, results_file)
        return completed

    return run


@pytest.fixture(params=["in-process", "module"])
def execution_path(request):
    """Run the test once on the in-process path and once on the module path."""
    return playbooks.PATHS[request.param]


@pytest.fixture
def figures(request):
    """``figures(section, **values)``: record what a reliability test measured, for docs/reliability.md."""

    calls = []

    def record(section, **values):
        calls.append(section)
        reliability_report.record(section, "%s-%d" % (request.node.nodeid, len(calls)), values)

    return record


def pytest_sessionstart(session):
    if not hasattr(session.config, "workerinput"):
        reliability_report.start()


def pytest_sessionfinish(session, exitstatus):
    """After a passing run of every reliability test, write docs/reliability.md from their figures."""
    if not hasattr(session.config, "workerinput") and exitstatus == 0:
        reliability_report.write_if_complete(session.config)
