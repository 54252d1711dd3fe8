"""``replace_with``: its parse, the plan of a group that loses rules (and of one that does not), the guard that
refuses a group without room or without complete evidence, and observed rules put into a plan. Pure: no endpoint."""

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError
from ansible_collections.netguard.aws.plugins.module_utils.plan import plan_group
from ansible_collections.netguard.aws.plugins.module_utils.replace_guard import refused_replacements
from ansible_collections.netguard.aws.plugins.module_utils.replace_request import (
    DEFAULT_MAX_RULES,
    Replacement,
    parse_replacement,
)
from ansible_collections.netguard.aws.plugins.module_utils.request import Change
from ansible_collections.netguard.aws.plugins.module_utils.selector import EVERY_RULE, Selector, rule_id_choice
from ansible_collections.netguard.aws.plugins.module_utils.targets import TargetGroup
from ansible_collections.netguard.aws.plugins.module_utils.traffic import GroupTraffic
from ansible_collections.netguard.aws.plugins.modules.ec2_security_group_egress_revoke import MODULE_KWARGS

from .described import GROUP, api_rule, described

HTTPS = {"ip_protocol": "tcp", "from_port": 443, "to_port": 443, "ip_ranges": [{"cidr_ip": "10.20.0.0/16"}],
         "ipv6_ranges": [{"cidr_ipv6": "2001:db8::/32", "description": "v6"}], "tags": {"owner": "net"}}
RULES = described(
    api_rule("sgr-0000000000000000a", "tcp", 443, 443, CidrIpv4="10.0.0.0/16"),
    api_rule("sgr-0000000000000000b", "-1", -1, -1, CidrIpv4="0.0.0.0/0"),
    api_rule("sgr-0000000000000000c", "-1", -1, -1, CidrIpv6="::/0"),
    api_rule("sgr-0000000000000000d", "tcp", 5432, 5432, ReferencedGroupInfo={"GroupId": "sg-0dbdbdbdbdbdbdbdb"}),
)
ALL_TO_ANYWHERE = rule_id_choice("sgr-0000000000000000b")


def replacement(value, **params):
    return parse_replacement(dict(params, replace_with=value), [])


def planned(value, selector=Selector((ALL_TO_ANYWHERE,)), rules=RULES, **params):
    replace = replacement(value, **params)
    return plan_group(TargetGroup({"GroupId": GROUP}), "us-east-1", rules,
                      Change(selector, replace.rules, replace=replace))


def shown(items):
    return [(item.requested.rule.protocol, item.requested.rule.destination, item.requested.description, item.tags)
            for item in items]


def test_rules_are_parsed_one_per_destination_with_their_entry_s_tags_and_once_each():
    replace = replacement([HTTPS, dict(HTTPS, tags={})])
    assert shown(replace.rules) == [("tcp", "10.20.0.0/16", None, {"owner": "net"}),
                                    ("tcp", "2001:db8::/32", "v6", {"owner": "net"})]
    assert (replace.observed, replace.max_rules) == (None, DEFAULT_MAX_RULES)
    assert replacement(HTTPS).rules == replace.rules, "one rule as a dictionary"
    assert parse_replacement({}, []) is None


def test_observed_takes_the_default_prefixes_unless_given():
    assert replacement("observed") == Replacement((), {"ipv4": 24, "ipv6": 64}, 60)
    assert replacement("observed", observed_prefix={"ipv4": 28, "ipv6": None}, max_rules_per_group=100) == \
        Replacement((), {"ipv4": 28, "ipv6": 64}, 100)


@pytest.mark.parametrize("params, message", [
    (dict(replace_with=5), "replace_with 5 is neither observed nor a list of rules"),
    (dict(replace_with=[{"ip_protocol": "tcp"}]), "replace_with[0] has no destination"),
    (dict(replace_with=[{"ip_protocol": "tcp", "port": 443}]), "replace_with: "),
    (dict(replace_with=[[]]), "replace_with: "),
    (dict(replace_with="observed", observed_prefix={"ipv6": 0}), "observed_prefix.ipv6 0 is not a prefix length"),
    (dict(replace_with="observed", observed_prefix={"ipv4": True}), "observed_prefix.ipv4 True is not a prefix"),
    (dict(replace_with="observed", max_rules_per_group=1001), "max_rules_per_group 1001 is out of range"),
    (dict(replace_with="observed", max_rules_per_group=True), "max_rules_per_group True is out of range"),
    (dict(replace_with=[dict(HTTPS, tags={"owner": 1})]), "replace_with[0].tags"),
    (dict(replace_with=[dict(HTTPS, tags={"": "x"})]), "replace_with[0].tags"),
])
def test_bad_input_names_the_option(params, message):
    with pytest.raises(NetguardAwsError) as error:
        parse_replacement(params, [])
    assert message in error.value.msg


