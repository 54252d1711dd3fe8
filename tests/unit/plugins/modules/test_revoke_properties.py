"""Property-based matching: the module selects exactly the rules a plain reference model selects.

Hypothesis generates a group's rules and a request. The request is built from *meanings* (a
protocol, a port range, a destination) and then spelled in one of the ways a user may write it;
the reference model knows the meanings, so it does not parse anything. The module must select
exactly the reference's rules, never one more, and a second run must select nothing.
"""

import ipaddress

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.netguard.aws.plugins.module_utils.selector import select
from ansible_collections.netguard.aws.plugins.module_utils.request import parse_revoke_request
from ansible_collections.netguard.aws.plugins.module_utils.rules import DescribedRule
from ansible_collections.netguard.aws.plugins.modules.ec2_security_group_egress_revoke import MODULE_KWARGS

GROUP = "sg-0000000000000000a"
OTHER_GROUP = "sg-0000000000000000f"
REFERENCED = ("sg-0000000000000000b", "sg-0000000000000000c")
PREFIX_LISTS = ("pl-0000000000000000a", "pl-0000000000000000b")
OWNER = "123456789012"
IPV4 = ("10.0.0.0/8", "10.1.0.0/16", "0.0.0.0/0", "192.168.1.0/24")
IPV6 = ("::/0", "2001:db8::/32", "fd00::/8")
PURE_EXAMPLES = 500
MOTO_EXAMPLES = 40

# ----- the reference model: meanings, compared plainly ---------------------------------------------------------

NAMES = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "all": "-1"}


def meaning(protocol, from_port, to_port, kind, destination):
    """What a rule means, from its parts as AWS stores them."""
    protocol = NAMES.get(str(protocol).lower(), str(protocol).lower())
    if protocol in ("tcp", "udp"):
        ports = (0, 65535) if (from_port, to_port) in ((-1, -1), (None, None)) else (from_port, to_port)
    elif protocol in ("icmp", "icmpv6"):
        ports = (from_port, to_port)
    else:
        ports = "any"
    if kind in ("cidr_ipv4", "cidr_ipv6"):
        network = ipaddress.ip_network(destination, strict=False)
        destination = "%s/%d" % (network.network_address.compressed, network.prefixlen)
    return protocol, ports, kind, destination


def api_meaning(api_rule):
    for key, kind in (("CidrIpv4", "cidr_ipv4"), ("CidrIpv6", "cidr_ipv6"), ("PrefixListId", "prefix_list_id")):
        if api_rule.get(key):
            return meaning(api_rule["IpProtocol"], api_rule["FromPort"], api_rule["ToPort"], kind, api_rule[key])
    return meaning(api_rule["IpProtocol"], api_rule["FromPort"], api_rule["ToPort"], "group",
                   api_rule["ReferencedGroupInfo"]["GroupId"])


def reference_selection(api_rules, wanted_ids, wanted_meanings):
    """IDs of this group's egress rules that the request names, by ID or by meaning (and owner)."""
    selected = set()
    for api_rule in api_rules:
        if api_rule["GroupId"] != GROUP or not api_rule["IsEgress"]:
            continue
        if api_rule["SecurityGroupRuleId"] in wanted_ids:
            selected.add(api_rule["SecurityGroupRuleId"])
        owner = (api_rule.get("ReferencedGroupInfo") or {}).get("UserId")
        for wanted, wanted_owner in wanted_meanings:
            if api_meaning(api_rule) == wanted and wanted_owner in (None, owner):
                selected.add(api_rule["SecurityGroupRuleId"])
    return selected


# ----- generated rules and requests ----------------------------------------------------------------------------

# Strategies that do not depend on what was drawn are built once: Hypothesis validates (and labels) each new
# strategy object when it is first drawn from, which would otherwise be most of the time of every example.
PROTOCOLS = st.sampled_from(["tcp", "udp", "icmp", "icmpv6", "-1", "50"])
TCP_UDP_PORTS = st.one_of(st.just((-1, -1)), st.just((0, 65535)),
                          st.tuples(st.sampled_from([22, 80, 443]), st.sampled_from([443, 1024, 65535])).map(sorted).map(tuple))
ICMP_PORTS = st.one_of(st.just((-1, -1)), st.tuples(st.sampled_from([0, 3, 8]), st.sampled_from([-1, 0, 4])))
KINDS = st.sampled_from(["cidr_ipv4", "cidr_ipv6", "prefix_list_id", "group"])
DESTINATIONS = {"cidr_ipv4": st.sampled_from(IPV4), "cidr_ipv6": st.sampled_from(IPV6),
                "prefix_list_id": st.sampled_from(PREFIX_LISTS), "group": st.sampled_from(REFERENCED)}
