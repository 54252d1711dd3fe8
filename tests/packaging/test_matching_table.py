"""docs/matching.md's table of examples, judged by the code: each rule of the table against each predicate of its
columns."""

import os
import re

import yaml

from ansible_collections.netguard.aws.plugins.module_utils.selector import passes

from ..unit.plugins.module_utils.described import api_rule, described
from ..unit.plugins.module_utils.test_policy_predicates import CORE_GROUP, CORP_LIST, FACTS, S3_LIST, predicate

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# The rules of the table, by the text of its first column. The prefix lists are those of FACTS.
TABLE_RULES = {
    "`all -> 0.0.0.0/0`": api_rule("sgr-1", "-1", -1, -1, CidrIpv4="0.0.0.0/0"),
    "`all -> ::/0`": api_rule("sgr-2", "-1", -1, -1, CidrIpv6="::/0"),
    "`tcp 443 -> 0.0.0.0/0`": api_rule("sgr-3", "tcp", 443, 443, CidrIpv4="0.0.0.0/0"),
    "`tcp -1/-1 -> 10.1.0.0/16` (every port)": api_rule("sgr-4", "tcp", -1, -1, CidrIpv4="10.1.0.0/16"),
    "`tcp 25 -> 8.8.8.8/32`": api_rule("sgr-5", "tcp", 25, 25, CidrIpv4="8.8.8.8/32"),
    "`udp 1000-2000 -> 10.2.3.0/24`": api_rule("sgr-6", "udp", 1000, 2000, CidrIpv4="10.2.3.0/24"),
    "`icmp 8 -> 0.0.0.0/0`": api_rule("sgr-7", "icmp", 8, -1, CidrIpv4="0.0.0.0/0"),
    "`tcp 80 -> 2001:db8::/32`": api_rule("sgr-8", "tcp", 80, 80, CidrIpv6="2001:db8::/32"),
    "`tcp 5432 -> sg-...`": api_rule("sgr-9", "tcp", 5432, 5432,
                                     ReferencedGroupInfo={"GroupId": CORE_GROUP, "UserId": "123456789012"}),
    "`tcp 443 -> pl-...` (`com.amazonaws.us-east-1.s3`: 52.216.0.0/15, 3.5.0.0/19)": api_rule(
        "sgr-10", "tcp", 443, 443, PrefixListId=S3_LIST),
    "`udp 53 -> pl-...` (`corp-resolvers`: 10.0.0.0/16, 10.5.0.0/24)": api_rule(
        "sgr-11", "udp", 53, 53, PrefixListId=CORP_LIST),
}


def matching_table():
    with open(os.path.join(ROOT, "docs", "matching.md")) as handle:
        text = handle.read()
    lines = text.split("Examples, against these egress rules:", 1)[1].strip().splitlines()
    rows = []
    for line in lines:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows[0], rows[2:]


def test_the_table_of_examples_in_docs_matching_is_what_the_code_does():
    header, rows = matching_table()
    columns = [yaml.safe_load(re.sub(r"^`|`$", "", title)) for title in header[1:]]
    for name in ("ports_within", "public", "wider_than", "prefix_list_name", "allows_port"):
        assert any(name in column for column in columns), "the table has a column for %s" % name
    assert sorted(row[0] for row in rows) == sorted(TABLE_RULES), "every rule of the table is known here, and only those"
    for row in rows:
        item = described(TABLE_RULES[row[0]])[0]
        for column, cell in zip(columns, row[1:]):
            assert cell in ("yes", ""), (row[0], column, cell)
            assert passes(item, predicate(column), FACTS) is (cell == "yes"), (row[0], column)
