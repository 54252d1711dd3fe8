"""regions: bulk mode and the info module in several regions at once, against moto's in-process EC2."""

import boto3
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from ansible_collections.netguard.aws.plugins.modules import ec2_security_group_egress_info

from ....support.seed import egress_rules, seed_fleet

REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"]
ALL_TO_ANYWHERE = dict(protocol="all", cidr="0.0.0.0/0")


@pytest.fixture
def fleets(ec2):
    """Five tagged groups in each of three regions."""
    return dict((region, seed_fleet(boto3.client("ec2", region_name=region), 5, tags={"fleet": "blue"})[1])
                for region in REGIONS)


def allow_all(region, group_id):
    client = boto3.client("ec2", region_name=region)
    return [rule for rule in egress_rules(client, group_id).values() if rule["IpProtocol"] == "-1"]


def calls_by_region(api_calls, operation):
    return [params for name, params in api_calls if name == operation]


@pytest.fixture
def answer(monkeypatch):
    """``answer(operation, region, response_or_error)``: what the endpoint says to one call in one region."""
    answers = {}
    original = BaseClient._make_api_call

    def answering(client, operation_name, api_params):
        found = answers.get((operation_name, client.meta.region_name))
        if isinstance(found, ClientError):
            raise found
        if found is not None:
            return found
        return original(client, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", answering)

    def add(operation, region, response):
        answers[(operation, region)] = response
    return add


def denied(operation):
    return ClientError({"Error": {"Code": "UnauthorizedOperation", "Message": "denied by an organisation policy"},
                        "ResponseMetadata": {"HTTPStatusCode": 403}}, operation)


def test_bulk_in_three_regions_revokes_in_each_and_names_the_region_of_each_group(fleets, run_module):
    result = run_module(filters={"tag:fleet": "blue"}, regions=REGIONS, **ALL_TO_ANYWHERE)

    assert result["changed"] is True
    assert result["regions"] == REGIONS and result["failed_regions"] == [] and result["skipped_regions"] == []
    assert result["totals"] == {"groups": 15, "changed_groups": 15, "revoked_rules": 15, "authorized_rules": 0, "failed_groups": 0}
    assert all(allow_all(region, group_id) == [] for region, group_ids in fleets.items() for group_id in group_ids)
    assert sorted((group["region"], group["group_id"]) for group in result["groups"]) == sorted(
        (region, group_id) for region, group_ids in fleets.items() for group_id in group_ids)
    assert set(group["owner_id"] for group in result["groups"]) == {"123456789012"}


def test_max_revoked_rules_counts_every_region_before_any_revoke(fleets, api_calls, run_module):
    result = run_module(filters={"tag:fleet": "blue"}, regions=REGIONS, max_revoked_rules=10, **ALL_TO_ANYWHERE)

    assert result["failed"] is True
    assert result["msg"].startswith("15 egress rules in 15 security groups would be revoked, more than max_revoked_rules=10")
    assert calls_by_region(api_calls, "RevokeSecurityGroupEgress") == []
    assert all(allow_all(region, group_id) for region, group_ids in fleets.items() for group_id in group_ids)


def test_a_named_region_that_fails_fails_the_task_at_the_end_and_the_others_finish(fleets, answer, run_module):
    answer("DescribeSecurityGroups", "eu-west-1", denied("DescribeSecurityGroups"))

    result = run_module(filters={"tag:fleet": "blue"}, regions=REGIONS, **ALL_TO_ANYWHERE)

    assert result["failed"] is True
    assert result["msg"].startswith("1 of 3 regions failed (the others were handled): eu-west-1: access denied: "
                                    "ec2:DescribeSecurityGroups is not allowed")
    assert [failed["region"] for failed in result["failed_regions"]] == ["eu-west-1"]
    assert result["totals"]["changed_groups"] == 10
    assert all(allow_all("eu-west-1", group_id) for group_id in fleets["eu-west-1"])
    assert all(allow_all(region, group_id) == [] for region in ("us-east-1", "ap-southeast-2") for group_id in fleets[region])


def test_all_takes_the_enabled_regions_and_skips_a_denied_one(fleets, answer, api_calls, run_module):
    answer("DescribeRegions", "us-east-1", {"Regions": [
        {"RegionName": "us-east-1", "OptInStatus": "opt-in-not-required"},
        {"RegionName": "eu-west-1", "OptInStatus": "opt-in-not-required"},
        {"RegionName": "ap-southeast-2", "OptInStatus": "opted-in"},
        {"RegionName": "af-south-1", "OptInStatus": "not-opted-in"}]})
    answer("DescribeSecurityGroups", "ap-southeast-2", denied("DescribeSecurityGroups"))

    result = run_module(filters={"tag:fleet": "blue"}, regions="all", **ALL_TO_ANYWHERE)

    assert not result.get("failed"), result
    assert result["regions"] == ["ap-southeast-2", "eu-west-1", "us-east-1"]
    assert [skipped["region"] for skipped in result["skipped_regions"]] == ["ap-southeast-2"]
    assert result["failed_regions"] == []
    assert result["totals"]["changed_groups"] == 10


def test_without_regions_bulk_mode_stays_in_the_connection_region(fleets, run_module):
    result = run_module(filters={"tag:fleet": "blue"}, **ALL_TO_ANYWHERE)
    assert result["totals"]["groups"] == 5
    assert "regions" not in result and "failed_regions" not in result
    assert set(group["region"] for group in result["groups"]) == {"us-east-1"}


def info(run_module, **args):
    return run_module(module=ec2_security_group_egress_info, **args)


def test_info_lists_groups_of_every_region_by_id_and_by_filters(fleets, run_module):
    by_id = info(run_module, regions=REGIONS, group_id=[fleets["eu-west-1"][2], fleets["ap-southeast-2"][0]])
    assert [(group["region"], group["group_id"]) for group in by_id["security_groups"]] == [
        ("eu-west-1", fleets["eu-west-1"][2]), ("ap-southeast-2", fleets["ap-southeast-2"][0])]

    open_to_the_world = info(run_module, regions=REGIONS, filters={"tag:fleet": "blue"},
                             rule_filters={"destination_covers": ["0.0.0.0/0"]})
    assert len(open_to_the_world["security_groups"]) == 15


def test_info_across_regions_reports_an_id_found_nowhere_and_a_name_found_twice(fleets, run_module):
    missing = info(run_module, regions=REGIONS, group_id=[fleets["eu-west-1"][0], "sg-0123456789abcdef0"])
    assert missing["failed"] is True
    assert missing["msg"] == "security group sg-0123456789abcdef0 does not exist in any of the 3 regions"

    twice = info(run_module, regions=REGIONS, group_name="app-001")
    assert twice["failed"] is True and twice["msg"].startswith("group_name 'app-001' matches 3 security groups: ")


@pytest.mark.parametrize("args, message", [
    (dict(regions=[]), "regions is empty"),
    (dict(regions=["US-EAST-1"]), "regions[0] 'US-EAST-1' is not an AWS region name"),
    (dict(regions=["us-east-1", "useast1"]), "regions[1] 'useast1' is not an AWS region name"),
    (dict(regions=["all", "us-east-1"]), "regions[0] 'all' cannot be combined with region names"),
    (dict(regions=[1]), "regions[0] 1 is not an AWS region name"),
])
def test_bad_regions_fail_before_any_call(api_calls, run_module, ec2, args, message):
    result = run_module(filters={"tag:fleet": "blue"}, **dict(ALL_TO_ANYWHERE, **args))
    assert result["failed"] is True and result["msg"].startswith(message), result["msg"]
    assert api_calls == []


def test_regions_needs_bulk_mode(run_module, api_calls, fleets):
    result = run_module(group_id=fleets["us-east-1"][0], regions=REGIONS, **ALL_TO_ANYWHERE)
    assert result["failed"] is True and "regions" in result["msg"] and "filters" in result["msg"]
    assert api_calls == []
