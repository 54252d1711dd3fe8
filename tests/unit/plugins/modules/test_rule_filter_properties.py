"""Property-based rule_filters and keep: the module selects exactly what a plain reference model selects.

Hypothesis generates a group's rules (with descriptions and tags), the names and entries of the
prefix lists they name, the tags of the groups they reference, and random ``rule_filters`` and
``keep``. The reference model below computes port coverage by enumerating ports, address
containment on integer address ranges, and "public" by whether a block holds one of a few
addresses known to be globally reachable (every block drawn holds one or none); it shares no code
with the collection. The module must select exactly the reference's rules, and a second run must
select nothing.
"""

import fnmatch
import ipaddress

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.netguard.aws.plugins.module_utils.selector import Facts, PrefixList, select, stale_rule_ids
from ansible_collections.netguard.aws.plugins.module_utils.request import parse_revoke_request
from ansible_collections.netguard.aws.plugins.module_utils.rules import DescribedRule
from ansible_collections.netguard.aws.plugins.modules.ec2_security_group_egress_revoke import MODULE_KWARGS

from .test_revoke_properties import API_RULES, GROUP, PREFIX_LISTS, REFERENCED, rule_parts, spelled_cidr

PURE_EXAMPLES = 500
MOTO_EXAMPLES = 40
DESCRIPTIONS = (None, "abc", "a", "xyz")
TAGS = ({}, {"temp": "true"}, {"temp": "false"}, {"owner": "x"}, {"temp": "true", "owner": "x"})

# ----- the reference model ---------------------------------------------------------------------------------------

NAMES = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "all": "-1"}
EVERY_PORT = range(0, 65536)


def protocol_of(value):
    return NAMES.get(str(value).lower(), str(value).lower())


def ports_let_through(api_rule):
    """The ports a rule lets through, as a range; empty for ICMP and numbered protocols."""
    protocol = protocol_of(api_rule["IpProtocol"])
    if protocol == "-1":
        return EVERY_PORT
    if protocol in ("tcp", "udp"):
        if api_rule.get("FromPort") in (None, -1):
            return EVERY_PORT
        return range(api_rule["FromPort"], api_rule["ToPort"] + 1)
    return range(0)


def requested_ports(value):
    values = value if isinstance(value, list) else [value]
    ports = []
    for item in values:
        first, _dash, last = str(item).partition("-")
        ports.append(range(int(first), int(last or first) + 1))
    return ports


def address_range(text):
    """(version, first address as an integer, last address as an integer)."""
    network = ipaddress.ip_network(text if "/" in text else text + ("/128" if ":" in text else "/32"), strict=False)
    return network.version, int(network.network_address), int(network.broadcast_address)


def destination_range(api_rule):
    cidr = api_rule.get("CidrIpv4") or api_rule.get("CidrIpv6")
    return address_range(cidr) if cidr else None


# Globally reachable addresses: each block the examples use holds one of them exactly when it holds a public address.
GLOBAL_PROBES = [ipaddress.ip_address(text) for text in ("8.8.8.8", "52.216.0.1", "3.5.0.1", "2600:1f18::1")]


def every_port_set(value):
    return set(port for ports in requested_ports(value) for port in ports)


def destinations_of(api_rule, lists):
    """The (version, first, last) ranges a rule's traffic may reach: its CIDR, or its prefix list's entries."""
    cidr = api_rule.get("CidrIpv4") or api_rule.get("CidrIpv6")
    if cidr:
        return [address_range(cidr)]
    if api_rule.get("PrefixListId"):
        return [address_range(entry) for entry in lists.get(api_rule["PrefixListId"], (None, []))[1]]
    return []