OWNING_GROUPS = st.sampled_from([GROUP] * 5 + [OTHER_GROUP])
DIRECTIONS = st.sampled_from([True] * 5 + [False])
DESCRIPTION_TEXT = st.text(alphabet="abc xyz", max_size=8)


@st.composite
def rule_parts(draw):
    """(protocol, from_port, to_port, kind, destination) as AWS would store a rule."""
    protocol = draw(PROTOCOLS)
    if protocol in ("tcp", "udp"):
        ports = draw(TCP_UDP_PORTS)
    elif protocol in ("icmp", "icmpv6"):
        ports = draw(ICMP_PORTS)
    else:
        ports = (-1, -1)
    kind = draw(KINDS)
    destination = draw(DESTINATIONS[kind])
    return protocol, ports[0], ports[1], kind, destination


RULE_PARTS = st.lists(rule_parts(), min_size=1, max_size=12)


def spelled_cidr(draw, cidr):
    """The CIDR as an endpoint may hold it or a user write it: canonical, with host bits set, IPv6 long or upper case."""
    network = ipaddress.ip_network(cidr, strict=False)
    spellings = [cidr]
    if network.prefixlen < network.max_prefixlen:
        spellings.append("%s/%d" % (network.network_address + 1, network.prefixlen))
    if network.version == 6:
        spellings += [cidr.upper(), "%s/%d" % (network.network_address.exploded, network.prefixlen)]
    return draw(st.sampled_from(spellings))


@st.composite
def api_rules(draw):
    """A group's described rules (some ingress, some of another group), as DescribeSecurityGroupRules gives them."""
    rules = []
    for index, parts in enumerate(draw(RULE_PARTS)):
        protocol, from_port, to_port, kind, destination = parts
        api_rule = {"SecurityGroupRuleId": "sgr-%017x" % (index + 1),
                    "GroupId": draw(OWNING_GROUPS),
                    "IsEgress": draw(DIRECTIONS),
                    "IpProtocol": draw(st.sampled_from([protocol, {"tcp": "6", "udp": "17", "icmp": "1",
                                                                   "icmpv6": "58"}.get(protocol, protocol)])),
                    "FromPort": from_port, "ToPort": to_port}
        if kind == "cidr_ipv4":
            api_rule["CidrIpv4"] = spelled_cidr(draw, destination)
        elif kind == "cidr_ipv6":
            api_rule["CidrIpv6"] = spelled_cidr(draw, destination)
        elif kind == "prefix_list_id":
            api_rule["PrefixListId"] = destination
        else:
            api_rule["ReferencedGroupInfo"] = {"GroupId": destination, "UserId": OWNER}
        if draw(st.booleans()):
            api_rule["Description"] = draw(DESCRIPTION_TEXT)
        rules.append(api_rule)
    return rules


API_RULES = api_rules()


def spelled_protocol(draw, protocol):
    numbers = {"tcp": "6", "udp": "17", "icmp": "1", "icmpv6": "58"}
    choices = {"-1": ["-1", "all", "ALL", -1]}.get(protocol, [protocol, protocol.upper(), numbers.get(protocol, protocol)])
    if protocol in numbers or protocol == "50":
        choices.append(int(numbers.get(protocol, protocol)))
    return draw(st.sampled_from(choices))


def spelled_ports(draw, protocol, from_port, to_port, form):
    """The ports as a user may write them: a shorthand ``port``, or ``(from_port, to_port)`` (None: left out)."""
    if protocol in ("tcp", "udp"):
        if (from_port, to_port) in ((-1, -1), (0, 65535)):
            return draw(st.sampled_from([None, "all", "-1", "0-65535"] if form == "shorthand" else [None, (-1, -1), (0, 65535)]))
        if form == "shorthand":
            return draw(st.sampled_from([from_port, str(from_port)])) if from_port == to_port else "%d-%d" % (from_port, to_port)
        return from_port, to_port
    if protocol in ("icmp", "icmpv6"):
        if form == "shorthand":
            if from_port == -1:
                return draw(st.sampled_from([None, "all", "-1"]))
            return draw(st.sampled_from([from_port, str(from_port)])) if to_port == -1 else "%d-%d" % (from_port, to_port)
        return draw(st.sampled_from([None, (-1, -1)])) if from_port == -1 else (from_port, to_port)
    return None if form == "shorthand" else draw(st.sampled_from([None, (-1, -1)]))


