# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The EC2 client: connection options, botocore session and retries, API calls and their errors.

Every botocore exception is turned into a ``NetguardAwsError`` with one line
that says what to fix; nothing else in the collection sees botocore errors.
"""

import os
import sys
from contextlib import contextmanager

from ansible.module_utils.basic import env_fallback, missing_required_lib
from ansible.module_utils.compat.version import LooseVersion

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError, quoted
from ansible_collections.netguard.aws.plugins.module_utils.pacing import THROTTLING_CODES, Pacer, pace_revokes

try:
    import botocore
    import botocore.loaders
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
PAGE_SIZE = 1000
# What DescribeRegions says of a region the account can use.
ENABLED_OPT_IN_STATUSES = ("opt-in-not-required", "opted-in")
# DescribeStaleSecurityGroups takes at most 255 results a page.
STALE_PAGE_SIZE = 255
# EC2 refuses more values than this in one filter.
FILTER_VALUES_PER_CALL = 200

# Every EC2 operation Ec2Api calls: the clients of ``lean_loader`` have these alone.
OPERATIONS = ("AuthorizeSecurityGroupEgress", "DescribeNetworkInterfaces", "DescribeRegions",
              "DescribeSecurityGroupRules", "DescribeSecurityGroups", "DescribeStaleSecurityGroups",
              "RevokeSecurityGroupEgress")

_RULE_GONE_CODES = ("InvalidSecurityGroupRuleId.NotFound", "InvalidPermission.NotFound")
_GROUP_GONE_CODES = ("InvalidGroup.NotFound", "InvalidGroupId.NotFound")
# What AWS answers when it refuses a rule of an authorize call (the whole call then adds nothing).
_RULE_REFUSED_CODES = _GROUP_GONE_CODES + ("InvalidPermission.Malformed", "InvalidPrefixListId.NotFound",
                                           "InvalidPrefixListID.NotFound", "InvalidParameterValue",
                                           "InvalidGroupId.Malformed", "VPCIdNotSpecified")
_ACCESS_DENIED_CODES = ("UnauthorizedOperation", "AccessDenied", "AccessDeniedException")
_BAD_CREDENTIALS_CODES = ("AuthFailure", "InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException")
_EXPIRED_CREDENTIALS_CODES = ("ExpiredToken", "ExpiredTokenException", "RequestExpired")


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


CONNECTION_REQUIRED_TOGETHER = [["access_key", "secret_key"]]


def sdk_problem():
    """Why botocore cannot be used here, or None. Checked before any other work."""
    if not HAS_BOTOCORE:
        return missing_required_lib("botocore>=%s (install boto3>=%s)" % (MINIMUM_SDK_VERSION, MINIMUM_SDK_VERSION))
    if LooseVersion(botocore.__version__) < LooseVersion(MINIMUM_SDK_VERSION):
        return ("botocore %s on %s is too old: netguard.aws needs botocore>=%s and boto3>=%s, the first "
                "releases whose revoke response reports RevokedSecurityGroupRules"
                % (botocore.__version__, sys.executable, MINIMUM_SDK_VERSION, MINIMUM_SDK_VERSION))
    return None


def lean_loader():
    """A botocore data loader whose EC2 model has only ``OPERATIONS`` and their shapes, to share between clients.

    botocore gives a client class a method for each operation of the model (over 800 for EC2) on every
    client it creates, and the whole model (some 4,000 shapes) stays in memory, in the controller and in
    each worker forked from it. With five operations, a client costs a fraction of that. The rest (shapes
    of these operations, paginators, endpoint rules) is botocore's own, read once and cached by the loader.
    """

    class LeanFileLoader(botocore.loaders.JSONFileLoader):
        def load_file(self, file_path):
            data = super().load_file(file_path)
            parts = os.path.normpath(file_path).split(os.sep)
            if data is None or parts[-1] != "service-2" or len(parts) < 3 or parts[-3] != "ec2":
                return data
            return lean_model(data, OPERATIONS)

    return botocore.loaders.Loader(file_loader=LeanFileLoader())


def lean_model(model, operations):
    """``model`` (a botocore service model) with only ``operations`` and the shapes they use."""
    kept = dict((name, model["operations"][name]) for name in operations)
    pending = [reference["shape"] for operation in kept.values()
               for reference in [operation.get("input"), operation.get("output")] + operation.get("errors", [])
               if reference]
    shapes = {}
    while pending:
        name = pending.pop()
        if name in shapes:
            continue
        shape = shapes[name] = model["shapes"][name]
        pending.extend(shape[key]["shape"] for key in ("member", "key", "value") if key in shape)
        pending.extend(member["shape"] for member in shape.get("members", {}).values())
    return dict(model, operations=kept, shapes=shapes)


def new_session(params, loader=None):
    """A botocore session for ``params``' profile; ``loader``: a data loader to share (see ``lean_loader``)."""
    session = botocore.session.Session()
    if loader is not None:
        session.register_component("data_loader", loader)
    return session