def reference_passes(api_rule, predicates, stale_ids, lists=None, group_tags=None):
    lists, group_tags = lists or {}, group_tags or {}
    for name, value in predicates.items():
        if name == "protocol":
            wanted = set(protocol_of(item) for item in (value if isinstance(value, list) else [value]))
            if protocol_of(api_rule["IpProtocol"]) not in wanted:
                return False
        elif name == "allows_port":
            allowed = ports_let_through(api_rule)
            if not allowed or not any(port in allowed for ports in requested_ports(value) for port in ports):
                return False
        elif name == "ports_within":
            protocol = protocol_of(api_rule["IpProtocol"])
            allowed = ports_let_through(api_rule) if protocol in ("tcp", "udp") else EVERY_PORT
            if not set(allowed) <= every_port_set(value):
                return False
        elif name in ("destination_within", "destination_covers", "public", "wider_than"):
            mine = destinations_of(api_rule, lists)
            if not mine:
                return False
            blocks = [address_range(item) for item in value] if name.startswith("destination") else []
            if name == "destination_within" and not all(any(
                    v == version and lo <= first and last <= hi for v, lo, hi in blocks) for version, first, last in mine):
                return False
            if name == "destination_covers" and not any(
                    v == version and first <= lo and hi <= last for v, lo, hi in blocks for version, first, last in mine):
                return False
            if name == "public" and not any(
                    probe.version == version and first <= int(probe) <= last for probe in GLOBAL_PROBES
                    for version, first, last in mine):
                return False
            if name == "wider_than" and not any(
                    ("ipv%d" % version) in value and last - first + 1 > 2 ** ((32 if version == 4 else 128) - value["ipv%d" % version])
                    for version, first, last in mine):
                return False
        elif name == "destination_group_tags":
            group_id = (api_rule.get("ReferencedGroupInfo") or {}).get("GroupId")
            tags = group_tags.get(group_id)
            if tags is None or any(key not in tags or (wanted is not None and tags[key] != wanted) for key, wanted in value.items()):
                return False
        elif name == "prefix_list_name":
            known = lists.get(api_rule.get("PrefixListId"))
            if known is None or not fnmatch.fnmatchcase(known[0], value):
                return False
        elif name == "destination_group":
            if (api_rule.get("ReferencedGroupInfo") or {}).get("GroupId") != value:
                return False
        elif name == "prefix_list_id":
            if api_rule.get("PrefixListId") != value:
                return False
        elif name == "description":
            text = api_rule.get("Description") or ""
            if value == "*":
                matched = True
            elif value.endswith("*"):
                matched = text.startswith(value[:-1])
            else:
                matched = text == value
            if not matched:
                return False
        elif name == "tags":
            tags = dict((tag["Key"], tag["Value"]) for tag in api_rule.get("Tags", []))
            if any(key not in tags or (wanted is not None and tags[key] != wanted) for key, wanted in value.items()):
                return False
        elif name == "stale":
            if api_rule["SecurityGroupRuleId"] not in stale_ids:
                return False
    return True


def reference_selection(api_rules, group_id, rule_filters, keep, stale_ids=frozenset(), lists=None, group_tags=None):
    """``lists``: ``{pl_id: (name, [entry CIDRs])}``; ``group_tags``: ``{group_id: {key: value}}`` of the groups the
    account can describe."""
    selected = set()
    for api_rule in api_rules:
        if api_rule["GroupId"] != group_id or not api_rule["IsEgress"]:
            continue
        if not reference_passes(api_rule, rule_filters, stale_ids, lists, group_tags):
            continue
        if any(item == api_rule["SecurityGroupRuleId"] if isinstance(item, str) else
               reference_passes(api_rule, item, stale_ids, lists, group_tags) for item in keep):
            continue
        selected.add(api_rule["SecurityGroupRuleId"])
    return selected


# ----- generated rules, rule_filters and keep --------------------------------------------------------------------

def maybe(draw, strategy):
    return draw(st.one_of(st.none(), strategy))


def maybe_of(strategy):
    return st.one_of(st.none(), strategy)


