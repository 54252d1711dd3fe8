"""Fixtures for tests against moto's in-process EC2 (``mock_aws``)."""

import functools
import json
import sys
from contextlib import contextmanager
from unittest import mock

import boto3
import botocore.client
import botocore.loaders
import botocore.session
import pytest
from ansible.module_utils import basic
from ansible.module_utils.common import warnings as module_warnings
from botocore.client import BaseClient
from moto import mock_aws

from ansible_collections.netguard.aws.plugins.module_utils.request import parse_info_request, parse_revoke_request
from ansible_collections.netguard.aws.plugins.modules import ec2_security_group_egress_info, ec2_security_group_egress_revoke
from ansible_collections.netguard.aws.plugins.plugin_utils.lean_model import lean_loader, session_with
from ansible_collections.netguard.aws.plugins.plugin_utils.validation import validated_result

from ..support import moto_speedups

# Here, where moto runs in the tests' own processes, rather than in tests/conftest.py: a run that needs no moto
# (pytest-xdist's controller, the packaging tests) does not load moto's EC2 to patch it.
moto_speedups.apply()

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19 reads the arguments from basic._ANSIBLE_ARGS
    @contextmanager
    def patch_module_args(args):
        with mock.patch.object(basic, "_ANSIBLE_ARGS", json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode()):
            yield

REGION = "us-east-1"
ACCESS_KEY = "AKIDNETGUARDUNIT"
SECRET_KEY = "netguard-unit-secret"
# One loader for every botocore session of the tests: a module run reads the EC2 model once per process, and so
# do the tests, which run many modules in one process (a run's settings, credentials and clients stay its own).
LOADER = botocore.loaders.create_loader()


class _SharedLoaderSession(botocore.session.Session):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.register_component("data_loader", LOADER)


# A client's methods depend only on its service's operations; a module run builds them once per process, the tests
# once per model instead of once for each of the hundreds of clients they create.
_CLIENT_METHODS = {}
_create_methods = botocore.client.ClientCreator._create_methods


def _shared_client_methods(creator, service_model):
    # The operations themselves are part of the key: the collection's lean EC2 model has fewer than botocore's.
    key = (service_model.service_name, service_model.api_version, tuple(service_model.operation_names))
    if key not in _CLIENT_METHODS:
        _CLIENT_METHODS[key] = _create_methods(creator, service_model)
    return dict(_CLIENT_METHODS[key])


@pytest.fixture(autouse=True)
def shared_botocore_loader(monkeypatch):
    monkeypatch.setattr(botocore.session, "Session", _SharedLoaderSession)
    monkeypatch.setattr(botocore.client.ClientCreator, "_create_methods", _shared_client_methods)


@pytest.fixture
def aws_environment(monkeypatch):
    """Credentials and region from the environment only, as on a clean controller."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_URL", "AWS_SESSION_TOKEN", "AWS_CA_BUNDLE",
                 "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY", "AWS_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/netguard-aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/netguard-aws-credentials")


@pytest.fixture
def ec2(aws_environment):
    """A boto3 client on moto's in-process EC2, for seeding and inspecting state."""
    with mock_aws():
        yield boto3.client("ec2", region_name=REGION)


@pytest.fixture
def api_calls(monkeypatch):
    """The EC2 calls the collection makes, as (operation, parameters); seeding calls are not recorded."""
    calls = []
    original = BaseClient._make_api_call

    def recording(client, operation_name, api_params):
        if client.meta.config.user_agent_extra == "netguard.aws":
            calls.append((operation_name, dict(api_params)))
        return original(client, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recording)
    return calls


@pytest.fixture
def run_module(capsys):
    """Run a module's main() as Ansible would; return its result dict (``failed`` set on failure).

    The revoke module unless ``module`` names another module of the collection.
    """

    def run(check_mode=False, diff=False, module=ec2_security_group_egress_revoke, **args):
        module_args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
        # From ansible-core 2.19, once controller code is imported, a module's warnings go to the display instead of
        # its result: a test that imported it would hide them from the others in its process.
        assert not getattr(sys.modules.get("ansible.module_utils._internal"), "is_controller", False), \
            "controller code was imported into the process that runs the modules"
        # Warnings are collected per process, which is one module run outside tests.
        module_warnings._global_warnings.clear()
        with patch_module_args(module_args), pytest.raises(SystemExit) as exit_info:
            module.main()
        result = json.loads(capsys.readouterr().out)
        assert bool(exit_info.value.code) == bool(result.get("failed")), result
        return result

    return run


@functools.lru_cache(maxsize=None)
def _lean_loader():
    return lean_loader()


PARSERS = {ec2_security_group_egress_revoke: parse_revoke_request, ec2_security_group_egress_info: parse_info_request}


@pytest.fixture(params=["module", "in-process"])
def run_task(request, run_module):
    """Run a task on each path: as the module does, or as the action plugin does in the controller (the same
    pipeline, after the same argument spec checked by ``ArgumentSpecValidator``, with the lean EC2 model of
    ``plugin_utils/lean_model.py``); ``warnings`` as text, ``failed`` always there."""

    def run(module=ec2_security_group_egress_revoke, check_mode=False, **args):
        if request.param == "module":
            result = run_module(module=module, check_mode=check_mode, **args)
        else:
            result = validated_result(module.MODULE_KWARGS, args, PARSERS[module], check_mode, False,
                                      session_with(_lean_loader()))[0]
        # From ansible-core 2.19, a module's warnings are events.
        warnings = [warning if isinstance(warning, str) else warning["event"]["msg"]
                    for warning in result.get("warnings", [])]
        return dict(result, failed=bool(result.get("failed")), warnings=warnings)

    return run


@pytest.fixture
def vpc(ec2):
    return ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]


@pytest.fixture
def groups(ec2, vpc):
    """A web group with one egress rule of every kind, and the db group it references."""
    db = ec2.create_security_group(GroupName="db", Description="db", VpcId=vpc)["GroupId"]
    web = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    prefix_list = ec2.create_managed_prefix_list(PrefixListName="dns", MaxEntries=2, AddressFamily="IPv4")
    prefix_list_id = prefix_list["PrefixList"]["PrefixListId"]
    ec2.authorize_security_group_egress(GroupId=web, IpPermissions=[
        {"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
         "IpRanges": [{"CidrIp": "10.1.0.0/16", "Description": "web"}],
         "Ipv6Ranges": [{"CidrIpv6": "2001:db8::/32"}]},
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
         "UserIdGroupPairs": [{"GroupId": db, "Description": "database"}]},
        {"IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "PrefixListIds": [{"PrefixListId": prefix_list_id}]},
        {"IpProtocol": "icmp", "FromPort": 8, "ToPort": -1, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
        {"IpProtocol": "50", "FromPort": -1, "ToPort": -1, "IpRanges": [{"CidrIp": "192.168.0.0/24"}]},
    ])
    ec2.authorize_security_group_ingress(GroupId=web, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
    return {"web": web, "db": db, "prefix_list_id": prefix_list_id, "vpc": vpc}