def ec2_client(params, session):
    """The EC2 client of the connection's region. Makes no API call."""
    return ec2_clients(params, [params.get("region")], session)[params.get("region")]


def ec2_clients(params, regions, session):
    """``{region: client}``: one EC2 client per region, from ``session`` (unused, or used for these ``params``
    only, since it keeps what it reads). Makes no API call.

    Each client paces its revokes with a ``Pacer`` of its own (EC2 throttles each account-region
    separately): at ``revoke_rate`` when given; otherwise adapting to throttling, unless the user chose
    a retry mode, which then paces alone.
    """
    try:
        if params.get("profile") is not None:
            session.set_config_variable("profile", params["profile"])
        config, retry_mode_chosen = _client_config(session, params.get("aws_config"))
        if not params.get("validate_certs", True):
            verify = False
        else:
            verify = params.get("aws_ca_bundle") or None
        clients = {}
        for region in regions:
            clients[region] = session.create_client(
                "ec2",
                region_name=region,
                endpoint_url=params.get("endpoint_url"),
                verify=verify,
                aws_access_key_id=params.get("access_key"),
                aws_secret_access_key=params.get("secret_key"),
                aws_session_token=params.get("session_token"),
                config=config,
            )
            if params.get("revoke_rate") is not None or not retry_mode_chosen:
                pace_revokes(clients[region], Pacer(params.get("revoke_rate")))
        return clients
    except ProfileNotFound:
        raise NetguardAwsError("profile %s is not in the AWS config or credentials files" % quoted(params["profile"]))
    except NoRegionError:
        raise NetguardAwsError("no AWS region is set: give region, or set AWS_REGION, or a region in the profile")
    except ValueError as error:
        if "endpoint" in str(error).lower():
            raise NetguardAwsError("endpoint_url %s is not a valid URL" % quoted(params.get("endpoint_url")))
        raise NetguardAwsError("cannot create the EC2 client: %s" % error)


def _client_config(session, aws_config):
    """``(config, whether the user chose a retry mode)``: botocore's standard retry mode unless configured
    otherwise (AWS_RETRY_MODE, the profile, ``aws_config.retries``), then ``aws_config`` on top."""
    retries = {}
    if session.get_config_variable("retry_mode") == "legacy":
        retries["mode"] = "standard"
    # Not get_config_variable: it answers botocore's default too, which is not the user's choice.
    retry_mode_chosen = bool(os.environ.get("AWS_RETRY_MODE") or session.get_scoped_config().get("retry_mode"))
    if session.get_config_variable("max_attempts") is None:
        retries["total_max_attempts"] = DEFAULT_MAX_ATTEMPTS
    settings = dict(aws_config or {})
    requested_retries = settings.pop("retries", None) or {}
    if "max_attempts" in requested_retries:
        # botocore's max_attempts counts retries, total_max_attempts also the first call; the user's wins.
        retries.pop("total_max_attempts", None)
    retries.update(requested_retries)
    retry_mode_chosen = retry_mode_chosen or "mode" in requested_retries
    try:
        return Config(retries=retries, user_agent_extra="netguard.aws", **settings), retry_mode_chosen
    except TypeError as error:
        raise NetguardAwsError("aws_config %s is not a valid botocore configuration: %s" % (quoted(str(aws_config)), error))


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
    return NetguardAwsError(text, error_code=code)