# Strategies that do not depend on what was drawn are built once (see test_revoke_properties).
PREDICATE_VALUES = {
    "protocol": maybe_of(st.one_of(st.sampled_from(["tcp", "udp", "icmp", "-1", "all", 6, "50"]),
                                   st.lists(st.sampled_from(["tcp", "17", "icmpv6", "all"]), min_size=1, max_size=2))),
    "allows_port": maybe_of(st.one_of(st.sampled_from([22, 80, 443, "1000-2000", 0, 65535, "0-65535", "443-1024"]),
                                      st.lists(st.sampled_from([25, 465, 587, "20-22"]), min_size=1, max_size=3))),
    "destination_within": maybe_of(st.lists(st.sampled_from(
        ["10.0.0.0/8", "10.1.0.0/16", "0.0.0.0/0", "::/0", "2001:db8::/32", "192.168.0.0/16"]), min_size=1, max_size=2)),
    "destination_covers": maybe_of(st.lists(st.sampled_from(
        ["0.0.0.0/0", "10.1.2.3", "8.8.8.8", "::/0", "2001:db8::1", "10.0.0.0/8", "192.168.1.7"]), min_size=1, max_size=2)),
}
POLICY_PREDICATE_VALUES = {
    "ports_within": maybe_of(st.one_of(st.sampled_from([443, "0-65535", "443-1024", "all"]),
                                       st.lists(st.sampled_from([22, 80, 443, "81-442", "0-1023", "1024-65535"]),
                                                min_size=1, max_size=3))),
    "public": maybe_of(st.just(True)),
    "wider_than": maybe_of(st.sampled_from([{"ipv4": 16}, {"ipv4": 9}, {"ipv6": 33}, {"ipv4": 24, "ipv6": 64}, {"ipv4": 1}])),
}
LATER_PREDICATE_VALUES = {
    "description": maybe_of(st.sampled_from(["a*", "", "abc", "*", "x*"])),
    "tags": maybe_of(st.sampled_from([{"temp": "true"}, {"temp": None}, {"owner": "x"}, {"temp": True}])),
}
STALE = maybe_of(st.just(True))
# Names and entries of the examples' prefix lists, and tags of their referenced groups.
LIST_NAMES = ("com.amazonaws.us-east-1.s3", "com.amazonaws.eu-west-1.dynamodb", "corp-dns")
LIST_PATTERNS = st.sampled_from(["com.amazonaws.*.s3", "corp-*", "*", "com.amazonaws.us-east-1.s3", "s3"])
LIST_ENTRIES = st.lists(st.sampled_from(["52.216.0.0/15", "3.5.0.0/19", "10.5.0.0/16", "10.0.0.0/8", "192.168.1.0/24",
                                         "2600:1f18::/33", "fd00::/8"]), unique=True, max_size=3)
GROUP_TAGS = st.sampled_from([{}, {"team": "core"}, {"team": "web"}, {"team": "core", "env": "prod"}])
GROUP_TAG_PREDICATES = st.sampled_from([{"team": "core"}, {"team": None}, {"env": "prod", "team": "core"}])
PROTOCOL_ONLY = st.sampled_from(["tcp", "all", "udp"])


@st.composite
def predicates(draw, groups=REFERENCED, prefix_lists=PREFIX_LISTS, stale=False, list_patterns=LIST_PATTERNS):
    """A random predicate dict with at least one predicate."""
    chosen = dict((name, draw(strategy)) for name, strategy in PREDICATE_VALUES.items())
    chosen.update((name, draw(strategy)) for name, strategy in POLICY_PREDICATE_VALUES.items())
    chosen["destination_group"] = maybe(draw, st.sampled_from(groups))
    chosen["destination_group_tags"] = maybe(draw, GROUP_TAG_PREDICATES)
    chosen["prefix_list_id"] = maybe(draw, st.sampled_from(prefix_lists))
    chosen["prefix_list_name"] = maybe(draw, list_patterns)
    chosen.update((name, draw(strategy)) for name, strategy in LATER_PREDICATE_VALUES.items())
    chosen["stale"] = draw(STALE) if stale else None
    chosen = dict((name, value) for name, value in chosen.items() if value is not None)
    # Most predicate dicts take a few: the more predicates, the fewer rules pass.
    names = draw(st.lists(st.sampled_from(sorted(chosen)), unique=True, min_size=1, max_size=2)) if chosen else []
    picked = dict((name, chosen[name]) for name in names)
    return picked or {"protocol": draw(PROTOCOL_ONLY)}


