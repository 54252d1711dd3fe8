"""The module path with the module run by an older Python than the controller's, as on a managed host.

``NETGUARD_MODULE_PYTHON`` names that Python (with requirements.txt installed); ``make test-matrix``
makes one of the oldest module Python it tests and sets it.
"""

import os
import subprocess
import sys

import pytest

from ..support.endpoint import ACCESS_KEY, SECRET_KEY
from ..support.playbooks import EVERY_EGRESS_RULE, SCENARIOS, run_target
from ..support.seed import egress_rules, label_of, seed_web_group

MODULE_PYTHON = os.environ.get("NETGUARD_MODULE_PYTHON")

pytestmark = [pytest.mark.integration, pytest.mark.skipif(
    not MODULE_PYTHON, reason="NETGUARD_MODULE_PYTHON names no module Python; make test-matrix sets it")]


def python_version(interpreter):
    completed = subprocess.run([interpreter, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                               stdout=subprocess.PIPE, universal_newlines=True, check=True)
    return tuple(int(part) for part in completed.stdout.split("."))


@pytest.mark.parametrize("target", ["check_diff_idempotent", "shorthand_forms", "info_module"])
def test_module_runs_on_an_older_python(target, ansible, work_dir, endpoint):
    assert python_version(MODULE_PYTHON) < sys.version_info[:2], "older than the controller's Python"
    endpoint.reset()
    ec2 = endpoint.client()
    ids = seed_web_group(ec2)
    variables = dict(ids, output_dir=work_dir, ansible_python_interpreter=MODULE_PYTHON)

    output = run_target(ansible, work_dir, target, variables, "-vvv", in_process=False)

    assert "EXEC /bin/sh -c '%s " % MODULE_PYTHON in output, "the module ran on that Python"
    assert "in-process on the controller" not in output
    remaining = set(label_of(rule) for rule in egress_rules(ec2, ids["group_id"]).values())
    assert remaining == EVERY_EGRESS_RULE - SCENARIOS[target]
    assert "Traceback" not in output and SECRET_KEY not in output and ACCESS_KEY not in output
