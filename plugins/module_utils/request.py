# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Task arguments, parsed once into a ``Request``: the connection, the target groups, the change, the guards and
how to run it.

Every check on the user's input that the argument spec cannot express lives here
(and in ``restore_request.py`` for the restore module), so that bad input fails
before any client exists. Nothing after parsing reads the task's arguments.
"""

import re
from collections import namedtuple
from urllib.parse import urlsplit

from ansible.module_utils.basic import env_fallback

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError, invalid
from ansible_collections.netguard.aws.plugins.module_utils.formatting import requested_rule_summary
from ansible_collections.netguard.aws.plugins.module_utils.permissions import RequestedRule, ip_permission_rules
from ansible_collections.netguard.aws.plugins.module_utils.replace_request import parse_replacement
from ansible_collections.netguard.aws.plugins.module_utils.rules import (
    PREFIX_LIST_ID,
    EgressRule,
    account_id,
    aws_id,
    canonical_protocol,
    cidr_destination,
    group_destination,
    group_name,
    parse_port,
)
from ansible_collections.netguard.aws.plugins.module_utils.selector import (
    EVERY_RULE,
    Choice,
    Predicate,
    Selector,
    exact_predicate,
    named_items,
    needs_traffic,
    parse_keep,
    parse_predicates,
    rule_id_choice,
)
from ansible_collections.netguard.aws.plugins.module_utils.traffic_request import parse_traffic

REVOKE_MODULE = "netguard.aws.ec2_security_group_egress_revoke"
INFO_MODULE = "netguard.aws.ec2_security_group_egress_info"
RESTORE_MODULE = "netguard.aws.ec2_security_group_egress_restore"

SHORTHAND_OPTIONS = ("protocol", "port", "cidr", "destination_group", "group_owner", "prefix_list_id")
RULE_SELECTORS = ("security_group_rule_ids", "ip_permissions") + SHORTHAND_OPTIONS + ("rule_filters", "revoke_all")
CONNECTION_OPTIONS = ("access_key", "secret_key", "session_token", "profile", "region", "endpoint_url",
                      "validate_certs", "aws_ca_bundle", "aws_config")
CONNECTION_REQUIRED_TOGETHER = [["access_key", "secret_key"]]

Request = namedtuple("Request", ["module", "connection", "target", "change", "guards", "execution", "traffic"],
                     defaults=(None,))
Request.__doc__ = """One task, parsed: ``module`` (its full name) says which result it returns; ``traffic``: the
``TrafficRequest`` whose flow logs are read, or None."""

Connection = namedtuple("Connection", CONNECTION_OPTIONS)
Connection.__doc__ = """Where and as whom to call AWS, as the connection options give it (None: botocore's default)."""

LocatedGroup = namedtuple("LocatedGroup", ["region", "group_id", "owner_id", "additions", "removals"],
                          defaults=((),))
LocatedGroup.__doc__ = """A group named with its region (None: the connection's), what to add to it (``RestoreRule``s)
and the IDs of its rules to remove (those a replace added)."""

Target = namedtuple("Target", ["group_ids", "group_name", "vpc_id", "filters", "regions", "located", "bulk",
                               "exclude_filters"],
                    defaults=(None, None, None, None, None, (), True, None))
Target.__doc__ = """Which groups: by IDs, by name (in ``vpc_id``), by ``DescribeSecurityGroups`` filters, each with
its region (``located``), or, with none of them, every group of the region. ``regions``: None (the connection's
region), ``ALL_REGIONS`` or region names. ``bulk``: the result lists groups (else it is one group's).
``exclude_filters``: ``DescribeSecurityGroups`` filters whose groups are left out of a selection by filters or of
the whole region (None: none are)."""

Change = namedtuple("Change", ["selector", "additions", "removes", "replace"], defaults=(None, (), True, None))
Change.__doc__ = """What the task does to each group: remove the egress rules ``selector`` selects (None: none), or
only list them (``removes`` false), and add ``additions`` (``RestoreRule``s) that the group lacks. ``replace``: a
``Replacement`` (``replace_with``), whose rules only a group that loses rules gets, before it loses them."""

Guards = namedtuple("Guards", ["max_revoked_rules", "impact", "require_unused", "require_no_traffic"],
                    defaults=(None, False, False, False))
Guards.__doc__ = """Checked over every group before any write; ``impact`` reports who is behind each changing group;
``require_no_traffic`` refuses each group whose plan would cut an observed flow."""

Execution = namedtuple("Execution", ["concurrency", "write_rate", "journal"], defaults=(1, None, None))
Execution.__doc__ = """Groups written at once per region, a fixed pace of writes per account-region (None: botocore's),
and the journal's path."""

MAX_CONCURRENCY = 64
ALL_REGIONS = "all"
# Region names as AWS spells them: us-east-1, eu-central-2, us-gov-west-1, ap-southeast-5.
_REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}$")
# A host name as a URL may carry it: labels of letters, digits and hyphens, or an address.
_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def connection_argument_spec():
    """The AWS connection options, with amazon.aws's names, aliases and environment fallbacks."""
    return dict(
        access_key=dict(type="str", aliases=["aws_access_key_id", "aws_access_key"], no_log=True,
                        fallback=(env_fallback, ["AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY"])),
        secret_key=dict(type="str", aliases=["aws_secret_access_key", "aws_secret_key"], no_log=True,
                        fallback=(env_fallback, ["AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY"])),
        session_token=dict(type="str", aliases=["aws_session_token"], no_log=True,
                           fallback=(env_fallback, ["AWS_SESSION_TOKEN"])),
        profile=dict(type="str", aliases=["aws_profile"], fallback=(env_fallback, ["AWS_PROFILE", "AWS_DEFAULT_PROFILE"])),
        region=dict(type="str", aliases=["aws_region"], fallback=(env_fallback, ["AWS_REGION", "AWS_DEFAULT_REGION"])),
        endpoint_url=dict(type="str", aliases=["aws_endpoint_url"], fallback=(env_fallback, ["AWS_URL"])),
        validate_certs=dict(type="bool", default=True),
        aws_ca_bundle=dict(type="path", fallback=(env_fallback, ["AWS_CA_BUNDLE"])),
        aws_config=dict(type="dict"),
    )