@st.composite
def predicates_of(draw, api_rule):
    """One or two predicates that this rule passes, so that examples often select something."""
    protocol = protocol_of(api_rule["IpProtocol"])
    options = {"protocol": protocol, "description": api_rule.get("Description") or ""}
    if protocol in ("tcp", "udp") and api_rule["FromPort"] not in (None, -1):
        options["allows_port"] = api_rule["ToPort"]
        options["ports_within"] = "%d-%d" % (api_rule["FromPort"], api_rule["ToPort"])
    cidr = api_rule.get("CidrIpv4") or api_rule.get("CidrIpv6")
    if cidr:
        options["destination_within"] = [cidr]
        options["destination_covers"] = [str(ipaddress.ip_network(cidr, strict=False).network_address)]
    if api_rule.get("ReferencedGroupInfo"):
        options["destination_group"] = api_rule["ReferencedGroupInfo"]["GroupId"]
    if api_rule.get("PrefixListId"):
        options["prefix_list_id"] = api_rule["PrefixListId"]
    names = draw(st.lists(st.sampled_from(sorted(options)), unique=True, min_size=1, max_size=2))
    return dict((name, options[name]) for name in names)


def some_predicates(draw, api_rules, **options):
    egress = [rule for rule in api_rules if rule["IsEgress"]]
    if egress and draw(st.booleans()):
        return draw(predicates_of(draw(st.sampled_from(egress))))
    return draw(predicates(**options))


def with_yaml_booleans(value):
    """Tag values as the reference compares them: a YAML boolean is its lower-case text."""
    return dict((key, ("true" if item else "false") if isinstance(item, bool) else item) for key, item in value.items())


def normalised(predicate_dict):
    if "tags" in predicate_dict:
        return dict(predicate_dict, tags=with_yaml_booleans(predicate_dict["tags"]))
    return predicate_dict


@st.composite
def described_rules(draw):
    """The rules of the matching property test, each also with rule tags."""
    rules = draw(API_RULES)
    for rule in rules:
        rule["Tags"] = [{"Key": key, "Value": value} for key, value in draw(RULE_TAGS).items()]
    return rules


RULE_TAGS = st.sampled_from(TAGS)


@st.composite
def keep_lists(draw, rule_ids, **predicate_options):
    return draw(st.lists(st.one_of(st.sampled_from(rule_ids), predicates(**predicate_options)), max_size=2))


def module_selection(api_rules, group_id, arguments, stale_groups=(), lists=None, group_tags=None):
    validation = ArgumentSpecValidator(**MODULE_KWARGS).validate(dict(arguments))
    assert not validation.error_messages, (arguments, validation.error_messages)
    request, _warnings = parse_revoke_request(validation.validated_parameters)
    described = [DescribedRule(api_rule) for api_rule in api_rules]
    prefix_lists = dict((list_id, PrefixList(name, tuple(ipaddress.ip_network(entry) for entry in entries)))
                        for list_id, (name, entries) in (lists or {}).items())
    facts = Facts(stale_rule_ids(described, stale_groups), frozenset(), prefix_lists, group_tags or {})
    selection = select(group_id, described, request.change.selector, facts)
    return set(rule.rule_id for rule in selection.taken)


def stale_groups_for(api_rules, stale_ids):
    """A StaleSecurityGroupSet that names exactly these group-referencing rules (by protocol, ports, group)."""
    groups = {}
    for api_rule in api_rules:
        if api_rule["SecurityGroupRuleId"] in stale_ids:
            groups.setdefault(api_rule["GroupId"], []).append({
                "IpProtocol": api_rule["IpProtocol"], "FromPort": api_rule["FromPort"], "ToPort": api_rule["ToPort"],
                "UserIdGroupPairs": [{"GroupId": api_rule["ReferencedGroupInfo"]["GroupId"]}]})
    return [{"GroupId": group_id, "StaleIpPermissionsEgress": permissions} for group_id, permissions in groups.items()]