@pytest.mark.parametrize("params, message", [
    (dict(replace_with=[]), "replace_with is empty: list the rules to add, or give observed"),
    (dict(replace_with=[HTTPS], observed_prefix={"ipv4": 24}),
     "observed_prefix applies to replace_with: observed, and replace_with lists rules"),
    (dict(replace_with=[dict(HTTPS, tags={"AWS:cloudformation": "x"})]),
     "replace_with[0].tags {'AWS:cloudformation': 'x'} is not a dictionary of rule tags: text values, keys not "
     "starting with aws:"),
    (dict(replace_with=[{"ip_protocol": "tcp", "from_port": 1, "to_port": 1, "ip_ranges": [{"cidr_ip": "10.0.0.0/8"}]},
                        {"ip_protocol": "tcp", "from_port": 5432, "to_port": 5432,
                         "user_id_group_pairs": [{"group_id": "sg-0dbdbdbdbdbdbdbdb"}, {"group_name": "db"}]}]),
     "replace_with[1].user_id_group_pairs[1].group_name 'db' names a referenced group by name: give its group_id, "
     "which adding a rule needs"),
    (dict(replace_with=[{"ip_protocol": "tcp", "port": 1}]),
     "replace_with: replace_with.port. Supported parameters include"),
])
def test_refusals_say_what_to_do(params, message):
    with pytest.raises(NetguardAwsError) as error:
        parse_replacement(params, [])
    assert error.value.msg.startswith(message), error.value.msg


def test_the_bounds_are_allowed():
    assert replacement("observed", observed_prefix={"ipv4": 1, "ipv6": 128},
                       max_rules_per_group=1000) == Replacement((), {"ipv4": 1, "ipv6": 128}, 1000)
    assert replacement("observed", observed_prefix={"ipv4": 32, "ipv6": 1}).observed == {"ipv4": 32, "ipv6": 1}
    assert replacement("observed", max_rules_per_group=1).max_rules == 1
    # A rule to a group by ID is taken.
    pair = {"ip_protocol": "tcp", "from_port": 5432, "to_port": 5432,
            "user_id_group_pairs": [{"group_id": "sg-0dbdbdbdbdbdbdbdb", "user_id": "123456789012"}]}
    assert [item.requested.rule.destination for item in replacement([pair]).rules] == ["sg-0dbdbdbdbdbdbdbdb"]


def test_a_group_that_loses_rules_gets_what_it_lacks_and_one_that_loses_none_gets_nothing():
    plan = planned([HTTPS, {"ip_protocol": "6", "from_port": 443, "to_port": 443,
                            "ip_ranges": [{"cidr_ip": "10.0.9.9/16"}]}])
    assert [rule.rule_id for rule in plan.remove] == ["sgr-0000000000000000b"]
    assert [item.requested.rule.destination for item in plan.add] == ["10.20.0.0/16", "2001:db8::/32"]
    assert [rule.rule_id for rule in plan.present] == ["sgr-0000000000000000a"]
    idle = planned([HTTPS], selector=Selector((rule_id_choice("sgr-0000000000000000f"),)))
    assert (idle.remove, idle.add, idle.changes) == ([], [], False)
    assert [rule.rule_id for rule in idle.present] == []


def test_a_selected_rule_that_the_replacement_names_stays():
    plan = planned([{"ip_protocol": "all", "ip_ranges": [{"cidr_ip": "0.0.0.0/0"}]}], selector=Selector((EVERY_RULE,)))
    assert [rule.rule_id for rule in plan.remove] == ["sgr-0000000000000000a", "sgr-0000000000000000c",
                                                      "sgr-0000000000000000d"]
    assert plan.add == [] and [rule.rule_id for rule in plan.present] == ["sgr-0000000000000000b"]
    assert plan.warnings == ["sgr-0000000000000000b all -> 0.0.0.0/0 is selected and also in replace_with: left in %s"
                             % GROUP]


