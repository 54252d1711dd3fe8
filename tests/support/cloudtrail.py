"""CloudTrail records of the EC2 calls that add egress rules, and EventBridge's envelope around them, built in the
shape CloudTrail writes them; no boto3, no endpoint.

Where each shape comes from:

- ``AuthorizeSecurityGroupEgress`` / ``AuthorizeSecurityGroupIngress``: the record of an
  ``AuthorizeSecurityGroupIngress`` call from CloudTrail's event history quoted whole in a public write-up of AWS
  Academy's "monitoring with CloudTrail and EventBridge" lab (eventVersion 1.10): ``requestParameters.ipPermissions.items`` with ``groups``,
  ``ipRanges.items``, ``ipv6Ranges`` and ``prefixListIds``; ``responseElements`` with ``requestId``, ``_return`` and
  ``securityGroupRuleSet.items`` (``groupOwnerId``, ``groupId``, ``securityGroupRuleId``, ``isEgress``,
  ``ipProtocol``, ``fromPort``, ``toPort``, ``cidrIpv4``, ``securityGroupRuleArn``); cloud-custodian issue 6920
  shows the same rule set, and ``-1`` ports for an all-protocols rule. The egress call's record has the same shape
  (``isEgress: true``).
- ``ModifySecurityGroupRules``: wazuh issue 17814's record, and the public queries and tests that read it
  (``requestParameters.ModifySecurityGroupRulesRequest.SecurityGroupRule.SecurityGroupRule.ToPort``):
  the request is nested, ``requestParameters.ModifySecurityGroupRulesRequest`` with ``GroupId`` and
  ``SecurityGroupRule``, itself ``{SecurityGroupRuleId, tag, SecurityGroupRule: {IpProtocol, FromPort, ToPort,
  CidrIpv4, ...}}``; ``tag`` is the member's index in the query request (``SecurityGroupRules.1``). A call that
  modifies one rule is recorded with that single dict; a call that modifies several, as a list of such members (as
  CloudTrail records other repeated members of EC2's query requests), so a reader must accept both.
  The response is nested too, ``ModifySecurityGroupRulesResponse`` with ``xmlns``, ``requestId`` and ``return``.
- ``CreateSecurityGroup``: records quoted in public detection-rule test data and CloudTrail tutorials:
  ``requestParameters`` ``{groupName, groupDescription, vpcId}``, ``responseElements`` ``{requestId, _return,
  groupId}``. The group's default allow-all egress rules are not in the record.
- ``AssociateVpcCidrBlock``: no public record was found; the shape follows the EC2 API reference's request
  (``VpcId``, ``AmazonProvidedIpv6CidrBlock`` / ``CidrBlock``) and response (``requestId``, ``vpcId``,
  ``ipv6CidrBlockAssociation`` or ``cidrBlockAssociation``, each with ``associationId``, the block and its state)
  in the lower camel case CloudTrail gives EC2's query parameters, as in the records above.
- A failed call: CloudTrail's record contents reference, ``errorCode`` and ``errorMessage`` present and
  ``responseElements`` null; EC2 codes are prefixed ``Client.``.
- EventBridge's envelope: EventBridge's "AWS API Call via CloudTrail" events (the record under ``detail``;
  ``version`` "0", ``id``, ``detail-type``, ``source`` "aws.ec2", ``account``, ``time``, ``region``, ``resources``
  empty), as in the EventBridge user guide's CloudTrail example and the events quoted in remediation write-ups.
"""

import copy
import itertools
import uuid

ACCOUNT = "123456789012"
REGION = "us-east-1"
EVENT_TIME = "2026-12-05T23:10:00Z"
EC2_XMLNS = "http://ec2.amazonaws.com/doc/2016-11-15/"
DETAIL_TYPE = "AWS API Call via CloudTrail"
_ids = itertools.count(1)


def rule(rule_id, protocol="-1", ports=None, cidr="0.0.0.0/0", description=None):
    """A created rule as the builders take it: its ID, protocol, (from, to) ports and destination CIDR."""
    return {"rule_id": rule_id, "protocol": str(protocol), "ports": ports, "cidr": cidr, "description": description}


def _ports(spec):
    if spec["ports"] is None:
        return (-1, -1) if spec["protocol"] in ("-1", "all") else (0, 65535)
    return tuple(spec["ports"])


