"""``make test-matrix``: the tests on every ansible-core release of ``versions.toml``.

Per release, in a virtual environment of its own under ``.matrix/`` (made once and kept until
the release or the test requirements change): ``ansible-test sanity`` with that release's
ansible-test, the unit tests, and, where the list says so, the integration suite on both
execution paths (with the secrets and interruption tests). Once, on the newest release that runs integration, the
module path also runs under an older module Python than the controller's. What cannot run is
reported as skipped, by name, with the reason. Ends with a table of times and test counts and
one ``N passed, N failed, N skipped`` line; exits non-zero when anything failed.

Usage: ``python3 -m tests.matrix.run [--release 2.16.19 ...] [--skip-default]``;
``--skip-default`` leaves out the release ``make test`` has just run, for CI.
"""

import argparse
import concurrent.futures
import hashlib
import os
import re
import subprocess
import sys
import time

from . import load
from .interpreters import interpreter_path

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORK = os.path.join(ROOT, ".matrix")
REQUIREMENTS = [os.path.join(ROOT, name) for name in ("requirements.txt", "requirements-test.txt")]
UNITS = ["tests/unit"]
INTEGRATION = ["tests/integration", "tests/reliability/test_secrets.py", "tests/reliability/test_interrupt.py"]
# The module path under an older Python than the controller's: the oldest module Python of every
# release that runs integration from 2.20 on.
OLD_MODULE_PYTHON = "3.9"
MODULE_PYTHON_TEST = "tests/integration/test_module_python.py"
SUMMARY = re.compile(r"(\d+) (passed|failed|skipped|errors?)\b")


def run_logged(command, log_path, **kwargs):
    """Run ``command`` with its output in ``log_path``; ``(succeeded, output, seconds)``."""
    started = time.monotonic()
    with open(log_path, "w") as log:
        completed = subprocess.run(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, check=False, **kwargs)
    with open(log_path) as log:
        output = log.read()
    return completed.returncode == 0, output, time.monotonic() - started


def environment_stamp(python_version, packages):
    """What an environment was made from: it is made again when any of it changes."""
    digest = hashlib.sha256(" ".join([python_version] + packages).encode())
    for path in REQUIREMENTS:
        with open(path, "rb") as handle:
            digest.update(handle.read())
    return digest.hexdigest()


