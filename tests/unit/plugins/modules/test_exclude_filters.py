"""exclude_filters: exempt groups left out of a bulk revoke and of a listing, against moto's in-process EC2, on the
module's path and on the action plugin's in-process one."""

import boto3
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from ansible_collections.netguard.aws.plugins.module_utils.request import parse_info_request, parse_revoke_request
from ansible_collections.netguard.aws.plugins.modules import ec2_security_group_egress_info, ec2_security_group_egress_revoke
from ansible_collections.netguard.aws.plugins.plugin_utils.validation import validated_result

from ....support.seed import egress_rules, seed_fleet

ALL_TO_ANYWHERE = dict(protocol="all", cidr="0.0.0.0/0")
EXEMPT = {"tag:netguard-exempt": "true"}
FLEET = {"tag:env": "prod"}
PARSERS = {ec2_security_group_egress_revoke: parse_revoke_request, ec2_security_group_egress_info: parse_info_request}


@pytest.fixture(params=["module", "in-process"])
def run_task(request, run_module):
    """Run a task as the module does, or as the action plugin does in the controller (the same pipeline, after the
    same argument spec checked by ``ArgumentSpecValidator``); ``warnings`` as text."""

    def run(module=ec2_security_group_egress_revoke, check_mode=False, **args):
        if request.param == "module":
            result = run_module(module=module, check_mode=check_mode, **args)
        else:
            result = validated_result(module.MODULE_KWARGS, args, PARSERS[module], check_mode, False)[0]
        # From ansible-core 2.19, a module's warnings are events.
        warnings = [warning if isinstance(warning, str) else warning["event"]["msg"]
                    for warning in result.get("warnings", [])]
        return dict(result, failed=bool(result.get("failed")), warnings=warnings)

    return run


def seed_region(client, count=5, exempt=2):
    """``count`` groups tagged env=prod, each with the default allow-all egress rule, of which the first ``exempt``
    are tagged netguard-exempt=true and the next one netguard-exempt=false. Returns (kept, exempt) group IDs."""
    _vpc_id, group_ids = seed_fleet(client, count, tags={"env": "prod"})
    for index, group_id in enumerate(group_ids[:exempt + 1]):
        client.create_tags(Resources=[group_id], Tags=[{"Key": "netguard-exempt",
                                                        "Value": "true" if index < exempt else "false"}])
    return group_ids[exempt:], group_ids[:exempt]


def allow_all(client, group_id):
    return [rule for rule in egress_rules(client, group_id).values() if rule["IpProtocol"] == "-1"]


def listed(client, group_ids):
    """The ``excluded`` entries of these groups of ``client``'s region, in the result's order."""
    names = dict((group["GroupId"], group["GroupName"])
                 for group in client.describe_security_groups(GroupIds=list(group_ids))["SecurityGroups"])
    return [{"group_id": group_id, "group_name": names[group_id], "region": client.meta.region_name}
            for group_id in sorted(group_ids)]


def test_exempt_groups_keep_their_rules_are_listed_and_the_guard_counts_only_the_rest(ec2, api_calls, run_task):
    kept, exempt = seed_region(ec2)
    # 5 rules would go with the exempt groups: more than 3, so the guard refuses the selection without exclusions.
    refused = run_task(filters=FLEET, max_revoked_rules=3, **ALL_TO_ANYWHERE)
    assert refused["failed"] is True and refused["msg"].startswith("5 egress rules in 5 security groups would be revoked")
    del api_calls[:]

    result = run_task(filters=FLEET, exclude_filters=EXEMPT, max_revoked_rules=3, **ALL_TO_ANYWHERE)

    assert result["failed"] is False and result["changed"] is True
    assert result["excluded"] == listed(ec2, exempt)
    assert sorted(group["group_id"] for group in result["groups"]) == sorted(kept)
    assert result["totals"]["groups"] == 3 and result["totals"]["revoked_rules"] == 3
    assert all(allow_all(ec2, group_id) == [] for group_id in kept), "netguard-exempt=false is no exemption"
    assert all(allow_all(ec2, group_id) for group_id in exempt)
    describes = [params["Filters"] for name, params in api_calls if name == "DescribeSecurityGroups"]
    assert describes == [[{"Name": "tag:env", "Values": ["prod"]}], [{"Name": "tag:netguard-exempt", "Values": ["true"]}]]
    assert sorted(params["GroupId"] for name, params in api_calls if name == "RevokeSecurityGroupEgress") == sorted(kept)


def test_in_check_mode_the_exempt_groups_are_listed_and_get_no_dry_run(ec2, api_calls, run_task):
    kept, exempt = seed_region(ec2)
    result = run_task(check_mode=True, filters=FLEET, exclude_filters=EXEMPT, **ALL_TO_ANYWHERE)

    assert result["check_mode"] is True and result["excluded"] == listed(ec2, exempt)
    assert result["totals"]["revoked_rules"] == 3
    assert sorted(params["GroupId"] for name, params in api_calls if name == "RevokeSecurityGroupEgress") == sorted(kept)
    assert all(allow_all(ec2, group_id) for group_id in kept + exempt)