def _user_identity(account):
    return {
        "type": "AssumedRole",
        "principalId": "AROAEXAMPLEROLEID:operator",
        "arn": "arn:aws:sts::%s:assumed-role/Operator/operator" % account,
        "accountId": account,
        "accessKeyId": "ASIAEXAMPLEKEYID",
        "sessionContext": {
            "sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLEROLEID",
                              "arn": "arn:aws:iam::%s:role/Operator" % account, "accountId": account,
                              "userName": "Operator"},
            "attributes": {"creationDate": "2026-12-05T22:00:00Z", "mfaAuthenticated": "false"},
        },
    }


def _record(name, request_parameters, response_elements, account, region, event_id, error_code=None,
            error_message=None):
    request_id = str(uuid.uuid4())
    record = {
        "eventVersion": "1.10",
        "userIdentity": _user_identity(account),
        "eventTime": EVENT_TIME,
        "eventSource": "ec2.amazonaws.com",
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "aws-cli/2.22.0 md/Botocore#1.35.0 ua/2.0 os/linux#6.1 md/arch#x86_64 lang/python#3.12.6",
    }
    if error_code:
        record.update(errorCode=error_code, errorMessage=error_message or "The request failed.")
    record.update({
        "requestParameters": request_parameters,
        "responseElements": None if error_code else response_elements,
        "requestID": request_id,
        "eventID": event_id or str(uuid.uuid4()),
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
        "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                       "clientProvidedHostHeader": "ec2.%s.amazonaws.com" % region},
    })
    if not error_code and isinstance(response_elements, dict) and "requestId" in response_elements:
        response_elements["requestId"] = request_id
    return record


def _ip_permission(spec):
    """A rule as the request's ``ipPermissions.items`` has it."""
    from_port, to_port = _ports(spec)
    permission = {"ipProtocol": spec["protocol"]}
    if spec["protocol"] not in ("-1", "all"):
        permission.update(fromPort=from_port, toPort=to_port)
    ranges = [dict({"cidrIpv6" if ":" in spec["cidr"] else "cidrIp": spec["cidr"]},
                   **({"description": spec["description"]} if spec["description"] else {}))]
    permission.update({
        "groups": {},
        "ipRanges": {} if ":" in spec["cidr"] else {"items": ranges},
        "ipv6Ranges": {"items": ranges} if ":" in spec["cidr"] else {},
        "prefixListIds": {},
    })
    return permission


def _rule_set_item(spec, group_id, account, region, egress):
    """A created rule as ``responseElements.securityGroupRuleSet.items`` has it."""
    from_port, to_port = _ports(spec)
    item = {"groupOwnerId": account, "groupId": group_id, "securityGroupRuleId": spec["rule_id"], "isEgress": egress,
            "ipProtocol": spec["protocol"], "fromPort": from_port, "toPort": to_port,
            "cidrIpv6" if ":" in spec["cidr"] else "cidrIpv4": spec["cidr"]}
    if spec["description"]:
        item["description"] = spec["description"]
    item["securityGroupRuleArn"] = "arn:aws:ec2:%s:%s:security-group-rule/%s" % (region, account, spec["rule_id"])
    return item


def _authorize(name, egress, group_id, rules, account, region, event_id, error_code):
    request = {"groupId": group_id, "ipPermissions": {"items": [_ip_permission(spec) for spec in rules]}}
    response = {"requestId": None, "_return": True,
                "securityGroupRuleSet": {"items": [_rule_set_item(spec, group_id, account, region, egress)
                                                   for spec in rules]}}
    return _record(name, request, response, account, region, event_id, error_code,
                   "the specified rule already exists" if error_code else None)


def authorize_security_group_egress(group_id, rules, account=ACCOUNT, region=REGION, event_id=None, error_code=None):
    """An ``AuthorizeSecurityGroupEgress`` record that created ``rules`` (see ``rule``) on ``group_id``; with
    ``error_code`` (for example ``Client.InvalidPermission.Duplicate``), the record of the call that failed."""
    return _authorize("AuthorizeSecurityGroupEgress", True, group_id, rules, account, region, event_id, error_code)


def authorize_security_group_ingress(group_id, rules, account=ACCOUNT, region=REGION, event_id=None, error_code=None):
    """The ingress twin: the same shape, ``isEgress: false``."""
    return _authorize("AuthorizeSecurityGroupIngress", False, group_id, rules, account, region, event_id, error_code)