# ----- the properties ------------------------------------------------------------------------------------------

def test_rule_filters_and_keep_select_what_the_reference_selects(figures):
    counts = {"rule_filters_examples": 0, "rule_filters_mismatches": 0, "rule_filters_second_run_revocations": 0}
    selected_rules = []

    @settings(max_examples=PURE_EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(st.data())
    def check(data):
        api_rules = data.draw(described_rules())
        rule_ids = [rule["SecurityGroupRuleId"] for rule in api_rules]
        rule_filters = some_predicates(data.draw, [rule for rule in api_rules if rule["GroupId"] == GROUP], stale=True)
        keep = data.draw(keep_lists(rule_ids, stale=True))
        referencing = [rule["SecurityGroupRuleId"] for rule in api_rules if rule.get("ReferencedGroupInfo")]
        stale_ids = set(data.draw(st.lists(st.sampled_from(referencing), unique=True))) if referencing else set()
        # Rules that share protocol, ports and group are the same reference: stale together.
        stale_ids = set(rule["SecurityGroupRuleId"] for rule in api_rules for other in api_rules
                        if other["SecurityGroupRuleId"] in stale_ids and rule.get("ReferencedGroupInfo")
                        and rule["GroupId"] == other["GroupId"] and same_reference(rule, other))
        stale_groups = stale_groups_for(api_rules, stale_ids)
        lists = dict((list_id, (data.draw(st.sampled_from(LIST_NAMES)), data.draw(LIST_ENTRIES))) for list_id in PREFIX_LISTS)
        # A referenced group the account cannot describe (another account's) has no known tags.
        group_tags = dict((group_id, data.draw(GROUP_TAGS)) for group_id in REFERENCED if data.draw(st.booleans()))
        arguments = {"group_id": GROUP, "rule_filters": rule_filters}
        if keep:
            arguments["keep"] = keep

        selected = module_selection(api_rules, GROUP, arguments, stale_groups, lists, group_tags)
        expected = reference_selection(api_rules, GROUP, normalised(rule_filters),
                                       [item if isinstance(item, str) else normalised(item) for item in keep], stale_ids,
                                       lists, group_tags)
        assert selected == expected, (arguments, api_rules, lists, group_tags)
        remaining = [rule for rule in api_rules if rule["SecurityGroupRuleId"] not in selected]
        assert module_selection(remaining, GROUP, arguments, stale_groups_for(remaining, stale_ids), lists, group_tags) == set()
        counts["rule_filters_examples"] += 1
        selected_rules.append(len(selected))

    check()
    assert counts["rule_filters_examples"] >= PURE_EXAMPLES
    assert sum(1 for count in selected_rules if count) > PURE_EXAMPLES / 3, "many examples select something"
    figures("property", **counts)


def same_reference(rule, other):
    meaning = [(protocol_of(item["IpProtocol"]), tuple(ports_let_through(item)) if protocol_of(item["IpProtocol"]) in ("tcp", "udp")
                else (item["FromPort"], item["ToPort"]), item["ReferencedGroupInfo"]["GroupId"]) for item in (rule, other)]
    return meaning[0] == meaning[1]


def test_on_moto_the_endpoint_keeps_what_the_reference_keeps(ec2, api_calls, run_module, figures):
    counts = {"rule_filters_moto_examples": 0, "rule_filters_moto_mismatches": 0,
              "rule_filters_moto_second_run_revocations": 0}

    @settings(max_examples=MOTO_EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(st.lists(rule_parts(), min_size=1, max_size=8), st.data())
    def check(parts, data):
        group_id, referenced, prefix_lists = seed(ec2, parts, data.draw)
        api_rules = egress_of(ec2, group_id)
        rule_ids = [rule["SecurityGroupRuleId"] for rule in api_rules]
        patterns = st.sampled_from(["p1-*", "*", "p2-vpc-*", "com.amazonaws.*.s3"])
        rule_filters = some_predicates(data.draw, api_rules, groups=referenced, prefix_lists=prefix_lists,
                                       list_patterns=patterns)
        keep = data.draw(keep_lists(rule_ids, groups=referenced, prefix_lists=prefix_lists, list_patterns=patterns))
        arguments = {"group_id": group_id, "rule_filters": rule_filters}
        if keep:
            arguments["keep"] = keep
        # The seeded lists have no entries, and the referenced groups no tags.
        lists = dict((item["PrefixListId"], (item["PrefixListName"], [])) for item in
                     ec2.describe_managed_prefix_lists()["PrefixLists"] if item["PrefixListId"] in prefix_lists)
        expected = reference_selection(api_rules, group_id, normalised(rule_filters),
                                       [item if isinstance(item, str) else normalised(item) for item in keep],
                                       lists=lists, group_tags=dict((group, {}) for group in referenced))

        result = run_module(**arguments)

        assert not result.get("failed"), result
        assert set(rule["SecurityGroupRuleId"] for rule in egress_of(ec2, group_id)) == set(rule_ids) - expected
        assert result["changed"] is bool(expected)
        del api_calls[:]
        again = run_module(**arguments)
        assert again["changed"] is False
        assert [name for name, _params in api_calls if name == "RevokeSecurityGroupEgress"] == []
        counts["rule_filters_moto_examples"] += 1

    check()
    assert counts["rule_filters_moto_examples"] >= MOTO_EXAMPLES
    figures("property", **counts)


def seed(ec2, parts, draw):
    """A new VPC with the group, two referenced groups and two prefix lists; the group's egress rules as drawn."""
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    group_id = ec2.create_security_group(GroupName="g", Description="g", VpcId=vpc_id)["GroupId"]
    referenced = [ec2.create_security_group(GroupName=name, Description="r", VpcId=vpc_id)["GroupId"] for name in ("r1", "r2")]
    prefix_lists = [ec2.create_managed_prefix_list(PrefixListName="%s-%s" % (name, vpc_id), MaxEntries=1, AddressFamily="IPv4")
                    ["PrefixList"]["PrefixListId"] for name in ("p1", "p2")]
    real = dict(zip(REFERENCED + PREFIX_LISTS, referenced + prefix_lists))
    ec2.revoke_security_group_egress(GroupId=group_id, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    seen = set()
    for protocol, from_port, to_port, kind, destination in parts:
        if (protocol, from_port, to_port, kind, destination) in seen:
            continue
        seen.add((protocol, from_port, to_port, kind, destination))
        entry = {}
        description = draw(st.sampled_from(DESCRIPTIONS))
        if description is not None:
            entry["Description"] = description
        permission = {"IpProtocol": protocol, "FromPort": from_port, "ToPort": to_port}
        if kind == "cidr_ipv4":
            permission["IpRanges"] = [dict(entry, CidrIp=spelled_cidr(draw, destination))]
        elif kind == "cidr_ipv6":
            permission["Ipv6Ranges"] = [dict(entry, CidrIpv6=spelled_cidr(draw, destination))]
        elif kind == "prefix_list_id":
            permission["PrefixListIds"] = [dict(entry, PrefixListId=real[destination])]
        else:
            permission["UserIdGroupPairs"] = [dict(entry, GroupId=real[destination])]
        tags = draw(st.sampled_from(TAGS))
        extra = {}
        if tags:
            extra["TagSpecifications"] = [{"ResourceType": "security-group-rule",
                                           "Tags": [{"Key": key, "Value": value} for key, value in tags.items()]}]
        ec2.authorize_security_group_egress(GroupId=group_id, IpPermissions=[permission], **extra)
    return group_id, referenced, prefix_lists


def egress_of(ec2, group_id):
    return [rule for rule in ec2.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [group_id]}])["SecurityGroupRules"] if rule["IsEgress"]]
