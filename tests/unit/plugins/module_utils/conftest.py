"""Fixtures for the module_utils tests that talk to a stubbed client."""

import botocore.session
import pytest
from botocore.stub import Stubber


@pytest.fixture
def stubbed():
    """An EC2 client with botocore's Stubber: responses as AWS documents them, every one of them used."""
    client = botocore.session.Session().create_client(
        "ec2", region_name="us-east-1", aws_access_key_id="AKIDSTUB", aws_secret_access_key="stub")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()
