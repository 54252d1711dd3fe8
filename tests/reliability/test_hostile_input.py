"""Hostile and malformed input: every case fails naming the option and the value, before any API call.

Every case of the corpus is checked on both execution paths' own validation and parsing, in this
process, against EC2 clients that fail any call: the module's (``AnsibleModule`` and its ``main``)
and the action plugin's (``validated_result``). The YAML is read as Ansible reads it, so that YAML's
typing reaches the code as from a playbook. A few cases also go through ``ansible-playbook``
on each path, against the endpoint behind a recording proxy, for what only a whole run shows.
"""

import json
import os
import textwrap
from importlib import import_module

import pytest
import yaml
from ansible.module_utils.common import warnings as module_warnings
from botocore.client import BaseClient

from ansible_collections.netguard.aws.plugins.module_utils.request import parse_info_request, parse_revoke_request
from ansible_collections.netguard.aws.plugins.module_utils.restore_request import parse_restore_request
from ansible_collections.netguard.aws.plugins.plugin_utils.validation import validated_result

from ..support.fault_proxy import FaultProxy
from ..support.normalise import endpoint_state, id_labels
from ..unit.conftest import patch_module_args
from .corpus import CASES

MODULES = "ansible_collections.netguard.aws.plugins.modules."
# What each module's main and action plugin parse the validated arguments with (the action plugin itself is
# controller code, which would turn this process into a controller for the module runs too).
PARSERS = {"ec2_security_group_egress_revoke": parse_revoke_request, "ec2_security_group_egress_info": parse_info_request,
           "ec2_security_group_egress_restore": parse_restore_request}
# Whole playbooks on each path: cases of every module and every kind of check (the argument spec, the parser, the
# file system).
THROUGH_ANSIBLE = ("port reversed", "bulk filters a word", "keep a word", "journal in a missing directory",
                   "restore revoked a word", "info group id malformed", "no group")


def arguments_of(text):
    """The task arguments a playbook with this YAML would give the module: YAML 1.1 as PyYAML reads it, as Ansible
    does (its own loader is controller code, which would turn this process into a controller for the module runs)."""
    return dict(yaml.safe_load(text))


def module_result(module, arguments, capsys):
    """What the module returns for ``arguments``, run as Ansible runs it, in check mode."""
    module_warnings._global_warnings.clear()
    with patch_module_args(dict(arguments, _ansible_check_mode=True)), pytest.raises(SystemExit):
        module.main()
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def no_aws(monkeypatch):
    """Credentials and a region from the environment, and EC2 clients whose every call fails (and is counted)."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDNETGUARDCORPUS")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "netguard-corpus-secret")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/netguard-aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/netguard-aws-credentials")
    calls = []

    def refuse(_client, operation_name, _api_params):
        calls.append(operation_name)
        raise AssertionError("hostile input reached the API: %s" % operation_name)

    monkeypatch.setattr(BaseClient, "_make_api_call", refuse)
    return calls


def problems_of(name, result, expected):
    problems = []
    message = result.get("msg", "")
    if not result.get("failed"):
        problems.append("%s: did not fail: %s" % (name, result))
    missing = [text for text in expected if text not in message]
    if missing:
        problems.append("%s: message %r lacks %r" % (name, message, missing))
    if "Traceback" in json.dumps(result):
        problems.append("%s: traceback in the result" % name)
    return problems


def test_the_corpus_is_large_and_varied():
    assert len(CASES) >= 150
    assert len(set(name for name, _module, _arguments, _expected in CASES)) == len(CASES)
    assert set(THROUGH_ANSIBLE) <= set(name for name, _module, _arguments, _expected in CASES)


@pytest.mark.parametrize("path", ["in-process", "module"])
def test_every_hostile_input_fails_before_any_api_call(no_aws, capsys, path, figures):
    problems = []
    for name, module_name, text, expected in CASES:
        name = module_name.rsplit(".", 1)[1]
        module = import_module(MODULES + name)
        arguments = arguments_of(text)
        if path == "module":
            result = module_result(module, arguments, capsys)
        else:
            result = validated_result(module.MODULE_KWARGS, arguments, PARSERS[name], check_mode=True, diff=False)[0]
        problems += problems_of(name, result, expected)
    assert problems == []
    assert no_aws == [], "no API call at all"
    figures("corpus", path=path, cases=len(CASES), api_calls=len(no_aws), state_changed=False)


def corpus_playbook(cases):
    tasks = []
    for name, module, arguments, _expected in cases:
        tasks.append("    - name: %s\n      %s:\n%s\n      ignore_errors: true\n"
                     % (json.dumps(name), module, textwrap.indent(arguments, " " * 8)))
    return "- name: Hostile input\n  hosts: localhost\n  gather_facts: false\n  tasks:\n" + "".join(tasks)


@pytest.mark.integration
def test_hostile_inputs_fail_the_same_through_ansible_playbook(ansible, work_dir, endpoint, seeded, execution_path):
    ec2, _ids = seeded
    labels = id_labels(ec2)
    before = endpoint_state(ec2, labels)
    cases = [case for case in CASES if case[0] in THROUGH_ANSIBLE]
    playbook = os.path.join(work_dir, "hostile-input.yml")
    with open(playbook, "w") as handle:
        handle.write(corpus_playbook(cases))
    results_file = os.path.join(work_dir, "hostile-input-%s.json" % execution_path)

    with FaultProxy(endpoint.url) as recorder:
        completed = ansible("ansible-playbook", playbook, in_process=execution_path, results_file=results_file,
                            aws_environment=dict(endpoint.environment(), AWS_URL=recorder.url))

    assert completed.returncode == 0, completed.stdout
    with open(results_file) as handle:
        results = json.load(handle)
    assert len(results) == len(cases)
    problems = []
    for (name, _module, _arguments, expected), recorded in zip(cases, results):
        problems += problems_of(name, dict(recorded["result"], failed=recorded["failed"]), expected)
    assert problems == []
    assert "Traceback" not in completed.stdout
    assert recorder.requests == [], "no API call at all"
    assert endpoint_state(ec2, labels) == before