def test_the_room_counts_each_family_with_group_rules_in_both_and_what_is_added_before_anything_goes():
    # IPv4: 3 rules (two CIDRs and the referenced group) + 1 new; IPv6: 2 (the CIDR, the group) + 1 new.
    assert refused_replacements([planned([HTTPS], max_rules_per_group=4)]) == {}
    refused = refused_replacements([planned([HTTPS], max_rules_per_group=3)])
    assert refused[GROUP].msg == ("replace_with needs 1 new IPv4 egress rule in %s, which has 3 of at most 3 "
                                  "(max_rules_per_group): the new rules are added before any is removed, so it needs "
                                  "room for 4; nothing was changed in %s" % (GROUP, GROUP))
    v6_only = dict(HTTPS, ip_ranges=[])
    assert refused_replacements([planned([v6_only], max_rules_per_group=3)]) == {}
    assert "1 new IPv6 egress rule" in refused_replacements([planned([v6_only], max_rules_per_group=2)])[GROUP].msg
    assert refused_replacements([planned([HTTPS], selector=Selector((rule_id_choice("sgr-0000000000000000f"),)),
                                         max_rules_per_group=1)]) == {}, "a group that loses nothing needs no room"


def test_observed_refuses_a_group_whose_evidence_is_incomplete_with_its_reasons():
    coverage = {"complete": False, "reasons": ["eni-0a has no flow log", "eni-0b: SKIPDATA"]}
    plan = planned("observed")._replace(traffic=GroupTraffic(coverage, [], {}, {}))
    refused = refused_replacements([plan])[GROUP]
    assert refused.msg == ("replace_with: observed: the flow logs of %s do not show all its traffic in the window, so "
                           "the rules it needs cannot be known: eni-0a has no flow log; eni-0b: SKIPDATA; nothing was "
                           "changed in %s" % (GROUP, GROUP))
    assert refused.details == {"cut_flows": [], "traffic_coverage": coverage}
    complete = plan._replace(traffic=GroupTraffic(dict(coverage, complete=True, reasons=[]), [], {}, {}))
    assert refused_replacements([complete]) == {}
    explicit = planned([HTTPS])._replace(traffic=plan.traffic)
    assert refused_replacements([explicit]) == {}, "explicit rules do not depend on the evidence"
    # Every plan is looked at, after one without a replacement and after one refused.
    other = "sg-0bbbbbbbbbbbbbbbb"
    crowded = plan_group(TargetGroup({"GroupId": other}), "us-east-1", described(
        api_rule("sgr-0000000000000000e", "-1", -1, -1, group_id=other, CidrIpv4="0.0.0.0/0")),
        Change(Selector((rule_id_choice("sgr-0000000000000000e"),)), replacement([HTTPS], max_rules_per_group=1).rules,
               replace=replacement([HTTPS], max_rules_per_group=1)))
    plain = plan_group(TargetGroup({"GroupId": other}), "us-east-1", RULES, Change(Selector((ALL_TO_ANYWHERE,))))
    assert sorted(refused_replacements([plain, plan, crowded])) == sorted([GROUP, other])


def validated(**args):
    result = ArgumentSpecValidator(**MODULE_KWARGS).validate(dict(args, group_id=GROUP, revoke_all=True))
    return result.validated_parameters, " ".join(result.error_messages)


def test_the_module_takes_replace_with_as_written_and_observed_prefix_with_its_defaults():
    params, errors = validated(replace_with="observed", observed_prefix={"ipv4": "28"})
    assert (errors, params["replace_with"], params["observed_prefix"]) == ("", "observed", {"ipv4": 28, "ipv6": 64})
    params, errors = validated(replace_with=[HTTPS], max_rules_per_group="100")
    assert (errors, params["replace_with"], params["max_rules_per_group"]) == ("", [HTTPS], 100)
    params, errors = validated(replace_with="observed", observed_prefix="ipv6=56")
    assert (errors, params["observed_prefix"]) == ("", {"ipv4": 24, "ipv6": 56})
    _params, errors = validated(replace_with="observed", observed_prefix={"ipv4": "wide"})
    assert "ipv4" in errors and "int" in errors
    _params, errors = validated(replace_with="observed", observed_prefix={"ipv5": 1})
    assert "ipv5" in errors
    _params, errors = validated(observed_prefix={"ipv4": 28})
    assert errors == "missing parameter(s) required by 'observed_prefix': replace_with"
