"""Make the checkout importable as ``ansible_collections.netguard.aws`` for pytest."""

import atexit
import os
import shutil
import sys
import tempfile

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
