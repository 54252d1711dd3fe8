# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Who is behind a group: its network interfaces, by the kind of resource that owns each. Pure: no AWS calls.

Every resource that uses a security group in a VPC does so through a network
interface (an instance, a Lambda function, a load balancer node, an interface
endpoint), so ``DescribeNetworkInterfaces`` filtered by ``group-id`` lists them all.
"""

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError

TYPES = ("instance", "lambda", "load_balancer", "vpc_endpoint", "other")
EXAMPLES = 20
# How many interfaces the require_unused refusal names, per group.
NAMED_INTERFACES = 5

# InterfaceType, for the interfaces AWS creates for a service.
_SERVICE_TYPES = {
    "lambda": "lambda",
    "load_balancer": "load_balancer",
    "network_load_balancer": "load_balancer",
    "gateway_load_balancer": "load_balancer",
    "vpc_endpoint": "vpc_endpoint",
    "gateway_load_balancer_endpoint": "vpc_endpoint",
}
# Application and classic load balancers and older Lambda interfaces have InterfaceType "interface":
# their requester and description say whose they are.
_DESCRIPTION_PREFIXES = (("ELB ", "load_balancer"), ("AWS Lambda VPC ENI", "lambda"),
                         ("VPC Endpoint Interface", "vpc_endpoint"))
_REQUESTERS = (("amazon-elb", "load_balancer"), ("awslambda", "lambda"))


def interface_type(interface):
    """One of ``TYPES`` for a ``DescribeNetworkInterfaces`` entry."""
    kind = _SERVICE_TYPES.get(interface.get("InterfaceType"))
    if kind:
        return kind
    requester = (interface.get("RequesterId") or "").lower()
    for marker, kind in _REQUESTERS:
        if marker in requester:
            return kind
    description = interface.get("Description") or ""
    for prefix, kind in _DESCRIPTION_PREFIXES:
        if description.startswith(prefix):
            return kind
    if (interface.get("Attachment") or {}).get("InstanceId"):
        return "instance"
    return "other"


def affected_interfaces(group_id, interfaces):
    """The result's ``affected_interfaces`` of ``group_id``: the interfaces among ``interfaces`` that use it."""
    used = [interface for interface in interfaces
            if any(group.get("GroupId") == group_id for group in interface.get("Groups") or ())]
    by_type = dict((kind, 0) for kind in TYPES)
    examples = []
    for interface in used:
        kind = interface_type(interface)
        by_type[kind] += 1
        if len(examples) < EXAMPLES:
            examples.append({"network_interface_id": interface.get("NetworkInterfaceId"), "type": kind,
                             "instance_id": (interface.get("Attachment") or {}).get("InstanceId"),
                             "description": interface.get("Description")})
    return {"total": len(used), "by_type": by_type, "examples": examples}


def diff_note(affected):
    """What the diff header says of a group's interfaces."""
    total = affected["total"]
    return "%d network interface%s affected" % (total, "" if total == 1 else "s")


def refuse_used(affected_by_group):
    """Raise, naming the groups and their interfaces, when any group of ``{group_id: affected}`` is in use."""
    used = [(group_id, affected) for group_id, affected in affected_by_group.items() if affected["total"]]
    if not used:
        return
    named = []
    for group_id, affected in used:
        interfaces = [example["network_interface_id"] for example in affected["examples"][:NAMED_INTERFACES]]
        more = affected["total"] - len(interfaces)
        named.append("%s (%s%s)" % (group_id, ", ".join(interfaces), " and %d more" % more if more else ""))
    raise NetguardAwsError("require_unused: %d of the security groups that would change %s network interfaces "
                           "attached: %s; nothing was revoked"
                           % (len(used), "has" if len(used) == 1 else "have", "; ".join(named)),
                           used_groups=[group_id for group_id, _affected in used])