def _dry_run_denied(action, group_id, code):
    return NetguardAwsError("check mode: %s on %s is denied, so the real run would fail; grant %s in the caller's "
                            "IAM policy (%s)" % (action, group_id, action, code), error_code=code)


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
    """AWS refused a rule of an authorize call (a referenced group or prefix list that does not exist)."""

    def __init__(self, msg):
        super().__init__(msg)
        self.msg = msg


class Ec2Api:
    """The EC2 calls this collection makes, with paging and error translation."""

    def __init__(self, client):
        self.client = client

    def security_group_rules(self, group_ids=None):
        """Every rule (ingress and egress) of the groups, or of the whole region when ``group_ids`` is None.

        As few calls as the API allows: 200 group IDs a call, 1,000 rules a page.
        """
        return self._paginated("describe_security_group_rules", "SecurityGroupRules",
                               "ec2:DescribeSecurityGroupRules", [], group_ids)

    def security_groups(self, filters=(), group_ids=None):
        """The groups matching ``DescribeSecurityGroups`` filters (Name/Values dicts) and, if given, IDs."""
        return self._paginated("describe_security_groups", "SecurityGroups", "ec2:DescribeSecurityGroups",
                               list(filters), group_ids)

    def stale_security_groups(self, vpc_ids):
        """The ``StaleSecurityGroupSet`` of these VPCs: their groups with rules to groups that cannot be reached.

        One paginated call per VPC; groups outside a VPC (``None``) have none.
        """
        items = []
        paginator = self.client.get_paginator("describe_stale_security_groups")
        for vpc_id in sorted(set(vpc_id for vpc_id in vpc_ids if vpc_id)):
            with aws_errors("ec2:DescribeStaleSecurityGroups", vpc_id):
                for page in paginator.paginate(VpcId=vpc_id, PaginationConfig={"PageSize": STALE_PAGE_SIZE}):
                    items.extend(page.get("StaleSecurityGroupSet", []))
        return items

    def network_interfaces(self, group_ids):
        """The network interfaces that use any of the groups: 200 groups a call, 1,000 interfaces a page."""
        return self._paginated("describe_network_interfaces", "NetworkInterfaces", "ec2:DescribeNetworkInterfaces",
                               [], group_ids)

    def enabled_regions(self):
        """The regions this account can use, as ``DescribeRegions`` lists them in the client's region."""
        with aws_errors("ec2:DescribeRegions"):
            regions = self.client.describe_regions()["Regions"]
        return sorted(region["RegionName"] for region in regions
                      if region.get("OptInStatus", "opt-in-not-required") in ENABLED_OPT_IN_STATUSES)

    def _paginated(self, operation, result_key, action, filters, group_ids):
        if group_ids is None:
            filter_sets = [filters]
        else:
            group_ids = list(group_ids)
            filter_sets = [filters + [{"Name": "group-id", "Values": group_ids[start:start + FILTER_VALUES_PER_CALL]}]
                           for start in range(0, len(group_ids), FILTER_VALUES_PER_CALL)]
        items = []
        paginator = self.client.get_paginator(operation)
        for filter_set in filter_sets:
            arguments = {"PaginationConfig": {"PageSize": PAGE_SIZE}}
            if filter_set:
                arguments["Filters"] = filter_set
            with aws_errors(action, _groups_text(group_ids)):
                for page in paginator.paginate(**arguments):
                    items.extend(page.get(result_key, []))
        return items

    def group_exists(self, group_id):
        with aws_errors("ec2:DescribeSecurityGroups", group_id):
            try:
                self.client.describe_security_groups(GroupIds=[group_id])
            except ClientError as error:
                if error_code(error) in _GROUP_GONE_CODES:
                    return False
                raise
        return True

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
                    raise RuleRefused("%s: %s" % (code, error.response.get("Error", {}).get("Message", "")))
                if dry_run and code in _ACCESS_DENIED_CODES:
                    raise _dry_run_denied(action, group_id, code)
                raise