@st.composite
def requests(draw, described):
    """Task arguments, and the meanings and IDs they ask for."""
    form = draw(st.sampled_from(["ids", "snake", "camel", "shorthand"]))
    wanted_ids = set()
    arguments = {"group_id": GROUP}
    if form == "ids" or draw(st.booleans()):
        ids = draw(st.lists(st.sampled_from([rule["SecurityGroupRuleId"] for rule in described] + ["sgr-%017x" % 999]),
                            min_size=1, max_size=4))
        arguments["security_group_rule_ids"] = ids
        wanted_ids.update(ids)
    if form == "ids":
        return arguments, wanted_ids, []
    # Mostly rules that exist, so that matches are common; sometimes any rule.
    existing = [rule_parts_of(rule) for rule in described]
    parts = draw(st.lists(st.one_of(st.sampled_from(existing), rule_parts()), min_size=1, max_size=1 if form == "shorthand" else 4))
    wanted = []
    permissions = []
    for protocol, from_port, to_port, kind, destination in parts:
        owner = draw(st.sampled_from([None, OWNER, "999999999999"])) if kind == "group" else None
        wanted.append((meaning(protocol, from_port, to_port, kind, destination), owner))
        ports = spelled_ports(draw, protocol, from_port, to_port, "shorthand" if form == "shorthand" else "permissions")
        written_destination = spelled_cidr(draw, destination) if kind.startswith("cidr") else destination
        if form == "shorthand":
            arguments["protocol"] = spelled_protocol(draw, protocol)
            if ports is not None:
                arguments["port"] = ports
            option = {"cidr_ipv4": "cidr", "cidr_ipv6": "cidr", "prefix_list_id": "prefix_list_id", "group": "destination_group"}[kind]
            arguments[option] = [written_destination] if option == "cidr" else written_destination
            if owner:
                arguments["group_owner"] = owner
        else:
            permissions.append(permission(form, spelled_protocol(draw, protocol), ports, kind, written_destination, owner))
    if permissions:
        arguments["ip_permissions"] = permissions
    return arguments, wanted_ids, wanted


def rule_parts_of(api_rule):
    protocol = NAMES.get(api_rule["IpProtocol"], api_rule["IpProtocol"])
    for key, kind in (("CidrIpv4", "cidr_ipv4"), ("CidrIpv6", "cidr_ipv6"), ("PrefixListId", "prefix_list_id")):
        if api_rule.get(key):
            return protocol, api_rule["FromPort"], api_rule["ToPort"], kind, api_rule[key]
    return protocol, api_rule["FromPort"], api_rule["ToPort"], "group", api_rule["ReferencedGroupInfo"]["GroupId"]


def permission(form, protocol, ports, kind, destination, owner):
    snake = form == "snake"
    entry = {"ip_protocol" if snake else "IpProtocol": protocol}
    if ports is not None:
        entry["from_port" if snake else "FromPort"], entry["to_port" if snake else "ToPort"] = ports
    if kind == "group":
        pair = {"group_id" if snake else "GroupId": destination}
        if owner:
            pair["user_id" if snake else "UserId"] = owner
        entry["user_id_group_pairs" if snake else "UserIdGroupPairs"] = [pair]
    else:
        list_key, entry_key = {"cidr_ipv4": ("ip_ranges", "cidr_ip"), "cidr_ipv6": ("ipv6_ranges", "cidr_ipv6"),
                               "prefix_list_id": ("prefix_list_ids", "prefix_list_id")}[kind]
        if not snake:
            list_key, entry_key = {"ip_ranges": ("IpRanges", "CidrIp"), "ipv6_ranges": ("Ipv6Ranges", "CidrIpv6"),
                                   "prefix_list_ids": ("PrefixListIds", "PrefixListId")}[list_key]
        entry[list_key] = [{entry_key: destination, ("description" if snake else "Description"): "ignored"}]
    return entry


def module_selection(api_rules_, arguments):
    """The rule IDs the module's own validation, parsing and matching select."""
    validation = ArgumentSpecValidator(**MODULE_KWARGS).validate(dict(arguments))
    assert not validation.error_messages, (arguments, validation.error_messages)
    request, _warnings = parse_revoke_request(validation.validated_parameters)
    described = [DescribedRule(api_rule) for api_rule in api_rules_]
    return set(rule.rule_id for rule in select(GROUP, described, request.change.selector).taken)


@st.composite
def scenarios(draw):
    described = draw(API_RULES)
    arguments, wanted_ids, wanted = draw(requests(described))
    return described, arguments, wanted_ids, wanted


# ----- the properties ------------------------------------------------------------------------------------------

