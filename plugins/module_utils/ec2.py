# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The EC2 clients of a task and the calls it makes: botocore configuration, retries and pacing, paging, errors.

Every botocore exception is turned into a ``NetguardAwsError`` with one line that
says what to fix, chosen by the error's code or botocore's exception class, never
by the text of a message; nothing else in the collection sees botocore errors.
"""

import os
import sys
import threading
from contextlib import contextmanager

from ansible.module_utils.basic import missing_required_lib
from ansible.module_utils.compat.version import LooseVersion

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError, quoted
from ansible_collections.netguard.aws.plugins.module_utils.pacing import THROTTLING_CODES, Pacer

try:
    import botocore
    import botocore.session
    from botocore.config import Config
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        ConnectionError as BotocoreConnectionError,
        NoCredentialsError,
        NoRegionError,
        ProfileNotFound,
        SSLError,
    )
except ImportError:
    HAS_BOTOCORE = False
else:
    HAS_BOTOCORE = True

# The first release whose EC2 model has RevokedSecurityGroupRules in the revoke response.
MINIMUM_SDK_VERSION = "1.35.52"
# Attempts per call, the first included, unless the AWS config file, AWS_MAX_ATTEMPTS or aws_config say otherwise.
DEFAULT_MAX_ATTEMPTS = 5
# botocore's retry mode when the user chose none: it retries throttled calls and limits the client's rate to what
# EC2 lets through.
DEFAULT_RETRY_MODE = "adaptive"
PAGE_SIZE = 1000
# What DescribeRegions says of a region the account can use.
ENABLED_OPT_IN_STATUSES = ("opt-in-not-required", "opted-in")
# DescribeStaleSecurityGroups takes at most 255 results a page.
STALE_PAGE_SIZE = 255
# EC2 refuses more values than this in one filter.
FILTER_VALUES_PER_CALL = 200
# DescribeLaunchTemplateVersions takes at most 200 results a page.
LAUNCH_TEMPLATE_PAGE_SIZE = 200
# The launch template versions an instance would be started from: the template's default and its latest.
LAUNCH_TEMPLATE_VERSIONS = ("$Default", "$Latest")
# ECS's DescribeServices takes at most 10 services a call; ListClusters and ListServices 100 a page.
ECS_SERVICES_PER_CALL = 10
ECS_PAGE_SIZE = 100

# Every EC2 operation Ec2Api calls: a lean model (plugin_utils/lean_model.py) has these alone.
OPERATIONS = ("AuthorizeSecurityGroupEgress", "DescribeFlowLogs", "DescribeLaunchTemplateVersions",
              "DescribeManagedPrefixLists", "DescribeNetworkInterfaces", "DescribeRegions", "DescribeSecurityGroupRules",
              "DescribeSecurityGroups", "DescribeStaleSecurityGroups", "GetManagedPrefixListEntries",
              "RevokeSecurityGroupEgress")
# The calls that change a group: paced by revoke_rate, and never sent once the run stopped.
WRITE_OPERATIONS = ("AuthorizeSecurityGroupEgress", "RevokeSecurityGroupEgress")

_RULE_GONE_CODES = ("InvalidSecurityGroupRuleId.NotFound", "InvalidPermission.NotFound")
_GROUP_GONE_CODES = ("InvalidGroup.NotFound", "InvalidGroupId.NotFound")
# What AWS answers when it refuses a rule of an authorize call (the whole call then adds nothing).
_RULE_REFUSED_CODES = _GROUP_GONE_CODES + ("InvalidPermission.Malformed", "InvalidPrefixListId.NotFound",
                                           "InvalidPrefixListID.NotFound", "InvalidParameterValue",
                                           "InvalidGroupId.Malformed", "VPCIdNotSpecified")
# What AWS answers when a group holds as many rules as its quota lets it; the quota's name, as Service Quotas lists it.
_QUOTA_CODES = {"RulesPerSecurityGroupLimitExceeded": "the group is at the quota 'Inbound or outbound rules per security "
                "group' (Service Quotas, L-0EA8095F): raise it, or make room in the group"}
_ACCESS_DENIED_CODES = ("UnauthorizedOperation", "AccessDenied", "AccessDeniedException")
_BAD_CREDENTIALS_CODES = ("AuthFailure", "InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException")
_EXPIRED_CREDENTIALS_CODES = ("ExpiredToken", "ExpiredTokenException", "RequestExpired")


def sdk_problem():
    """Why botocore cannot be used here, or None. Checked before any other work."""
    if not HAS_BOTOCORE:
        return missing_required_lib("botocore>=%s (install boto3>=%s)" % (MINIMUM_SDK_VERSION, MINIMUM_SDK_VERSION))
    if LooseVersion(botocore.__version__) < LooseVersion(MINIMUM_SDK_VERSION):
        return ("botocore %s on %s is too old: netguard.aws needs botocore>=%s and boto3>=%s, the first "
                "releases whose revoke response reports RevokedSecurityGroupRules"
                % (botocore.__version__, sys.executable, MINIMUM_SDK_VERSION, MINIMUM_SDK_VERSION))
    return None


class Ec2Clients:
    """The EC2 clients of one task, one per region, all from one botocore session. Makes no API call.

    ``connection``: the request's ``Connection``. ``write_rate``: ``revoke_rate``, the pace of each region's writes
    once EC2's burst is spent (EC2 throttles each account-region separately). ``lifeline``: asked before each write
    is sent. ``session``: an unused botocore session to start from (a new one by default).
    """

    def __init__(self, connection, write_rate=None, lifeline=None, session=None):
        self.connection = connection
        self.write_rate = write_rate
        self.lifeline = lifeline
        self._session = session or botocore.session.Session()
        self._apis = {}
        self._lock = threading.Lock()
        with _client_errors(connection):
            if connection.profile is not None:
                self._session.set_config_variable("profile", connection.profile)
            self._config = _client_config(self._session, connection.aws_config, write_rate is not None)
            # The connection's region may come from the environment or the profile: its client knows.
            default = self._new_api(connection.region)
        self.default_region = default.region
        self._apis[default.region] = default

    def api(self, region=None):
        """The ``Ec2Api`` of ``region`` (None: the connection's)."""
        region = region or self.default_region
        with self._lock:
            if region not in self._apis:
                with _client_errors(self.connection):
                    self._apis[region] = self._new_api(region)
            return self._apis[region]

    def _new_api(self, region):
        client = self._client("ec2", region)
        pacer = Pacer(self.write_rate) if self.write_rate is not None else None
        _watch_writes(client, pacer, self.lifeline)
        return Ec2Api(client, lambda: self._ecs_client(client.meta.region_name))

    def _ecs_client(self, region):
        with self._lock, _client_errors(self.connection):
            return self._client("ecs", region)

    def _client(self, service, region):
        """A client of ``service`` with the connection's endpoint, credentials, CA bundle and retries."""
        connection = self.connection
        verify = False if not connection.validate_certs else connection.aws_ca_bundle or None
        return self._session.create_client(
            service, region_name=region, endpoint_url=connection.endpoint_url, verify=verify,
            aws_access_key_id=connection.access_key, aws_secret_access_key=connection.secret_key,
            aws_session_token=connection.session_token, config=self._config)


@contextmanager
def _client_errors(connection):
    try:
        yield
    except ProfileNotFound:
        raise NetguardAwsError("profile %s is not in the AWS config or credentials files" % quoted(connection.profile))
    except NoRegionError:
        raise NetguardAwsError("no AWS region is set: give region, or set AWS_REGION, or a region in the profile")
    except (BotoCoreError, ValueError) as error:
        raise NetguardAwsError("cannot create the EC2 client: %s" % error)


def _client_config(session, aws_config, paced):
    """botocore's ``adaptive`` retry mode unless the user chose one (E(AWS_RETRY_MODE), the profile,
    ``aws_config.retries``; ``legacy`` becomes ``standard``) or a pace (``paced``: ``revoke_rate``, which ``adaptive``'s
    own rate limit would slow down further: ``standard`` then), and ``aws_config`` on top."""
    settings = dict(aws_config or {})
    requested_retries = settings.pop("retries", None) or {}
    retries = {}
    # Not get_config_variable: it answers botocore's default too, which is not the user's choice.
    chosen = bool(os.environ.get("AWS_RETRY_MODE") or session.get_scoped_config().get("retry_mode"))
    if not chosen:
        retries["mode"] = "standard" if paced else DEFAULT_RETRY_MODE
    elif session.get_config_variable("retry_mode") == "legacy":
        retries["mode"] = "standard"
    if session.get_config_variable("max_attempts") is None and "max_attempts" not in requested_retries:
        # botocore's max_attempts counts retries, total_max_attempts also the first call; the user's wins.
        retries["total_max_attempts"] = DEFAULT_MAX_ATTEMPTS
    retries.update(requested_retries)
    try:
        return Config(retries=retries, user_agent_extra="netguard.aws", **settings)
    except TypeError as error:
        raise NetguardAwsError("aws_config %s is not a valid botocore configuration: %s" % (quoted(str(aws_config)), error))


def _watch_writes(client, pacer, lifeline):
    """Make every attempt of a write call of ``client`` wait for ``pacer``'s turn, then ask ``lifeline`` whether it
    may still be sent; report each attempt's outcome to ``pacer``."""
    if pacer is None and lifeline is None:
        return
    service = client.meta.service_model.service_id.hyphenize()
    events = client.meta.events

    def before_send(**_kwargs):
        if pacer is not None:
            pacer.wait()
        if lifeline is not None:
            lifeline.check()

    def after_attempt(response=None, **_kwargs):
        if response is None:
            return
        code = response[1].get("Error", {}).get("Code")
        if code in THROTTLING_CODES:
            pacer.throttled()
        elif code is None:
            pacer.succeeded()

    for operation in WRITE_OPERATIONS:
        events.register("before-send.%s.%s" % (service, operation), before_send)
        if pacer is not None:
            events.register("needs-retry.%s.%s" % (service, operation), after_attempt)


@contextmanager
def aws_errors(action, group_id=None):
    """Turn botocore exceptions raised inside into one-line ``NetguardAwsError``s.

    ``action`` is the IAM action of the call (``ec2:DescribeSecurityGroupRules``).
    """
    on_group = " on %s" % group_id if group_id else ""
    try:
        yield
    except ClientError as error:
        raise _client_error(error, action, on_group)
    except NoCredentialsError:
        raise NetguardAwsError("no AWS credentials found: give access_key and secret_key or profile, or set "
                               "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or AWS_PROFILE")
    except SSLError as error:
        raise NetguardAwsError("TLS verification failed for the EC2 endpoint: set aws_ca_bundle to the CA that "
                               "signed it (%s)" % error)
    except BotocoreConnectionError as error:
        raise NetguardAwsError("cannot reach the EC2 endpoint: %s; check endpoint_url, region and the network" % error)
    except BotoCoreError as error:
        raise NetguardAwsError("%s%s failed: %s" % (action, on_group, error))


def _client_error(error, action, on_group):
    code = error_code(error)
    message = error.response.get("Error", {}).get("Message", "")
    attempts = error.response.get("ResponseMetadata", {}).get("RetryAttempts", 0) + 1
    if code in _ACCESS_DENIED_CODES:
        text = "access denied: %s%s is not allowed; grant %s in the caller's IAM policy (%s: %s)" % (
            action, on_group, action, code, message)
    elif code in _BAD_CREDENTIALS_CODES:
        text = "AWS rejected the credentials (%s: %s): check access_key and secret_key, profile, or the AWS_* " \
               "environment variables" % (code, message)
    elif code in _EXPIRED_CREDENTIALS_CODES:
        text = "the AWS credentials have expired (%s): refresh session_token or the profile's session" % code
    elif code in THROTTLING_CODES:
        text = "AWS kept throttling %s%s (%s) after %d attempts: retry later, or raise " \
               "aws_config.retries.max_attempts" % (action, on_group, code, attempts)
    else:
        text = "%s%s failed: %s: %s" % (action, on_group, code, message)
        if code in _QUOTA_CODES:
            text += "; %s" % _QUOTA_CODES[code]
    return NetguardAwsError(text, error_code=code)


def _dry_run_denied(action, group_id, code, tagged=False):
    grant = action + (" and ec2:CreateTags (the rules are tagged)" if tagged else "")
    return NetguardAwsError("check mode: %s on %s is denied, so the real run would fail; grant %s in the caller's "
                            "IAM policy (%s)" % (action, group_id, grant, code), error_code=code)


def _include_managed(params, **_kwargs):
    params["body"]["IncludeManagedResources"] = "true"


def error_code(error):
    return error.response.get("Error", {}).get("Code", "")


def is_access_denied(error):
    """Whether a ``NetguardAwsError`` is an access denial (an IAM or organisation policy)."""
    return error.details.get("error_code") in _ACCESS_DENIED_CODES


def _groups_text(group_ids):
    if not group_ids:
        return None
    if len(group_ids) > 3:
        return "%d security groups" % len(group_ids)
    return ", ".join(group_ids)


class RulesGone(Exception):
    """A revoke named a rule that no longer exists (removed meanwhile by someone else)."""


class RuleExists(Exception):
    """An authorize named a rule the group already has (added meanwhile by someone else)."""


class RuleRefused(Exception):
    """AWS refused a rule of an authorize call (a referenced group or prefix list that does not exist).

    ``group_gone``: the code says a group does not exist, the referenced one or the group itself.
    """

    def __init__(self, msg, group_gone=False):
        super().__init__(msg)
        self.msg = msg
        self.group_gone = group_gone


class Ec2Api:
    """The EC2 calls of this collection in one region, with paging and error translation; ``make_ecs_client``: makes
    the region's ECS client, when the first ECS call needs it."""

    def __init__(self, client, make_ecs_client=None):
        self.client = client
        self.region = client.meta.region_name
        self._make_ecs_client = make_ecs_client
        self._ecs = None

    def security_group_rules(self, group_ids=None):
        """Every rule (ingress and egress) of the groups, or of the whole region when ``group_ids`` is None.

        As few calls as the API allows: 200 group IDs a call, 1,000 rules a page.
        """
        return self._listed("describe_security_group_rules", "SecurityGroupRules", "ec2:DescribeSecurityGroupRules",
                            [], group_ids)

    def security_groups(self, filters=(), group_ids=None):
        """The groups matching ``DescribeSecurityGroups`` filters (Name/Values dicts) and, if given, IDs; a group ID
        that does not exist is left out, never an error."""
        return self._listed("describe_security_groups", "SecurityGroups", "ec2:DescribeSecurityGroups",
                            list(filters), group_ids)

    def stale_security_groups(self, vpc_ids):
        """The ``StaleSecurityGroupSet`` of these VPCs: their groups with rules to groups that cannot be reached.

        One paginated call per VPC; groups outside a VPC (``None``) have none.
        """
        items = []
        paginator = self.client.get_paginator("describe_stale_security_groups")
        for vpc_id in sorted(set(vpc_id for vpc_id in vpc_ids if vpc_id)):
            with aws_errors("ec2:DescribeStaleSecurityGroups", vpc_id):
                items.extend(paginator.paginate(VpcId=vpc_id, PaginationConfig={"PageSize": STALE_PAGE_SIZE})
                             .build_full_result().get("StaleSecurityGroupSet", []))
        return items

    def network_interfaces(self, group_ids):
        """The network interfaces that use any of the groups, those of managed resources included: 200 groups a call,
        1,000 interfaces a page."""
        return self._listed("describe_network_interfaces", "NetworkInterfaces", "ec2:DescribeNetworkInterfaces",
                            [], group_ids, self._managed_included("DescribeNetworkInterfaces"))

    def launch_template_versions(self):
        """The default and the latest version of every launch template of the region, managed ones included, in one
        paginated call (200 versions a page): what an instance started from a template would use."""
        paginator = self.client.get_paginator("describe_launch_template_versions")
        with aws_errors("ec2:DescribeLaunchTemplateVersions"):
            return paginator.paginate(Versions=list(LAUNCH_TEMPLATE_VERSIONS),
                                      PaginationConfig={"PageSize": LAUNCH_TEMPLATE_PAGE_SIZE},
                                      **self._managed_included("DescribeLaunchTemplateVersions")) \
                .build_full_result().get("LaunchTemplateVersions", [])

    def ecs_services(self):
        """Every ECS service of the region, as ``DescribeServices`` gives it: its clusters (``ListClusters``), their
        services (``ListServices``, per cluster), described 10 a call."""
        client = self.ecs_client
        services = []
        with aws_errors("ecs:ListClusters"):
            clusters = client.get_paginator("list_clusters").paginate(
                PaginationConfig={"PageSize": ECS_PAGE_SIZE}).build_full_result().get("clusterArns", [])
        for cluster in clusters:
            with aws_errors("ecs:ListServices", cluster):
                arns = client.get_paginator("list_services").paginate(
                    cluster=cluster, PaginationConfig={"PageSize": ECS_PAGE_SIZE}).build_full_result().get(
                    "serviceArns", [])
            for start in range(0, len(arns), ECS_SERVICES_PER_CALL):
                with aws_errors("ecs:DescribeServices", cluster):
                    services.extend(client.describe_services(
                        cluster=cluster, services=arns[start:start + ECS_SERVICES_PER_CALL]).get("services", []))
        return services

    def _managed_included(self, operation):
        """The arguments that make ``operation`` return the resources AWS services manage too, which an account can
        hide (``ModifyManagedResourceVisibility``). A botocore whose model predates ``IncludeManagedResources`` cannot
        take it as an argument: it then goes into the request as EC2 reads it."""
        if "IncludeManagedResources" in self.client.meta.service_model.operation_model(operation).input_shape.members:
            return {"IncludeManagedResources": True}
        self.client.meta.events.register_first("before-call.ec2.%s" % operation, _include_managed,
                                               unique_id="netguard-include-managed-%s" % operation)
        return {}

    @property
    def ecs_client(self):
        """The region's ECS client, made on first use."""
        if self._ecs is None:
            self._ecs = self._make_ecs_client()
        return self._ecs

    def flow_logs(self, resource_ids):
        """The flow logs of these interfaces, subnets and VPCs: 200 resources a call, 1,000 flow logs a page."""
        resource_ids = sorted(set(resource_ids))
        items = []
        paginator = self.client.get_paginator("describe_flow_logs")
        for start in range(0, len(resource_ids), FILTER_VALUES_PER_CALL):
            chunk = resource_ids[start:start + FILTER_VALUES_PER_CALL]
            with aws_errors("ec2:DescribeFlowLogs"):
                items.extend(paginator.paginate(Filter=[{"Name": "resource-id", "Values": chunk}],
                                                PaginationConfig={"PageSize": PAGE_SIZE})
                             .build_full_result().get("FlowLogs", []))
        return items

    def managed_prefix_lists(self):
        """Every managed prefix list the account sees in the region (AWS-managed, its own, shared with it)."""
        paginator = self.client.get_paginator("describe_managed_prefix_lists")
        with aws_errors("ec2:DescribeManagedPrefixLists"):
            return paginator.paginate(PaginationConfig={"PageSize": 100}).build_full_result().get("PrefixLists", [])

    def prefix_list_entries(self, prefix_list_id):
        """The CIDR blocks of a managed prefix list (its current version)."""
        paginator = self.client.get_paginator("get_managed_prefix_list_entries")
        with aws_errors("ec2:GetManagedPrefixListEntries", prefix_list_id):
            entries = paginator.paginate(PrefixListId=prefix_list_id, PaginationConfig={"PageSize": 100}) \
                .build_full_result().get("Entries", [])
        return [entry["Cidr"] for entry in entries if entry.get("Cidr")]

    def enabled_regions(self):
        """The regions this account can use, as ``DescribeRegions`` lists them in the client's region."""
        with aws_errors("ec2:DescribeRegions"):
            regions = self.client.describe_regions()["Regions"]
        return sorted(region["RegionName"] for region in regions
                      if region.get("OptInStatus", "opt-in-not-required") in ENABLED_OPT_IN_STATUSES)

    def _listed(self, operation, result_key, action, filters, group_ids, arguments=None):
        if group_ids is None:
            filter_sets = [filters]
        else:
            group_ids = list(group_ids)
            filter_sets = [filters + [{"Name": "group-id", "Values": group_ids[start:start + FILTER_VALUES_PER_CALL]}]
                           for start in range(0, len(group_ids), FILTER_VALUES_PER_CALL)]
        items = []
        paginator = self.client.get_paginator(operation)
        for filter_set in filter_sets:
            call = dict(arguments or {}, PaginationConfig={"PageSize": PAGE_SIZE})
            if filter_set:
                call["Filters"] = filter_set
            with aws_errors(action, _groups_text(group_ids)):
                items.extend(paginator.paginate(**call).build_full_result().get(result_key, []))
        return items

    def revoke_egress(self, group_id, rule_ids, dry_run=False):
        """Revoke the rules by ID; return the response (``{}`` for a permitted dry run).

        Raises ``RulesGone`` when any of the rules no longer exists: AWS then
        revokes none of them.
        """
        action = "ec2:RevokeSecurityGroupEgress"
        with aws_errors(action, group_id):
            try:
                return self.client.revoke_security_group_egress(
                    GroupId=group_id, SecurityGroupRuleIds=list(rule_ids), DryRun=dry_run)
            except ClientError as error:
                code = error_code(error)
                if code == "DryRunOperation":
                    return {}
                if code in _RULE_GONE_CODES:
                    raise RulesGone(code)
                if dry_run and code in _ACCESS_DENIED_CODES:
                    raise _dry_run_denied(action, group_id, code)
                raise

    def authorize_egress(self, group_id, permissions, tags, dry_run=False):
        """Add egress rules (``IpPermissions``), each tagged with ``tags``; return the new rules as AWS describes
        them (none for a permitted dry run).

        Raises ``RuleExists`` when the group has one of them already and ``RuleRefused`` when AWS refuses one:
        either way AWS adds none of them.
        """
        action = "ec2:AuthorizeSecurityGroupEgress"
        arguments = {"GroupId": group_id, "IpPermissions": permissions, "DryRun": dry_run}
        if tags:
            arguments["TagSpecifications"] = [{"ResourceType": "security-group-rule", "Tags": [
                {"Key": key, "Value": value} for key, value in sorted(tags.items())]}]
        with aws_errors(action, group_id):
            try:
                return self.client.authorize_security_group_egress(**arguments).get("SecurityGroupRules", [])
            except ClientError as error:
                code = error_code(error)
                if code == "DryRunOperation":
                    return []
                if code == "InvalidPermission.Duplicate":
                    raise RuleExists(code)
                if code in _RULE_REFUSED_CODES:
                    raise RuleRefused("%s: %s" % (code, error.response.get("Error", {}).get("Message", "")),
                                      group_gone=code in _GROUP_GONE_CODES)
                if dry_run and code in _ACCESS_DENIED_CODES:
                    raise _dry_run_denied(action, group_id, code, bool(tags))
                raise