def shorthand_argument_spec():
    """Options of the revoke module's shorthand, which the info module takes as rule filters."""
    return dict(
        # raw: a protocol is a name or a number, a port a number or a range; both are taken as written, without
        # conversion warnings.
        protocol=dict(type="raw"),
        port=dict(type="raw"),
        # raw elements: a wrong value is quoted as written (YAML's 10 or null), which conversion to text would hide.
        cidr=dict(type="list", elements="raw"),
        destination_group=dict(type="str", aliases=["source_group"]),
        prefix_list_id=dict(type="str"),
    )


def filters_argument_spec():
    """The ``filters`` option. raw: a dictionary, or its JSON or key=value text as ad-hoc commands give it; the
    parser's errors quote a wrong value as written ("filters 'everything'"), which Ansible's conversion to a dictionary
    would not."""
    return dict(type="raw")


def exclude_filters_argument_spec():
    """The ``exclude_filters`` option, raw as ``filters`` is, for the same reasons."""
    return filters_argument_spec()


def regions_argument_spec():
    """The ``regions`` option. raw elements: a wrong one is quoted as written (YAML's 1 or null), which conversion to
    text would hide."""
    return dict(type="list", elements="raw")


def ids_argument_spec(*aliases):
    """A list of IDs. raw elements: a wrong one is quoted as written (YAML's 10 or null), which conversion to text
    would hide."""
    return dict(type="list", elements="raw", aliases=list(aliases))


def revoke_rate_argument_spec():
    """The ``revoke_rate`` option. raw: a number, or its text as ad-hoc commands give it; the parser's errors quote a
    wrong value as written (0, not 0.0; 'fast'), which Ansible's conversion to a float would not."""
    return dict(type="raw")


def rule_filters_argument_spec():
    """The ``rule_filters`` option. raw: a dictionary or its text, whose predicates ``parse_predicates`` checks as it
    checks ``keep`` entries, so that every error quotes the option path and the value as written."""
    return dict(type="raw")