def test_a_guard_over_two_regions_counts_neither_regions_exempt_groups(ec2, run_task):
    regions = ["us-east-1", "eu-west-1"]
    clients = [boto3.client("ec2", region_name=region) for region in regions]
    (kept_east, exempt_east), (kept_west, exempt_west) = [seed_region(client, 4, exempt) for client, exempt
                                                          in zip(clients, (1, 2))]

    result = run_task(filters=FLEET, exclude_filters=EXEMPT, regions=regions, max_revoked_rules=5, **ALL_TO_ANYWHERE)

    assert result["failed"] is False and result["totals"]["revoked_rules"] == 5
    # Sorted by region: eu-west-1 first.
    assert result["excluded"] == listed(clients[1], exempt_west) + listed(clients[0], exempt_east)
    assert all(allow_all(client, group_id) for client, group_ids in zip(clients, (exempt_east, exempt_west))
               for group_id in group_ids)
    assert all(allow_all(client, group_id) == [] for client, group_ids in zip(clients, (kept_east, kept_west))
               for group_id in group_ids)


def test_a_bulk_result_lists_no_excluded_group_without_exclusions_or_when_none_matches(ec2, run_task):
    seed_region(ec2, exempt=0)
    assert run_task(check_mode=True, filters=FLEET, **ALL_TO_ANYWHERE)["excluded"] == []
    matching_none = run_task(check_mode=True, filters=FLEET, exclude_filters=EXEMPT, **ALL_TO_ANYWHERE)
    assert matching_none["excluded"] == [] and matching_none["totals"]["groups"] == 5


def test_the_info_module_leaves_the_exempt_groups_out_of_the_listing_and_names_them(ec2, run_task):
    kept, exempt = seed_region(ec2)

    whole_region = run_task(module=ec2_security_group_egress_info, exclude_filters=EXEMPT)
    by_filters = run_task(module=ec2_security_group_egress_info, filters=FLEET, exclude_filters="tag:netguard-exempt=true",
                          cidr="0.0.0.0/0")

    assert whole_region["excluded"] == by_filters["excluded"] == listed(ec2, exempt)
    every_group = [group["GroupId"] for group in ec2.describe_security_groups()["SecurityGroups"]]
    assert sorted(group["group_id"] for group in whole_region["security_groups"]) == sorted(set(every_group) - set(exempt))
    assert sorted(group["group_id"] for group in by_filters["security_groups"]) == sorted(kept)
    assert "excluded" not in run_task(module=ec2_security_group_egress_info, group_id=exempt)


def test_filters_that_select_only_exempt_groups_matched_groups_and_filters_that_match_none_cost_no_exclusion_call(
        ec2, api_calls, run_task):
    _kept, exempt = seed_region(ec2, count=2, exempt=2)
    all_exempt = run_task(filters=FLEET, exclude_filters=EXEMPT, **ALL_TO_ANYWHERE)
    assert all_exempt["changed"] is False and all_exempt["groups"] == [] and all_exempt["warnings"] == []
    assert all_exempt["excluded"] == listed(ec2, exempt)
    del api_calls[:]

    nothing = run_task(filters={"tag:env": "nowhere"}, exclude_filters=EXEMPT, **ALL_TO_ANYWHERE)
    assert nothing["excluded"] == [] and nothing["warnings"] == ["filters matched no security group in us-east-1"]
    assert [name for name, _params in api_calls] == ["DescribeSecurityGroups"]


def test_exemptions_that_cannot_be_read_stop_the_region_before_any_revoke(ec2, monkeypatch, run_task):
    kept, exempt = seed_region(ec2)
    original = BaseClient._make_api_call

    def denying_the_exclusions(client, operation_name, api_params):
        if operation_name == "DescribeSecurityGroups" and "tag:netguard-exempt" in str(api_params.get("Filters")):
            raise ClientError({"Error": {"Code": "UnauthorizedOperation", "Message": "denied"},
                               "ResponseMetadata": {"HTTPStatusCode": 403}}, operation_name)
        return original(client, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", denying_the_exclusions)
    result = run_task(filters=FLEET, exclude_filters=EXEMPT, **ALL_TO_ANYWHERE)

    assert result["failed"] is True and "ec2:DescribeSecurityGroups" in result["msg"]
    assert all(allow_all(ec2, group_id) for group_id in kept + exempt)


@pytest.mark.parametrize("module, args, message", [
    (ec2_security_group_egress_revoke, dict(group_id="sg-0123456789abcdef0", exclude_filters=EXEMPT),
     "parameters are mutually exclusive: group_id|exclude_filters"),
    (ec2_security_group_egress_revoke, dict(group_name="web", exclude_filters=EXEMPT),
     "parameters are mutually exclusive: group_name|exclude_filters"),
    (ec2_security_group_egress_revoke, dict(filters=FLEET, exclude_filters={}),
     "exclude_filters {} is empty, which would exclude every security group"),
    (ec2_security_group_egress_revoke, dict(filters=FLEET, exclude_filters=["tag:netguard-exempt"]),
     "exclude_filters ['tag:netguard-exempt'] is not a dictionary of filter names and values"),
    (ec2_security_group_egress_info, dict(group_id=["sg-0123456789abcdef0"], exclude_filters=EXEMPT),
     "parameters are mutually exclusive: group_id|exclude_filters"),
    (ec2_security_group_egress_info, dict(exclude_filters={"tag:netguard-exempt": None}),
     "exclude_filters['tag:netguard-exempt'] None is not a filter value"),
])
def test_bad_exclusions_fail_before_any_api_call(ec2, api_calls, run_task, module, args, message):
    if module is ec2_security_group_egress_revoke:
        args = dict(ALL_TO_ANYWHERE, **args)
    result = run_task(module=module, **args)
    assert result["failed"] is True and message in result["msg"], result["msg"]
    assert api_calls == []
