# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Who is behind a group: its network interfaces, by the kind of resource that owns each, and the users that have no
interface yet. Pure: no AWS calls.

Every resource that uses a security group in a VPC does so through a network
interface (an instance, a Lambda function, a load balancer node, an interface
endpoint), so ``DescribeNetworkInterfaces`` filtered by ``group-id`` lists them all,
with ``IncludeManagedResources`` those of managed resources too. Some users have no
interface while nothing runs: a launch template (instances yet to be started) and an
ECS service (tasks of its next deployment).
"""

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError
from ansible_collections.netguard.aws.plugins.module_utils.formatting import counted

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


def affected_users(group_id, interfaces, template_versions, services):
    """The result's ``affected_users`` of ``group_id``: the launch templates among ``template_versions``
    (``DescribeLaunchTemplateVersions`` entries) and the ECS services among ``services`` (``DescribeServices``
    entries) that name it, and how many of the ``interfaces`` that use it are managed (``Operator.Managed``)."""
    return {"launch_templates": launch_templates_using(group_id, template_versions),
            "ecs_services": ecs_services_using(group_id, services),
            "managed_interfaces": sum(1 for interface in interfaces if (interface.get("Operator") or {}).get("Managed")
                                      and group_id in [group.get("GroupId") for group in interface.get("Groups") or ()])}


def launch_templates_using(group_id, template_versions):
    """``[{id, name, version}]``: the versions that name ``group_id`` in ``SecurityGroupIds`` or in a network
    interface's ``Groups``, each once (a template's default version is often its latest), by template and version."""
    found = {}
    for version in template_versions:
        data = version.get("LaunchTemplateData") or {}
        named = list(data.get("SecurityGroupIds") or ())
        for interface in data.get("NetworkInterfaces") or ():
            named.extend(interface.get("Groups") or ())
        if group_id in named:
            key = (version.get("LaunchTemplateId"), version.get("VersionNumber"))
            found[key] = {"id": key[0], "name": version.get("LaunchTemplateName"), "version": key[1]}
    return [found[key] for key in sorted(found, key=lambda key: (str(key[0]), key[1] or 0))]


def ecs_services_using(group_id, services):
    """``[{cluster, service}]`` (ARNs): the services whose network configuration names ``group_id``, their own or
    that of one of their deployments or task sets (a deployment in progress still starts tasks with the old one)."""
    found = set()
    for service in services:
        configurations = [service] + list(service.get("deployments") or ()) + list(service.get("taskSets") or ())
        if any(group_id in ((configuration.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {})
               .get("securityGroups", ()) for configuration in configurations):
            found.add((service.get("clusterArn"), service.get("serviceArn")))
    return [{"cluster": cluster, "service": arn} for cluster, arn in sorted(found, key=lambda pair: tuple(map(str, pair)))]


def user_count(affected, users):
    """What uses a group: its interfaces (managed ones among them), launch templates and ECS services."""
    return affected["total"] + len(users["launch_templates"]) + len(users["ecs_services"]) if users else affected["total"]


def diff_note(affected, users=None):
    """What the diff header says of a group's interfaces, and of its launch templates and ECS services if any."""
    parts = [counted(affected["total"], "network interface")]
    if users:
        kinds = (("launch_templates", "launch template"), ("ecs_services", "ECS service"))
        parts += [counted(len(users[key]), noun) for key, noun in kinds if users[key]]
    listed = parts[0] if len(parts) == 1 else "%s and %s" % (", ".join(parts[:-1]), parts[-1])
    return "%s affected" % listed


def _arn_name(arn):
    return str(arn).rsplit("/", 1)[-1]


def refuse_used(affected_by_group, users_by_group=None):
    """Raise, naming the groups and their interfaces, launch templates and ECS services, when any group of
    ``{group_id: affected}`` (and ``{group_id: users}``) is in use."""
    users_by_group = users_by_group or {}
    used = [(group_id, affected, users_by_group.get(group_id)) for group_id, affected in affected_by_group.items()
            if user_count(affected, users_by_group.get(group_id))]
    if not used:
        return
    named = []
    for group_id, affected, users in used:
        interfaces = [example["network_interface_id"] for example in affected["examples"][:NAMED_INTERFACES]]
        more = affected["total"] - len(interfaces)
        parts = [", ".join(interfaces) + (" and %d more" % more if more else "")] if interfaces else []
        if users:
            parts += ["launch template %s (%s) version %s" % (template["id"], template["name"], template["version"])
                      for template in users["launch_templates"]]
            parts += ["ECS service %s of cluster %s" % (_arn_name(service["service"]), _arn_name(service["cluster"]))
                      for service in users["ecs_services"]]
        named.append("%s (%s)" % (group_id, ", ".join(parts)))
    kinds = "network interfaces attached"
    if any(users and (users["launch_templates"] or users["ecs_services"]) for _group_id, _affected, users in used):
        kinds = "users (network interfaces, launch templates, ECS services)"
    raise NetguardAwsError("require_unused: %d of the security groups that would change %s %s: %s; nothing was "
                           "revoked" % (len(used), "has" if len(used) == 1 else "have", kinds, "; ".join(named)),
                           used_groups=[group_id for group_id, _affected, _users in used])