def prepare(venv, python_version, packages):
    """A virtual environment at ``venv`` of Python ``python_version`` with ``packages``; its python, or a reason."""
    interpreter = interpreter_path(python_version)
    if interpreter is None:
        return None, "no Python %s is installed" % python_version
    python = os.path.join(venv, "bin", "python")
    stamp_path = os.path.join(venv, ".netguard-stamp")
    stamp = environment_stamp(python_version, packages)
    if os.path.exists(stamp_path):
        with open(stamp_path) as handle:
            if handle.read() == stamp:
                return python, None
    log_path = venv + ".log"
    for command in ([interpreter, "-m", "venv", "--clear", venv],
                    [python, "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
                    [python, "-m", "pip", "install", "--quiet"] + packages):
        succeeded, output, _seconds = run_logged(command, log_path)
        if not succeeded:
            return None, "could not install %s (see %s):\n%s" % (" ".join(packages), log_path, output[-3000:])
    with open(stamp_path, "w") as handle:
        handle.write(stamp)
    return python, None


def pytest_counts(output):
    """``{"passed": n, "failed": n, "skipped": n}`` from pytest's closing line."""
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    lines = [line for line in output.splitlines() if line.startswith("=") and " in " in line]
    for number, word in SUMMARY.findall(lines[-1] if lines else ""):
        counts["failed" if word.startswith("error") else word] += int(number)
    return counts


class Matrix:
    def __init__(self, releases):
        self.releases = releases
        self.rows = []
        self.skipped = []
        self.failures = []
        self.totals = {"passed": 0, "failed": 0, "skipped": 0}
        os.makedirs(os.path.join(WORK, "logs"), exist_ok=True)

    def stage(self, release, name, command, **kwargs):
        """Run one stage; record its time and counts, and its output on failure."""
        label = "%s %s" % (release["ansible_core"], name)
        print("matrix: %s ..." % label, flush=True)
        log_path = os.path.join(WORK, "logs", "%s-%s.log" % (release["ansible_core"], name))
        succeeded, output, seconds = run_logged(command, log_path, **kwargs)
        if name == "sanity":
            counts = {"passed": 1 if succeeded else 0, "failed": 0 if succeeded else 1, "skipped": 0}
            self.skipped += ["%s: %s" % (label, line.split("skipped: ", 1)[1])
                             for line in output.splitlines() if line.startswith("ansible-test sanity: skipped: ")]
        else:
            counts = pytest_counts(output)
            if not succeeded and not counts["failed"]:
                counts["failed"] = 1
        for key in counts:
            self.totals[key] += counts[key]
        outcome = "passed" if succeeded else "FAILED"
        self.rows.append((release["ansible_core"], release["controller_python"], name, outcome, seconds, counts))
        print("matrix: %s %s in %.0f s (%s)" % (label, outcome, seconds, ", ".join(
            "%d %s" % (counts[key], key) for key in ("passed", "failed", "skipped"))), flush=True)
        if not succeeded:
            self.failures.append(label)
            print(output[-20000:], flush=True)
        return succeeded

    def check_module_pythons(self, release, python):
        """The list's module Pythons are this release's ansible-test's, from tests/config.yml on."""
        completed = subprocess.run([python, "-c", "from tests.matrix.sanity import module_pythons; "
                                    "print(' '.join(module_pythons()))"], cwd=ROOT, stdout=subprocess.PIPE,
                                   universal_newlines=True, check=False)
        found = completed.stdout.split()
        if found != release["module_pythons"]:
            self.failures.append("%s module Pythons" % release["ansible_core"])
            print("matrix: %s: versions.toml lists module Pythons %s, its ansible-test supports %s"
                  % (release["ansible_core"], release["module_pythons"], found), flush=True)

    def run(self):
        started = time.monotonic()
        # Environments first, all at once: mostly downloads, which overlap well.
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            prepared = list(pool.map(lambda release: prepare(
                os.path.join(WORK, release["ansible_core"]), release["controller_python"],
                ["-r", REQUIREMENTS[1], "ansible-core==%s" % release["ansible_core"]]), self.releases))
            old_module = pool.submit(prepare, os.path.join(WORK, "module-python-%s" % OLD_MODULE_PYTHON),
                                     OLD_MODULE_PYTHON, ["-r", REQUIREMENTS[0]])
        print("matrix: environments ready in %.0f s" % (time.monotonic() - started), flush=True)
        newest_integration = [release for release in self.releases if release["integration"]][-1:]
        for release, (python, problem) in zip(self.releases, prepared):
            if python is None:
                self.failures.append("%s environment" % release["ansible_core"])
                print("matrix: %s: %s" % (release["ansible_core"], problem), flush=True)
                continue
            self.check_module_pythons(release, python)
            self.stage(release, "sanity", [python, "-m", "tests.matrix.sanity"])
            self.stage(release, "units", [python, "-m", "pytest", "-p", "no:cacheprovider", "-n", "2"] + UNITS)
            if release["integration"]:
                self.stage(release, "integration", [python, "-m", "pytest", "-p", "no:cacheprovider", "-n", "2"]
                           + INTEGRATION)
            if release in newest_integration:
                module_python, problem = old_module.result()
                if module_python is None:
                    self.skipped.append("module path on Python %s: %s" % (OLD_MODULE_PYTHON, problem))
                else:
                    self.stage(release, "module-python-%s" % OLD_MODULE_PYTHON,
                               [python, "-m", "pytest", "-p", "no:cacheprovider", MODULE_PYTHON_TEST],
                               env=dict(os.environ, NETGUARD_MODULE_PYTHON=module_python))
        self.report(time.monotonic() - started)
        return not self.failures

    def report(self, seconds):
        print("\nmatrix: ansible-core | controller Python | stage | outcome | seconds | passed/failed/skipped")
        for version, python, name, outcome, stage_seconds, counts in self.rows:
            print("matrix: %s | %s | %s | %s | %.0f | %d/%d/%d" % (
                version, python, name, outcome, stage_seconds, counts["passed"], counts["failed"], counts["skipped"]))
        for reason in self.skipped:
            print("matrix: skipped: %s" % reason)
        for failure in self.failures:
            print("matrix: FAILED: %s" % failure)
        print("matrix: %d releases in %.0f s" % (len(self.releases), seconds))
        # The closing line, in the form CI tools read: every pytest test, and one test per sanity run.
        print("matrix: %(passed)d passed, %(failed)d failed, %(skipped)d skipped" % dict(
            self.totals, failed=max(self.totals["failed"], len(self.failures))))


def main(argv=None):
    releases, default = load()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", action="append", choices=[release["ansible_core"] for release in releases],
                        help="only this release (repeatable); default: every release")
    parser.add_argument("--skip-default", action="store_true",
                        help="leave out %s, which make test runs" % default["ansible_core"])
    options = parser.parse_args(argv)
    chosen = [release for release in releases if not options.release or release["ansible_core"] in options.release]
    if options.skip_default:
        chosen.remove(default)
        print("matrix: %s is left out: make test ran it" % default["ansible_core"])
    sys.exit(0 if Matrix(chosen).run() else 1)


if __name__ == "__main__":
    main()