def traffic_argument_spec():
    """The ``traffic`` option. raw: a dictionary or its text, checked by ``traffic_request.parse_traffic`` so that every
    error quotes the option path and the value as written."""
    return dict(type="raw")


def parse_connection(params):
    """The connection options; an ``endpoint_url`` that is no URL fails here, before any client exists."""
    endpoint_url = params.get("endpoint_url")
    if endpoint_url is not None and not _is_url(endpoint_url):
        raise invalid("endpoint_url", endpoint_url, "is not a valid URL")
    return Connection(*(params.get(option) for option in CONNECTION_OPTIONS))


def _is_url(text):
    try:
        parts = urlsplit(text)
        # .port raises for a port that is no number or out of range; port 0 is in range but reaches nothing.
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.port == 0:
            return False
    except ValueError:
        return False
    host = parts.hostname
    return ":" in host or all(_HOST_LABEL.match(label) for label in host.rstrip(".").split("."))


def parse_revoke_request(params):
    """``(Request, warnings)`` of the revoke module's validated parameters."""
    warnings = []
    connection = parse_connection(params)
    group_id = params.get("group_id")
    if group_id is not None:
        aws_id(group_id, "group_id", "sg")
    name, vpc_id = _group_name_and_vpc(params)
    filters = None
    if params.get("filters") is not None:
        filters = describe_filters(params["filters"])
        if not filters:
            raise NetguardAwsError("filters is empty, which would select every security group of the region: "
                                   "give at least one filter, such as {'vpc-id': 'vpc-0123456789abcdef0'}")
    _refuse_empty_lists(params, ("security_group_rule_ids", "ip_permissions", "cidr"))

    rule_ids = [aws_id(rule_id, "security_group_rule_ids[%d]" % index, "sgr")
                for index, rule_id in enumerate(params.get("security_group_rule_ids") or ())]
    # Matching ignores descriptions and peering details: one rule each, however often it was written.
    rules = [RequestedRule(requested.rule, requested.group_owner)
             for requested in ip_permission_rules(params.get("ip_permissions"), "ip_permissions", warnings)]
    if params.get("protocol") is not None:
        rules.extend(_shorthand_rules(params, warnings))
    rule_filters = None
    if params.get("rule_filters") is not None:
        rule_filters = parse_predicates(params["rule_filters"], "rule_filters", warnings,
                                        "would select every egress rule (that is revoke_all)")
    keep = parse_keep(params.get("keep"), warnings)

    revoke_all = bool(params.get("revoke_all"))
    if not (rule_ids or rules or rule_filters or revoke_all):
        raise NetguardAwsError("revoke_all is false and no rule is selected: set revoke_all=true, or give "
                               "security_group_rule_ids, ip_permissions, rule_filters or protocol with a destination")
    if revoke_all and filters is not None and not params.get("allow_bulk_revoke_all"):
        raise NetguardAwsError("revoke_all with filters removes every egress rule of every group the filters "
                               "select: set allow_bulk_revoke_all=true to confirm")
    max_revoked_rules = params.get("max_revoked_rules")
    if max_revoked_rules is not None and max_revoked_rules < 0:
        raise invalid("max_revoked_rules", max_revoked_rules, "is negative: give 0 or more")
    concurrency = params.get("concurrency", 1)
    if concurrency is None or not 1 <= concurrency <= MAX_CONCURRENCY:
        raise invalid("concurrency", concurrency, "is out of range: give 1 to %d" % MAX_CONCURRENCY)
    revoke_rate = parse_revoke_rate(params.get("revoke_rate"))
    journal = parse_journal_path(params.get("journal"))

    # dict.fromkeys drops repeats and keeps the order.
    choices = [rule_id_choice(rule_id) for rule_id in dict.fromkeys(rule_ids)]
    choices += [Choice((exact_predicate(requested),), requested_rule_summary(requested))
                for requested in dict.fromkeys(rules)]
    if rule_filters is not None:
        choices.append(Choice((rule_filters,), None))
    if revoke_all:
        choices.append(EVERY_RULE)
    target = Target(group_ids=None if group_id is None else (group_id,), group_name=name, vpc_id=vpc_id,
                    filters=filters, regions=parse_regions(params.get("regions")), bulk=filters is not None,
                    exclude_filters=parse_exclude_filters(params))
    selector = Selector(tuple(choices), keep)
    traffic = _traffic(params, selector)
    if params.get("require_no_traffic") and traffic is None:
        raise NetguardAwsError("require_no_traffic needs traffic, the window of flow logs to look at, such as "
                               "traffic: {days: 30}")
    guards = Guards(max_revoked_rules, bool(params.get("impact") or params.get("require_unused")),
                    bool(params.get("require_unused")), bool(params.get("require_no_traffic")))
    replacement = parse_replacement(params, warnings)
    if replacement is not None and replacement.observed is not None and traffic is None:
        raise NetguardAwsError("replace_with: observed needs traffic, the window of flow logs whose flows the new "
                               "rules must allow, such as traffic: {days: 30}")
    change = Change(selector, replacement.rules if replacement is not None else (), replace=replacement)
    return Request(REVOKE_MODULE, connection, target, change, guards,
                   Execution(concurrency, revoke_rate, journal), traffic), warnings


