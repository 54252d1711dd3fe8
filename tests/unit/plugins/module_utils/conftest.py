"""Fixtures for the module_utils tests that talk to a stubbed client."""

import botocore.loaders
import pytest
from botocore.stub import Stubber

from ansible_collections.netguard.aws.plugins.module_utils.ec2 import Ec2Clients
from ansible_collections.netguard.aws.plugins.module_utils.request import parse_connection
from ansible_collections.netguard.aws.plugins.plugin_utils.lean_model import session_with

REGION = "us-east-1"
# Environment variables that would reach the connection or botocore's configuration.
AWS_VARIABLES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_URL", "AWS_SESSION_TOKEN", "AWS_CA_BUNDLE", "AWS_REGION",
                 "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY",
                 "AWS_SECRET_KEY", "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE")


@pytest.fixture
def clean_aws_environment(monkeypatch):
    """No AWS setting from the environment or the user's files: what a test gives is all there is."""
    for name in AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/netguard-aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/netguard-aws-credentials")


# One loader for the clients of every test: botocore reads its EC2 model once, not once per test.
LOADER = botocore.loaders.create_loader()


def connection(**options):
    return parse_connection(dict({"region": REGION, "access_key": "AKIDSTUB", "secret_key": "stub",
                                  "validate_certs": True}, **options))


def ec2_clients(write_rate=None, lifeline=None, **options):
    """The task's ``Ec2Clients`` for the connection options, from a new botocore session."""
    return Ec2Clients(connection(**options), write_rate, lifeline, session_with(LOADER))


@pytest.fixture
def stubbed(clean_aws_environment):
    """The task's ``Ec2Clients``, made the collection's way, whose client of us-east-1 has botocore's Stubber:
    responses as AWS documents them, every one of them used."""
    clients = ec2_clients()
    with Stubber(clients.api().client) as stubber:
        yield clients, stubber
        stubber.assert_no_pending_responses()
