"""A VPC whose interfaces sent flows, and its flow logs, for the traffic tests on moto (in-process or moto_server)."""

from .flow_logs import flow, log_format, no_data, object_key, parquet_object, record, text_object
from .traffic_reference import RefInterface, Reference

BUCKET = "flow-logs"
GROUP_NAME = "flow-logs"
ROLE = "arn:aws:iam::123456789012:role/flow-logs"


class Estate:
    """A VPC with a web group (an allow-all rule, HTTPS to a CIDR, PostgreSQL to the db group, HTTPS to a prefix
    list, ICMP echo), a db group, and three interfaces: a (web), b (web and db), c (db)."""

    def __init__(self, ec2, s3, logs):
        self.ec2, self.s3, self.logs = ec2, s3, logs
        self.region = ec2.meta.region_name
        self.vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        self.subnet = ec2.create_subnet(VpcId=self.vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
        self.web = ec2.create_security_group(GroupName="web", Description="web", VpcId=self.vpc)["GroupId"]
        self.db = ec2.create_security_group(GroupName="db", Description="db", VpcId=self.vpc)["GroupId"]
        prefix_list = ec2.create_managed_prefix_list(PrefixListName="s3", MaxEntries=2, AddressFamily="IPv4",
                                                     Entries=[{"Cidr": "54.231.0.0/17"}])["PrefixList"]
        self.prefix_list = prefix_list["PrefixListId"]
        ec2.authorize_security_group_egress(GroupId=self.web, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "52.94.0.0/16"}]},
            {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": self.db}]},
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "PrefixListIds": [{"PrefixListId": self.prefix_list}]},
            {"IpProtocol": "icmp", "FromPort": 8, "ToPort": -1, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
        ])
        self.rules = {}
        for rule in ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [self.web]}])[
                "SecurityGroupRules"]:
            if rule["IsEgress"]:
                destination = rule.get("CidrIpv4") or rule.get("CidrIpv6") or rule.get("PrefixListId") or \
                    rule.get("ReferencedGroupInfo", {}).get("GroupId")
                self.rules["%s %s %s" % (rule["IpProtocol"], rule["FromPort"], destination)] = \
                    rule["SecurityGroupRuleId"]
        self.enis = {}
        for name, address, groups in (("a", "10.0.1.10", [self.web]), ("b", "10.0.1.11", [self.web, self.db]),
                                      ("c", "10.0.1.20", [self.db])):
            self.enis[name] = ec2.create_network_interface(SubnetId=self.subnet, Groups=groups,
                                                           PrivateIpAddress=address)["NetworkInterface"][
                "NetworkInterfaceId"]
        self.account = ec2.describe_security_groups(GroupIds=[self.web])["SecurityGroups"][0]["OwnerId"]
        self.s3.create_bucket(Bucket=BUCKET)

    def rule(self, label):
        return self.rules[label.replace("ALL", self.web).replace("DB", self.db).replace("PL", self.prefix_list)]

    def flow_log_to_s3(self, **options):
        flow_log_id = self.ec2.create_flow_logs(
            ResourceIds=[self.vpc], ResourceType="VPC", TrafficType=options.pop("traffic_type", "ALL"),
            LogDestinationType="s3", LogDestination="arn:aws:s3:::" + BUCKET, **options)["FlowLogIds"][0]
        return flow_log_id

    def flow_log_to_group(self, fields, resource=None):
        self.logs.create_log_group(logGroupName=GROUP_NAME)
        return self.ec2.create_flow_logs(
            ResourceIds=[resource or self.vpc], ResourceType="NetworkInterface" if resource else "VPC",
            TrafficType="ALL", LogDestinationType="cloud-watch-logs", LogGroupName=GROUP_NAME,
            DeliverLogsPermissionArn=ROLE, LogFormat=log_format(fields))["FlowLogIds"][0]

    def window(self):
        """A window that starts after every flow log was created (moto creates them now) and lasts an hour."""
        created = max(entry["CreationTime"].timestamp() for entry in self.ec2.describe_flow_logs()["FlowLogs"])
        since = (int(created) // 60 + 2) * 60
        return since, since + 3600

    def put_s3(self, flow_log_id, fields, records, written, prefix="", hive=False, per_hour=False, parquet=False):
        key = object_key(prefix, self.region, flow_log_id, written, hive=hive, per_hour=per_hour, parquet=parquet,
                         account=self.account)
        body = parquet_object(fields, records) if parquet else text_object(fields, records)
        self.s3.put_object(Bucket=BUCKET, Key=key, Body=body)

    def reference(self, fields, records, since, until, incomplete=()):
        """The plain reference model of the estate as it is now, with ``records`` logged in ``fields``."""
        entries = self.ec2.describe_network_interfaces()["NetworkInterfaces"]
        interfaces = dict((entry["NetworkInterfaceId"], RefInterface(
            entry["NetworkInterfaceId"], set(one["PrivateIpAddress"] for one in entry["PrivateIpAddresses"]),
            [group["GroupId"] for group in entry["Groups"]], entry.get("OwnerId"))) for entry in entries)
        rules = [rule for rule in self.ec2.describe_security_group_rules()["SecurityGroupRules"] if rule["IsEgress"]]
        group_addresses = {}
        for interface in interfaces.values():
            for group_id in interface.group_ids:
                group_addresses.setdefault(group_id, set()).update(interface.addresses)
        prefix_lists = {self.prefix_list: [entry["Cidr"] for entry in self.ec2.get_managed_prefix_list_entries(
            PrefixListId=self.prefix_list)["Entries"]]}
        logged = [dict((field, str(values.get(field.replace("-", "_"), "-"))) for field in fields)
                  for values in records]
        return Reference(interfaces, rules, group_addresses, prefix_lists, logged, since, until, incomplete)

    def put_events(self, fields, records):
        by_stream = {}
        for values in records:
            by_stream.setdefault(values["interface_id"] + "-all", []).append(values)
        for stream, values in by_stream.items():
            self.logs.create_log_stream(logGroupName=GROUP_NAME, logStreamName=stream)
            self.logs.put_log_events(logGroupName=GROUP_NAME, logStreamName=stream, logEvents=[
                {"timestamp": one["start"] * 1000, "message": record(fields, **one)}
                for one in sorted(values, key=lambda one: one["start"])])


def busy_records(estate, start):
    """a: HTTPS out to 52.94.1.1 (with the reverse record on its ephemeral port), HTTPS to S3 through the prefix
    list, PostgreSQL to c, NTP to 1.1.1.1 (which only the allow-all rule allows); SSH in from 203.0.113.9 and its
    reply; a rejected SMTP attempt. b: DNS to 8.8.8.8 (which the allow-all rules of both its groups allow).
    c: nothing (NODATA)."""
    a, b, c = estate.enis["a"], estate.enis["b"], estate.enis["c"]
    return [
        flow(a, "10.0.1.10", "52.94.1.1", 40001, 443, start, packets=20, size=4000),
        flow(a, "52.94.1.1", "10.0.1.10", 443, 40001, start, packets=18, size=9000),
        flow(a, "10.0.1.10", "52.94.1.1", 40002, 443, start + 600, packets=5, size=500),
        flow(a, "10.0.1.10", "54.231.5.5", 40003, 443, start + 60, packets=7, size=700),
        flow(a, "10.0.1.10", "10.0.1.20", 40004, 5432, start + 120, packets=9, size=900),
        flow(a, "203.0.113.9", "10.0.1.10", 50000, 22, start + 180, packets=30, size=3000),
        flow(a, "10.0.1.10", "203.0.113.9", 22, 50000, start + 180, packets=28, size=6000),
        flow(a, "10.0.1.10", "198.51.100.7", 40005, 25, start + 240, packets=3, size=180, action="REJECT"),
        flow(b, "10.0.1.11", "8.8.8.8", 40006, 53, start + 300, protocol=17, packets=2, size=120),
        flow(a, "10.0.1.10", "1.1.1.1", 40007, 123, start + 360, protocol=17, packets=2, size=152),
        no_data(c, start),
    ]