def test_selection_equals_the_reference_and_a_second_run_selects_nothing(figures):
    counts = {"examples": 0, "mismatches": 0, "second_run_revocations": 0, "rules_beyond_reference": 0}

    @settings(max_examples=PURE_EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(scenarios())
    def check(scenario):
        described, arguments, wanted_ids, wanted = scenario
        counts["examples"] += 1
        selected = module_selection(described, arguments)
        expected = reference_selection(described, wanted_ids, wanted)
        assert selected - expected == set(), "never one rule more"
        assert selected == expected
        remaining = [rule for rule in described if rule["SecurityGroupRuleId"] not in selected]
        assert module_selection(remaining, arguments) == set()

    check()
    figures("property", **counts)


def test_on_moto_the_endpoint_keeps_exactly_what_the_reference_keeps(ec2, api_calls, run_module, figures):
    counts = {"moto_examples": 0, "moto_mismatches": 0, "moto_second_run_revocations": 0}

    @settings(max_examples=MOTO_EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(st.lists(rule_parts(), min_size=1, max_size=8), st.data())
    def check(parts, data):
        counts["moto_examples"] += 1
        # A new VPC and groups each time, in the one moto of the test.
        described, placeholders = seed_on_moto(ec2, parts, data.draw, counts["moto_examples"])
        arguments, wanted_ids, wanted = data.draw(requests(described))
        arguments = swap_placeholders(arguments, placeholders)
        expected = reference_selection(described, wanted_ids, wanted)
        real_ids = dict((rule["SecurityGroupRuleId"], rule["RealId"]) for rule in described)
        if "security_group_rule_ids" in arguments:
            requested_ids = arguments["security_group_rule_ids"]
            arguments["security_group_rule_ids"] = [real_ids.get(rule_id, rule_id) for rule_id in requested_ids]
        result = run_module(**arguments)
        assert not result.get("failed"), result
        kept = set(rule["SecurityGroupRuleId"] for rule in ec2.describe_security_group_rules(
            Filters=[{"Name": "group-id", "Values": [placeholders[GROUP]]}])["SecurityGroupRules"] if rule["IsEgress"])
        assert kept == set(real_ids.values()) - set(real_ids[rule_id] for rule_id in expected)
        assert result["changed"] is bool(expected)
        del api_calls[:]
        again = run_module(**arguments)
        assert again["changed"] is False
        assert [name for name, _params in api_calls if name == "RevokeSecurityGroupEgress"] == []

    check()
    figures("property", **counts)


def seed_on_moto(ec2, parts, draw, example):
    """Create the group and its egress rules on moto; return them as described (with placeholder IDs) and the IDs."""
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    placeholders = {}
    for placeholder in (GROUP,) + REFERENCED:
        placeholders[placeholder] = ec2.create_security_group(GroupName=placeholder, Description="p", VpcId=vpc_id)["GroupId"]
    for placeholder in PREFIX_LISTS:
        placeholders[placeholder] = ec2.create_managed_prefix_list(PrefixListName="%s-%d" % (placeholder, example), MaxEntries=1,
                                                                   AddressFamily="IPv4")["PrefixList"]["PrefixListId"]
    group_id = placeholders[GROUP]
    ec2.revoke_security_group_egress(GroupId=group_id, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    seen = set()
    for protocol, from_port, to_port, kind, destination in parts:
        stored = spelled_cidr(draw, destination) if kind.startswith("cidr") else destination
        if (protocol, from_port, to_port, kind, stored) in seen:
            continue
        seen.add((protocol, from_port, to_port, kind, stored))
        permission_ = {"IpProtocol": protocol, "FromPort": from_port, "ToPort": to_port}
        if kind == "cidr_ipv4":
            permission_["IpRanges"] = [{"CidrIp": stored}]
        elif kind == "cidr_ipv6":
            permission_["Ipv6Ranges"] = [{"CidrIpv6": stored}]
        elif kind == "prefix_list_id":
            permission_["PrefixListIds"] = [{"PrefixListId": placeholders[stored]}]
        else:
            permission_["UserIdGroupPairs"] = [{"GroupId": placeholders[stored]}]
        ec2.authorize_security_group_egress(GroupId=group_id, IpPermissions=[permission_])
    inverse = dict((real, placeholder) for placeholder, real in placeholders.items())
    described = []
    for index, rule in enumerate(ec2.describe_security_group_rules(
            Filters=[{"Name": "group-id", "Values": [group_id]}])["SecurityGroupRules"]):
        rule = dict(rule, RealId=rule["SecurityGroupRuleId"], SecurityGroupRuleId="sgr-%017x" % (index + 1),
                    GroupId=GROUP)
        if rule.get("PrefixListId"):
            rule["PrefixListId"] = inverse[rule["PrefixListId"]]
        if rule.get("ReferencedGroupInfo"):
            rule["ReferencedGroupInfo"] = dict(rule["ReferencedGroupInfo"], GroupId=inverse[rule["ReferencedGroupInfo"]["GroupId"]])
        described.append(rule)
    return described, placeholders


def swap_placeholders(value, placeholders):
    if isinstance(value, dict):
        return dict((key, swap_placeholders(item, placeholders)) for key, item in value.items())
    if isinstance(value, list):
        return [swap_placeholders(item, placeholders) for item in value]
    return placeholders.get(value, value) if isinstance(value, str) else value