def _modified_member(spec, tag):
    from_port, to_port = _ports(spec)
    request = {"IpProtocol": spec["protocol"], "FromPort": from_port, "ToPort": to_port,
               "CidrIpv6" if ":" in spec["cidr"] else "CidrIpv4": spec["cidr"]}
    if spec["description"]:
        request["Description"] = spec["description"]
    return {"SecurityGroupRuleId": spec["rule_id"], "tag": tag, "SecurityGroupRule": request}


def modify_security_group_rules(group_id, rules, account=ACCOUNT, region=REGION, event_id=None, error_code=None):
    """A ``ModifySecurityGroupRules`` record that set ``rules`` (their new protocol, ports and CIDR, by rule ID):
    ``SecurityGroupRule`` is a dict for one rule and a list for several, as CloudTrail writes it."""
    members = [_modified_member(spec, tag) for tag, spec in enumerate(rules, 1)]
    request = {"ModifySecurityGroupRulesRequest": {
        "GroupId": group_id, "SecurityGroupRule": members[0] if len(members) == 1 else members}}
    response = {"ModifySecurityGroupRulesResponse": {"xmlns": EC2_XMLNS, "requestId": None, "return": True}}
    record = _record("ModifySecurityGroupRules", request, response, account, region, event_id, error_code,
                     "The security group rule ID does not exist" if error_code else None)
    if not error_code:
        response["ModifySecurityGroupRulesResponse"]["requestId"] = record["requestID"]
    return record


def create_security_group(group_id, vpc_id, name, account=ACCOUNT, region=REGION, event_id=None, error_code=None):
    """A ``CreateSecurityGroup`` record; the group's default allow-all egress rules are not in it."""
    request = {"groupName": name, "groupDescription": "%s security group" % name, "vpcId": vpc_id}
    response = {"requestId": None, "_return": True, "groupId": group_id}
    return _record("CreateSecurityGroup", request, response, account, region, event_id, error_code,
                   "The security group already exists" if error_code else None)


def associate_vpc_cidr_block(vpc_id, ipv6=True, account=ACCOUNT, region=REGION, event_id=None, error_code=None,
                             association_id=None):
    """An ``AssociateVpcCidrBlock`` record: an Amazon-provided IPv6 block, or (``ipv6=False``) an IPv4 block."""
    association_id = association_id or "vpc-cidr-assoc-%017x" % next(_ids)
    if ipv6:
        request = {"vpcId": vpc_id, "amazonProvidedIpv6CidrBlock": True}
        association = {"ipv6CidrBlockAssociation": {
            "associationId": association_id, "ipv6CidrBlock": "", "ipv6CidrBlockState": {"state": "associating"},
            "ipv6Pool": "Amazon", "networkBorderGroup": region}}
    else:
        request = {"vpcId": vpc_id, "cidrBlock": "10.1.0.0/16"}
        association = {"cidrBlockAssociation": {
            "associationId": association_id, "cidrBlock": "10.1.0.0/16", "cidrBlockState": {"state": "associating"}}}
    response = dict({"requestId": None, "vpcId": vpc_id}, **association)
    return _record("AssociateVpcCidrBlock", request, response, account, region, event_id, error_code,
                   "The CIDR block range is not valid" if error_code else None)


def failed(record, error_code="Client.UnauthorizedOperation", error_message="You are not authorized to perform this "
           "operation."):
    """``record`` as CloudTrail writes the same call when it failed: ``errorCode``/``errorMessage``, no response."""
    result = copy.deepcopy(record)
    result.update(errorCode=error_code, errorMessage=error_message, responseElements=None)
    return result


def run_instances(account=ACCOUNT, region=REGION):
    """An unrelated EC2 call, for the event pattern's negative cases."""
    request = {"instancesSet": {"items": [{"imageId": "ami-0abcdef1234567890", "minCount": 1, "maxCount": 1}]},
               "instanceType": "t3.micro"}
    response = {"requestId": None, "reservationId": "r-0123456789abcdef0", "ownerId": account,
                "instancesSet": {"items": [{"instanceId": "i-0123456789abcdef0"}]}}
    return _record("RunInstances", request, response, account, region, None)


def eventbridge(record, event_id=None, source="aws.ec2"):
    """``record`` as EventBridge delivers it: the envelope of an "AWS API Call via CloudTrail" event."""
    return {
        "version": "0",
        "id": event_id or str(uuid.uuid4()),
        "detail-type": DETAIL_TYPE,
        "source": source,
        "account": record["recipientAccountId"],
        "time": record["eventTime"],
        "region": record["awsRegion"],
        "resources": [],
        "detail": record,
    }
