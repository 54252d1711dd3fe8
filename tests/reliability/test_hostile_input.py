"""Hostile and malformed input: every case fails naming the option and the value, before any API call."""

import json
import os
import textwrap

import pytest

from ..support.fault_proxy import FaultProxy
from ..support.normalise import endpoint_state, id_labels
from .corpus import CASES

pytestmark = pytest.mark.integration


def corpus_playbook():
    tasks = []
    for index, (name, module, arguments, _expected) in enumerate(CASES):
        tasks.append("    - name: %s\n      %s:\n%s\n      ignore_errors: true\n"
                     % (json.dumps("case %03d: %s" % (index, name)), module, textwrap.indent(arguments, " " * 8)))
    return "- name: Hostile input\n  hosts: localhost\n  gather_facts: false\n  tasks:\n" + "".join(tasks)


def test_the_corpus_is_large_and_varied():
    assert len(CASES) >= 150
    assert len(set(name for name, _module, _arguments, _expected in CASES)) == len(CASES)


def test_every_hostile_input_fails_cleanly_before_any_api_call(ansible, work_dir, endpoint, seeded, execution_path,
                                                               figures):
    ec2, _ids = seeded
    labels = id_labels(ec2)
    before = endpoint_state(ec2, labels)
    playbook = os.path.join(work_dir, "hostile-input.yml")
    with open(playbook, "w") as handle:
        handle.write(corpus_playbook())
    results_file = os.path.join(work_dir, "hostile-input-%s.json" % execution_path)

    with FaultProxy(endpoint.url) as recorder:
        completed = ansible("ansible-playbook", playbook, in_process=execution_path, results_file=results_file,
                            aws_environment=dict(endpoint.environment(), AWS_URL=recorder.url))

    assert completed.returncode == 0, completed.stdout
    with open(results_file) as handle:
        results = json.load(handle)
    assert len(results) == len(CASES)
    problems = []
    for (name, _module, _arguments, expected), recorded in zip(CASES, results):
        result = recorded["result"]
        message = result.get("msg", "")
        if not recorded["failed"]:
            problems.append("%s: did not fail: %s" % (name, result))
        missing = [text for text in expected if text not in message]
        if missing:
            problems.append("%s: message %r lacks %r" % (name, message, missing))
        if "Traceback" in json.dumps(result):
            problems.append("%s: traceback in the result" % name)
    assert problems == []
    assert "Traceback" not in completed.stdout
    assert recorder.requests == [], "no API call at all"
    assert endpoint_state(ec2, labels) == before
    figures("corpus", path="in-process" if execution_path else "module", cases=len(CASES), api_calls=len(recorder.requests),
            state_changed=endpoint_state(ec2, labels) != before)
