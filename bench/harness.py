"""What the benchmarks share: the installed collection, a moto_server endpoint, timed ansible-playbook runs."""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tests.support.endpoint import MotoServer, ansible_environment, install_collection, tool  # noqa: E402

CALLBACKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "callback_plugins")


class Bench:
    """``with Bench() as bench``: the built collection installed, and moto_server running."""

    def __enter__(self):
        self.work_dir = tempfile.mkdtemp(prefix="netguard-aws-bench-")
        _tarball, self.collections_path = install_collection(self.work_dir)
        self._server = MotoServer(log_path=os.path.join(self.work_dir, "moto_server.log"))
        self.endpoint = self._server.__enter__()
        return self

    def __exit__(self, *exc_info):
        self._server.__exit__(*exc_info)

    def environment(self, **extra):
        return ansible_environment(self.collections_path, self.work_dir, ANSIBLE_CALLBACK_PLUGINS=CALLBACKS,
                                   ANSIBLE_CALLBACKS_ENABLED="task_timer",
                                   NETGUARD_TASK_TIMES=os.path.join(self.work_dir, "task-times.json"),
                                   **dict(self.endpoint.environment(), **extra))

    def run_playbook(self, playbook_text, variables=None, environment=None):
        """Run a playbook; return (seconds of each task, seconds of the whole ansible-playbook run)."""
        path = os.path.join(self.work_dir, "playbook.yml")
        with open(path, "w") as handle:
            handle.write(playbook_text)
        environment = environment or self.environment()
        started = time.monotonic()
        subprocess.run([tool("ansible-playbook"), path, "-e", json.dumps(variables or {})], env=environment,
                       check=True, stdout=subprocess.DEVNULL)
        wall = time.monotonic() - started
        with open(environment["NETGUARD_TASK_TIMES"]) as handle:
            return [task["seconds"] for task in json.load(handle)], wall


def median(values):
    return statistics.median(values)


def per_group_table(rows, groups, seconds_label):
    """Markdown table of ``(path, run, runs, seconds, playbook seconds)`` rows, with the time per group."""
    lines = ["| path | run | runs | %s (s) | per group (ms) | playbook (s) |" % seconds_label,
             "| --- | --- | ---: | ---: | ---: | ---: |"]
    return lines + ["| %s | %s | %d | %.2f | %.1f | %.2f |" % (path, label, count, seconds, 1000 * seconds / groups, wall)
                    for path, label, count, seconds, wall in rows]


def versions():
    """Python and package versions of the benchmark environment."""
    import platform

    from importlib.metadata import version

    return ("Python %s, ansible-core %s, ansible %s (amazon.aws), botocore %s, moto %s, %d CPUs (%s)"
            % (platform.python_version(), version("ansible-core"), version("ansible"), version("botocore"),
               version("moto"), os.cpu_count(), platform.machine()))
