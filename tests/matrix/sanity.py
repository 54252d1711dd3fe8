"""``ansible-test sanity`` on the checkout, with the ansible-test of the Python that runs this.

ansible-test wants the collection at ``ansible_collections/netguard/aws``: the checkout's files
(committed, and untracked ones git does not ignore) are laid out so in a temporary directory.
Every test runs on this Python; compile and import run on every module Python of this release
(its ansible-test's list, from ``tests/config.yml``'s ``python_requires`` on) that is installed,
in one ansible-test run. What cannot run is reported by name with the reason: a module Python that is not
installed, or a test whose own requirements are not on the package index. Usage:
``python -m tests.matrix.sanity`` with the Python that has ansible-test.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml
from ansible_test._internal.constants import SUPPORTED_PYTHON_VERSIONS
from ansible_test._internal.util import ANSIBLE_TEST_DATA_ROOT

from . import bootstrap
from .interpreters import interpreter_path, version_key

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ANSIBLE_TEST = os.path.join(os.path.dirname(sys.executable), "ansible-test")
OWN = "%d.%d" % sys.version_info[:2]
# A requirement that names an archive by address ("name @ https://...") instead of a release on the index.
DIRECT_REFERENCE = re.compile(r"^\s*([A-Za-z0-9_.-]+)\s*@\s*(\S+)", re.MULTILINE)


def module_pythons():
    """This release's module Pythons that ``tests/config.yml`` admits, oldest first."""
    with open(os.path.join(ROOT, "tests", "config.yml")) as handle:
        required = yaml.safe_load(handle)["modules"]["python_requires"]
    oldest = version_key(required.lstrip(">="))
    return [version for version in SUPPORTED_PYTHON_VERSIONS if version_key(version) >= oldest]


def unavailable_tests():
    """``{test: reason}`` for tests whose requirements name an archive outside the package index."""
    directory = os.path.join(ANSIBLE_TEST_DATA_ROOT, "requirements")
    reasons = {}
    for name in sorted(os.listdir(directory)):
        match = re.match(r"sanity\.(.+)\.txt$", name)
        if match:
            with open(os.path.join(directory, name)) as handle:
                references = DIRECT_REFERENCE.findall(handle.read())
            if references:
                reasons[match.group(1)] = "its requirements pin %s" % ", ".join(
                    "%s from %s, outside the package index" % reference for reference in references)
    return reasons


def collection_tree(work):
    """The checkout's files under ``work``/ansible_collections/netguard/aws; the path of that directory."""
    listing = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                             check=True, stdout=subprocess.PIPE).stdout.decode()
    collection = os.path.join(work, "ansible_collections", "netguard", "aws")
    for path in listing.split("\0"):
        source = os.path.join(ROOT, path)
        if path and os.path.isfile(source):
            os.makedirs(os.path.dirname(os.path.join(collection, path)), exist_ok=True)
            shutil.copy2(source, os.path.join(collection, path))
    return collection


def main():
    bootstrap.main()
    skipped = []
    work = tempfile.mkdtemp(prefix="netguard-aws-sanity-")
    try:
        collection = collection_tree(work)
        # ansible-test finds a Python as python3.X on PATH; pyenv's shims fail for versions not selected.
        links = os.path.join(work, "pythons")
        os.makedirs(links)
        others = []
        for version in module_pythons():
            path = interpreter_path(version)
            if path is None:
                skipped.append("compile and import on Python %s: no Python %s is installed" % (version, version))
            else:
                os.symlink(path, os.path.join(links, "python%s" % version))
                if version != OWN:
                    others.append(version)
        environment = dict(os.environ, PATH=links + os.pathsep + os.environ.get("PATH", ""))

        command = [ANSIBLE_TEST, "sanity", "--venv", "--color", "no"]
        skip = []
        if shutil.which("shellcheck") is None:
            skipped.append("shellcheck: the shellcheck program is not installed")
        for test, reason in unavailable_tests().items():
            skip += ["--skip-test", test]
            skipped.append("%s: %s" % (test, reason))
        # Without --python, ansible-test runs each test once on the Python that runs it, and compile and import on
        # every module Python it finds on PATH: the links above.
        print("ansible-test sanity: every test on Python %s; compile and import on Python %s"
              % (OWN, ", ".join([OWN] + others)), flush=True)
        subprocess.run(command + skip, cwd=collection, env=environment, check=True)
    except subprocess.CalledProcessError as error:
        sys.exit("ansible-test sanity: failed (%s exited %d)" % (" ".join(error.cmd[1:]), error.returncode))
    finally:
        shutil.rmtree(work)
    for reason in skipped:
        print("ansible-test sanity: skipped: %s" % reason)
    print("ansible-test sanity: passed on Python %s; compile and import also on %s"
          % (OWN, ", ".join(others) or "no other Python"))


if __name__ == "__main__":
    main()