def _traffic(params, selector):
    """The ``TrafficRequest`` of ``traffic``; ``unused`` without it is refused."""
    traffic = parse_traffic(params.get("traffic"))
    if traffic is None and needs_traffic(selector):
        option = "rule_filters.unused" if needs_traffic(selector._replace(keep=())) else "keep: unused"
        raise NetguardAwsError("%s needs traffic, the window of flow logs to look at, such as traffic: {days: 30}"
                               % option)
    return traffic


def parse_journal_path(journal):
    if journal is not None and not journal.strip():
        raise invalid("journal", journal, "is not a file path")
    return journal


def parse_revoke_rate(value):
    """``revoke_rate`` as a float: a positive finite number, or its text as ad-hoc commands give it."""
    if value is None:
        return None
    try:
        rate = float(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        rate = None
    # not (0 < rate < inf) also refuses NaN.
    if rate is None or not 0 < rate < float("inf"):
        raise invalid("revoke_rate", value, "is not a positive number of write calls per second, such as 5 or 0.5")
    return rate


def parse_info_request(params):
    """``(Request, warnings)`` of the info module's validated parameters."""
    warnings = []
    connection = parse_connection(params)
    _refuse_empty_lists(params, ("group_id", "cidr"))
    group_ids = [aws_id(group_id, "group_id[%d]" % index, "sg")
                 for index, group_id in enumerate(params.get("group_id") or ())]
    name, vpc_id = _group_name_and_vpc(params)
    filters = None if params.get("filters") is None else describe_filters(params["filters"])

    # Listed rules pass the shorthand filter and rule_filters both.
    predicates = []
    if any(params.get(option) is not None for option in ("protocol", "cidr", "destination_group", "prefix_list_id")):
        protocols = port_range = None
        if params.get("protocol") is not None:
            protocol = canonical_protocol(params["protocol"], "protocol")
            protocols = frozenset([protocol])
            if params.get("port") is not None:
                port_range = parse_port(params["port"], protocol, "port")
        destinations = frozenset(destination for destination, _owner in _shorthand_destinations(params, warnings))
        predicates.append(Predicate(protocols=protocols, port_range=port_range,
                                    destinations=(destinations,) if destinations else None))
    if params.get("rule_filters") is not None:
        predicates.append(parse_predicates(params["rule_filters"], "rule_filters", warnings,
                                           "would list every egress rule (leave rule_filters out for that)"))
    choice = Choice(tuple(predicates), None) if predicates else EVERY_RULE
    target = Target(group_ids=tuple(dict.fromkeys(group_ids)) or None, group_name=name, vpc_id=vpc_id,
                    filters=filters, regions=parse_regions(params.get("regions")),
                    exclude_filters=parse_exclude_filters(params))
    selector = Selector((choice,))
    return Request(INFO_MODULE, connection, target, Change(selector, removes=False), Guards(), Execution(),
                   _traffic(params, selector)), warnings


def parse_regions(value):
    """``regions``: None, ``ALL_REGIONS``, or a tuple of region names (repeats dropped, order kept)."""
    if value is None:
        return None
    values = value if isinstance(value, list) else [value]
    if not values:
        raise NetguardAwsError("regions is empty: list at least one region, or give all, or leave the option out")
    if values == [ALL_REGIONS]:
        return ALL_REGIONS
    for index, name in enumerate(values):
        option = "regions[%d]" % index
        if name == ALL_REGIONS:
            raise invalid(option, name, "cannot be combined with region names: give all alone")
        region_name(name, option)
    return tuple(dict.fromkeys(values))


def region_name(value, option):
    if not isinstance(value, str) or not _REGION.match(value):
        raise invalid(option, value, "is not an AWS region name such as us-east-1 or eu-west-3")
    return value


def describe_filters(filters, option="filters", example="{'vpc-id': 'vpc-0123abcd'}"):
    """A ``DescribeSecurityGroups`` filter dict (``{'tag:env': 'prod'}``) as the API's Name/Values list.

    Also takes the dict as JSON or ``key=value`` text, as ad-hoc commands give it. ``example``: a dict the refusal of
    a value that is no dict shows.
    """
    filter_list = []
    for name, values, where in named_items(filters, option, "dictionary of filter names and values, such as "
                                           + example, "filter name"):
        values = values if isinstance(values, list) else [values]
        if not values:
            raise NetguardAwsError("%s is empty: give at least one value" % where)
        texts = []
        for value in values:
            if isinstance(value, bool):
                texts.append("true" if value else "false")
            elif isinstance(value, (str, int)):
                texts.append(str(value))
            else:
                raise invalid(where, value, "is not a filter value: give a string or a list of strings")
        filter_list.append({"Name": name, "Values": texts})
    return filter_list


def parse_exclude_filters(params):
    """``exclude_filters`` as ``DescribeSecurityGroups`` filters, or None; an empty one, which EC2 would match to every
    group, is refused. (The argument specs keep it away from ``group_id`` and ``group_name``, which name their groups.)"""
    value = params.get("exclude_filters")
    if value is None:
        return None
    example = "{'tag:netguard-exempt': 'true'}"
    filters = describe_filters(value, "exclude_filters", example)
    if not filters:
        raise invalid("exclude_filters", value, "is empty, which would exclude every security group: give at least "
                      "one filter, such as " + example)
    return filters


def _group_name_and_vpc(params):
    name = params.get("group_name")
    if name is not None:
        group_name(name, "group_name")
    vpc_id = params.get("vpc_id")
    if vpc_id is not None:
        aws_id(vpc_id, "vpc_id", "vpc")
    return name, vpc_id


def _refuse_empty_lists(params, options):
    for option in options:
        if params.get(option) is not None and not params[option]:
            raise NetguardAwsError("%s is empty: list at least one entry, or leave the option out" % option)


def _shorthand_destinations(params, warnings):
    """``((destination_type, destination), group_owner)`` for each shorthand destination."""
    owner = params.get("group_owner")
    if owner is not None:
        account_id(owner, "group_owner")
    destinations = []
    for index, cidr in enumerate(params.get("cidr") or ()):
        option = "cidr" if len(params["cidr"]) == 1 else "cidr[%d]" % index
        destinations.append((cidr_destination(cidr, option, warnings), None))
    if params.get("destination_group") is not None:
        destinations.append((group_destination(params["destination_group"], "destination_group"), owner))
    if params.get("prefix_list_id") is not None:
        destinations.append(((PREFIX_LIST_ID, aws_id(params["prefix_list_id"], "prefix_list_id", "pl")), None))
    return destinations


def _shorthand_rules(params, warnings):
    protocol = canonical_protocol(params["protocol"], "protocol")
    from_port, to_port = parse_port(params.get("port"), protocol, "port")
    destinations = _shorthand_destinations(params, warnings)
    if not destinations:
        raise invalid("protocol", params["protocol"], "needs a destination: give cidr, destination_group or "
                      "prefix_list_id")
    return [RequestedRule(EgressRule(protocol, from_port, to_port, *destination), owner)
            for destination, owner in destinations]
