"""Make the checkout importable as ``ansible_collections.netguard.aws`` for pytest."""

import atexit
import os
import shutil
import sys
import tempfile

import pytest

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


@pytest.fixture(scope="session")
def work_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("netguard-aws"))


@pytest.fixture(scope="session")
def built_collection(work_dir):
    """The collection built from this checkout and installed: (tarball, collections path)."""
    from .support.endpoint import install_collection

    return install_collection(work_dir)


@pytest.fixture(scope="session")
def endpoint(work_dir):
    """moto_server on a free loopback port, for the whole session."""
    from .support.endpoint import MotoServer

    with MotoServer(log_path=os.path.join(work_dir, "moto_server.log")) as server:
        yield server
