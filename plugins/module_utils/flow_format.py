# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""VPC Flow Logs record formats: the fields AWS defines, the default format, and what the traffic analysis needs.

Pure and standard library only, so that a reader process can import it alone.
A format is written as AWS writes ``LogFormat`` (``${version} ${account-id} ...``);
S3 text files start with a header line of the same field names, separated by spaces.
"""

import re

DEFAULT_FORMAT = ("${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} "
                  "${packets} ${bytes} ${start} ${end} ${action} ${log-status}")

# Every field of versions 2 to 8 of the record, as the VPC user guide lists them.
KNOWN_FIELDS = frozenset((
    "version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets",
    "bytes", "start", "end", "action", "log-status", "vpc-id", "subnet-id", "instance-id", "tcp-flags", "type",
    "pkt-srcaddr", "pkt-dstaddr", "region", "az-id", "sublocation-type", "sublocation-id", "pkt-src-aws-service",
    "pkt-dst-aws-service", "flow-direction", "traffic-path", "ecs-cluster-arn", "ecs-cluster-name",
    "ecs-container-instance-arn", "ecs-container-instance-id", "ecs-container-id", "ecs-second-container-id",
    "ecs-service-name", "ecs-task-definition-arn", "ecs-task-arn", "ecs-task-id", "reject-reason",
    "resource-id", "encryption-status",
))

# What the analysis cannot do without: whose record it is, which way and to where, what was done, and when
# (``start``/``end`` place it in the window; ``log-status`` tells a skipped interval from a quiet one).
REQUIRED_FIELDS = ("interface-id", "srcaddr", "dstaddr", "dstport", "protocol", "action", "start", "end",
                   "log-status")
# Used where logged: ports of the other side and direction decide who started a connection; counts are reported.
OPTIONAL_FIELDS = ("srcport", "packets", "bytes", "flow-direction", "tcp-flags")
# The order in which a reader hands fields to the tally (flow_tally.py).
TALLY_FIELDS = ("interface-id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets", "bytes", "start",
                "end", "action", "log-status", "flow-direction", "tcp-flags")

_FIELD = re.compile(r"^\$\{([a-z0-9-]+)\}$")


class FormatError(ValueError):
    """A format that is not one AWS writes: ``reason`` completes ``<option> '<format>' <reason>``."""


def format_fields(text):
    """The field names of a ``LogFormat`` (``${a} ${b}``), in order; raises ``FormatError``."""
    if not isinstance(text, str) or not text.split():
        raise FormatError("is not a flow log format: give fields as AWS writes them, such as '%s'" % DEFAULT_FORMAT)
    fields = []
    for word in text.split():
        found = _FIELD.match(word)
        if not found:
            raise FormatError("has %s, which is not a field: write each field as ${name}, such as ${dstport}" % word)
        if found.group(1) not in KNOWN_FIELDS:
            raise FormatError("has the field %s, which VPC Flow Logs does not define" % word)
        if found.group(1) in fields:
            raise FormatError("names the field %s twice" % word)
        fields.append(found.group(1))
    return tuple(fields)


def header_fields(line):
    """The fields of an S3 text file's header line (``version account-id ...``), or None if it is a record."""
    words = line.split()
    if not words or not all(word in KNOWN_FIELDS for word in words) or len(set(words)) != len(words):
        return None
    return tuple(words)


def missing_fields(fields):
    """The fields of ``REQUIRED_FIELDS`` that ``fields`` lacks, in that order."""
    return tuple(field for field in REQUIRED_FIELDS if field not in fields)


def describe_missing(missing):
    return "lacks %s, which the traffic analysis needs" % ", ".join("${%s}" % field for field in missing)
