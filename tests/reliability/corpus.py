"""Hostile and malformed task arguments, each with what its error message must name.

Every case is (name, module, arguments as YAML text, substrings of the failure message). The YAML
is put into a playbook as written, so that YAML's own typing (``080``, ``1e3``, ``yes``, ``null``)
reaches the module as it would from a user's playbook. Each case must fail before any API call.
"""

REVOKE = "netguard.aws.ec2_security_group_egress_revoke"
INFO = "netguard.aws.ec2_security_group_egress_info"
GROUP = "group_id: sg-0123456789abcdef0\n"
LONG = "x" * 5000

CASES = [
    # CIDRs, IPv4
    ("cidr prefix too long", REVOKE, GROUP + "protocol: tcp\nport: 443\ncidr: 10.0.0.0/33", ["cidr '10.0.0.0/33'"]),
    ("cidr octet too big", REVOKE, GROUP + "protocol: tcp\nport: 443\ncidr: 300.0.0.0/8", ["cidr '300.0.0.0/8'"]),
    ("cidr without prefix", REVOKE, GROUP + "protocol: tcp\nport: 443\ncidr: 10.0.0.1", ["cidr '10.0.0.1'"]),
    ("cidr negative prefix", REVOKE, GROUP + "protocol: tcp\nport: 443\ncidr: 10.0.0.0/-1", ["cidr '10.0.0.0/-1'"]),
    ("cidr word", REVOKE, GROUP + "protocol: tcp\nport: 443\ncidr: anywhere", ["cidr 'anywhere'"]),
    ("cidr leading zero octet", REVOKE, GROUP + "protocol: tcp\nport: 443\ncidr: 010.0.0.0/8", ["cidr '010.0.0.0/8'"]),
    ("cidr with spaces", REVOKE, GROUP + "protocol: tcp\nport: 443\ncidr: ' 10.0.0.0/8'", ["cidr ' 10.0.0.0/8'"]),
    ("cidr second of list bad", REVOKE, GROUP + "protocol: tcp\nport: 443\ncidr: [10.0.0.0/8, 10.0.0.0/99]",
     ["cidr[1] '10.0.0.0/99'"]),
    ("cidr comma list bad", REVOKE, GROUP + "protocol: all\ncidr: '0.0.0.0/0,bogus'", ["cidr[1] 'bogus'"]),
    ("cidr null in list", REVOKE, GROUP + "protocol: tcp\ncidr: [null]", ["cidr None"]),
    ("cidr integer", REVOKE, GROUP + "protocol: tcp\ncidr: [10]", ["cidr 10"]),
    ("cidr empty string", REVOKE, GROUP + "protocol: tcp\ncidr: ['']", ["cidr ''"]),
    ("ip_ranges IPv6 value", REVOKE, GROUP + "ip_permissions:\n  - ip_protocol: tcp\n    from_port: 22\n    to_port: 22\n"
     "    ip_ranges: [{cidr_ip: '::/0'}]", ["ip_permissions[0].ip_ranges[0].cidr_ip '::/0'"]),
    ("IpRanges mask form bad", REVOKE, GROUP + "ip_permissions:\n  - IpProtocol: tcp\n    FromPort: 22\n    ToPort: 22\n"
     "    IpRanges: [{CidrIp: 10.0.0.0/255.0.255.0}]", ["ip_permissions[0].ip_ranges[0].cidr_ip '10.0.0.0/255.0.255.0'"]),
    # CIDRs, IPv6
    ("ipv6 prefix too long", REVOKE, GROUP + "protocol: tcp\ncidr: '2001:db8::/129'", ["cidr '2001:db8::/129'"]),
    ("ipv6 two double colons", REVOKE, GROUP + "protocol: tcp\ncidr: '2001::db8::/32'", ["cidr '2001::db8::/32'"]),
    ("ipv6 bad hex", REVOKE, GROUP + "protocol: tcp\ncidr: '2001:zz8::/32'", ["cidr '2001:zz8::/32'"]),
    ("ipv6 scope id", REVOKE, GROUP + "protocol: tcp\ncidr: 'fe80::1%eth0/64'", ["cidr 'fe80::1%eth0/64'"]),
    ("ipv6 ranges IPv4 value", REVOKE, GROUP + "ip_permissions:\n  - IpProtocol: '-1'\n    Ipv6Ranges: [{CidrIpv6: 10.0.0.0/8}]",
     ["ip_permissions[0].ipv6_ranges[0].cidr_ipv6 '10.0.0.0/8'"]),
    ("ipv6 without prefix", REVOKE, GROUP + "protocol: tcp\ncidr: '2001:db8::1'", ["cidr '2001:db8::1'"]),
    # ports
    ("port above 65535", REVOKE, GROUP + "protocol: tcp\nport: 65536\ncidr: 10.0.0.0/8", ["port 65536", "out of range"]),
    ("port range above 65535", REVOKE, GROUP + "protocol: udp\nport: 1-70000\ncidr: 10.0.0.0/8", ["port '1-70000'"]),
    ("port reversed", REVOKE, GROUP + "protocol: tcp\nport: 443-80\ncidr: 10.0.0.0/8", ["port '443-80'", "reversed"]),
    ("port negative", REVOKE, GROUP + "protocol: tcp\nport: -5\ncidr: 10.0.0.0/8", ["port -5"]),
    ("port with protocol all", REVOKE, GROUP + "protocol: all\nport: 443\ncidr: 0.0.0.0/0", ["port 443", "protocol all"]),
    ("port range with protocol -1", REVOKE, GROUP + "protocol: '-1'\nport: 0-65535\ncidr: 0.0.0.0/0",
     ["port '0-65535'", "protocol all"]),
    ("port with numbered protocol", REVOKE, GROUP + "protocol: 50\nport: 500\ncidr: 10.0.0.0/8", ["port 500", "protocol 50"]),
    ("port leading zero (YAML 080)", REVOKE, GROUP + "protocol: tcp\nport: 080\ncidr: 10.0.0.0/8", ["port '080'"]),
    ("port exponent (YAML 1e3)", REVOKE, GROUP + "protocol: tcp\nport: 1e3\ncidr: 10.0.0.0/8", ["port '1e3'"]),
    ("port float", REVOKE, GROUP + "protocol: tcp\nport: 443.0\ncidr: 10.0.0.0/8", ["port 443.0"]),
    ("port boolean (YAML yes)", REVOKE, GROUP + "protocol: tcp\nport: yes\ncidr: 10.0.0.0/8", ["port True"]),
    ("port list", REVOKE, GROUP + "protocol: tcp\nport: [80, 443]\ncidr: 10.0.0.0/8", ["port [80, 443]"]),
    ("port word", REVOKE, GROUP + "protocol: tcp\nport: https\ncidr: 10.0.0.0/8", ["port 'https'"]),
    ("port comma list", REVOKE, GROUP + "protocol: tcp\nport: '80,443'\ncidr: 10.0.0.0/8", ["port '80,443'"]),
    ("port with spaces", REVOKE, GROUP + "protocol: tcp\nport: '80 - 90'\ncidr: 10.0.0.0/8", ["port '80 - 90'"]),
    ("port unicode digits", REVOKE, GROUP + "protocol: tcp\nport: '４４３'\ncidr: 10.0.0.0/8", ["port '４４３'"]),
    ("port without protocol", REVOKE, GROUP + "port: 443\ncidr: 10.0.0.0/8", ["port", "protocol"]),
    ("from_port without to_port", REVOKE, GROUP + "ip_permissions:\n  - ip_protocol: tcp\n    from_port: 22\n"
     "    ip_ranges: [{cidr_ip: 10.0.0.0/8}]", ["from_port", "to_port"]),
    ("from_port above to_port", REVOKE, GROUP + "ip_permissions:\n  - ip_protocol: tcp\n    from_port: 443\n    to_port: 80\n"
     "    ip_ranges: [{cidr_ip: 10.0.0.0/8}]", ["ip_permissions[0].from_port/to_port '443-80'"]),
    ("from_port word", REVOKE, GROUP + "ip_permissions:\n  - IpProtocol: tcp\n    FromPort: ssh\n    ToPort: 22\n"
     "    IpRanges: [{CidrIp: 10.0.0.0/8}]", ["from_port", "'ssh'"]),
    ("from_port boolean", REVOKE, GROUP + "ip_permissions:\n  - ip_protocol: tcp\n    from_port: true\n    to_port: 22\n"
     "    ip_ranges: [{cidr_ip: 10.0.0.0/8}]", ["ip_permissions[0].from_port/to_port True"]),
    ("ports with protocol all in ip_permissions", REVOKE, GROUP + "ip_permissions:\n  - ip_protocol: all\n    from_port: 22\n"
     "    to_port: 22\n    ip_ranges: [{cidr_ip: 0.0.0.0/0}]", ["ip_permissions[0].from_port/to_port '22-22'", "protocol all"]),
    # ICMP
    ("icmp code without type", REVOKE, GROUP + "ip_permissions:\n  - ip_protocol: icmp\n    from_port: -1\n    to_port: 3\n"
     "    ip_ranges: [{cidr_ip: 10.0.0.0/8}]", ["ip_permissions[0].from_port/to_port '-1-3'", "code without a type"]),
    ("icmp shorthand code without type", REVOKE, GROUP + "protocol: icmp\nport: '-1-3'\ncidr: 10.0.0.0/8", ["port '-1-3'"]),
    ("icmp type above 255", REVOKE, GROUP + "protocol: icmp\nport: 256\ncidr: 10.0.0.0/8", ["port 256"]),
    ("icmp code above 255", REVOKE, GROUP + "protocol: icmpv6\nport: 128-300\ncidr: '::/0'", ["port '128-300'"]),
    # protocols
    ("protocol unknown name", REVOKE, GROUP + "protocol: gre\ncidr: 10.0.0.0/8", ["protocol 'gre'"]),
    ("protocol number above 255", REVOKE, GROUP + "protocol: 256\ncidr: 10.0.0.0/8", ["protocol 256"]),
    ("protocol negative", REVOKE, GROUP + "protocol: -2\ncidr: 10.0.0.0/8", ["protocol -2"]),
    ("protocol boolean (YAML yes)", REVOKE, GROUP + "protocol: yes\ncidr: 10.0.0.0/8", ["protocol True"]),
    ("protocol float", REVOKE, GROUP + "protocol: 6.0\ncidr: 10.0.0.0/8", ["protocol 6.0"]),
    ("protocol list", REVOKE, GROUP + "protocol: [tcp]\ncidr: 10.0.0.0/8", ["protocol ['tcp']"]),
    ("protocol leading zero", REVOKE, GROUP + "protocol: '06'\ncidr: 10.0.0.0/8", ["protocol '06'"]),
    ("protocol unicode", REVOKE, GROUP + "protocol: 'ｔｃｐ'\ncidr: 10.0.0.0/8", ["protocol 'ｔｃｐ'"]),
    ("ip_protocol unknown", REVOKE, GROUP + "ip_permissions:\n  - IpProtocol: sctp\n    IpRanges: [{CidrIp: 10.0.0.0/8}]",
     ["ip_permissions[0].ip_protocol 'sctp'"]),
    ("protocol without destination", REVOKE, GROUP + "protocol: tcp\nport: 22", ["protocol 'tcp'", "needs a destination"]),
    # IDs
    ("group_id short", REVOKE, "group_id: sg-123\nrevoke_all: true", ["group_id 'sg-123'"]),
    ("group_id upper case", REVOKE, "group_id: sg-0123456789ABCDEF0\nrevoke_all: true", ["group_id 'sg-0123456789ABCDEF0'"]),
    ("group_id wrong prefix", REVOKE, "group_id: sgr-0123456789abcdef0\nrevoke_all: true", ["group_id 'sgr-0123456789abcdef0'"]),
    ("group_id 9 hex digits", REVOKE, "group_id: sg-0123456789\nrevoke_all: true", ["group_id 'sg-0123456789'"]),
    ("group_id integer", REVOKE, "group_id: 12345678\nrevoke_all: true", ["group_id '12345678'"]),
    ("group_id trailing space", REVOKE, "group_id: 'sg-0123abcd '\nrevoke_all: true", ["group_id 'sg-0123abcd '"]),
    ("rule id malformed", REVOKE, GROUP + "rule_ids: [sgr-xyz]", ["security_group_rule_ids[0] 'sgr-xyz'"]),
    ("rule id of a group", REVOKE, GROUP + "rule_ids: [sg-0123456789abcdef0]", ["security_group_rule_ids[0] 'sg-0123456789abcdef0'"]),
    ("rule id null", REVOKE, GROUP + "rule_ids: [null]", ["security_group_rule_ids[0] None"]),
    ("rule id second bad", REVOKE, GROUP + "rule_ids: [sgr-0123456789abcdef0, sgr-1]", ["security_group_rule_ids[1] 'sgr-1'"]),
    ("prefix list malformed", REVOKE, GROUP + "protocol: tcp\nprefix_list_id: pl-xyz", ["prefix_list_id 'pl-xyz'"]),
    ("prefix list in ip_permissions malformed", REVOKE, GROUP + "ip_permissions:\n  - IpProtocol: tcp\n    FromPort: 1\n"
     "    ToPort: 1\n    PrefixListIds: [{PrefixListId: pl-1}]", ["ip_permissions[0].prefix_list_ids[0].prefix_list_id 'pl-1'"]),
    ("vpc_id malformed", REVOKE, "group_name: web\nvpc_id: vpc-1\nrevoke_all: true", ["vpc_id 'vpc-1'"]),
    ("destination group bad sg id", REVOKE, GROUP + "protocol: tcp\ndestination_group: sg-nothex", ["destination_group 'sg-nothex'"]),
    ("group owner not an account", REVOKE, GROUP + "protocol: tcp\nsource_group: sg-0aaaaaaaaaaaaaaaa\ngroup_owner: '12345'",
     ["group_owner '12345'"]),
    ("user_id not an account", REVOKE, GROUP + "ip_permissions:\n  - IpProtocol: tcp\n    FromPort: 1\n    ToPort: 1\n"
     "    UserIdGroupPairs: [{GroupId: sg-0aaaaaaaaaaaaaaaa, UserId: abc}]", ["ip_permissions[0].user_id_group_pairs[0].user_id 'abc'"]),
    # names, unicode and very long strings
    ("group name unicode", REVOKE, "group_name: 'wéb'\nrevoke_all: true", ["group_name 'wéb'"]),
    ("group name too long", REVOKE, "group_name: '%s'\nrevoke_all: true" % LONG, ["group_name 'xxxxxxxx", "(5000 characters)"]),
    ("group name empty", REVOKE, "group_name: ''\nrevoke_all: true", ["group_name ''"]),
    ("group name starting sg-", REVOKE, "group_name: sg-web\nrevoke_all: true", ["group_name 'sg-web'"]),
    ("destination group name unicode", REVOKE, GROUP + "protocol: tcp\ndestination_group: 'データベース'",
     ["destination_group 'データベース'"]),
    ("cidr very long", REVOKE, GROUP + "protocol: tcp\ncidr: '%s'" % LONG, ["cidr 'xxxxxxxx", "(5000 characters)"]),
    ("cidr unicode digits", REVOKE, GROUP + "protocol: tcp\ncidr: '１０.0.0.0/8'", ["cidr '１０.0.0.0/8'"]),
    ("protocol very long", REVOKE, GROUP + "protocol: '%s'\ncidr: 10.0.0.0/8" % LONG, ["protocol 'xxxxxxxx", "(5000 characters)"]),
    # exclusive and missing options
    ("group_id with group_name", REVOKE, GROUP + "group_name: web\nrevoke_all: true", ["group_id", "group_name", "mutually exclusive"]),
    ("revoke_all with rule ids", REVOKE, GROUP + "revoke_all: true\nrule_ids: [sgr-0123456789abcdef0]",
     ["revoke_all", "security_group_rule_ids", "mutually exclusive"]),
    ("revoke_all with shorthand", REVOKE, GROUP + "revoke_all: true\nprotocol: tcp\ncidr: 10.0.0.0/8",
     ["revoke_all", "protocol", "mutually exclusive"]),
    ("ip_permissions with shorthand", REVOKE, GROUP + "protocol: tcp\nip_permissions:\n  - IpProtocol: tcp\n"
     "    IpRanges: [{CidrIp: 10.0.0.0/8}]", ["ip_permissions", "protocol", "mutually exclusive"]),
    ("no group", REVOKE, "revoke_all: true", ["group_id", "group_name", "filters"]),
    ("no rule selector", REVOKE, GROUP.strip(), ["security_group_rule_ids", "revoke_all"]),
    ("revoke_all false alone", REVOKE, GROUP + "revoke_all: false", ["revoke_all is false"]),
    ("revoke_all not a boolean", REVOKE, GROUP + "revoke_all: maybe", ["revoke_all", "'maybe'"]),
    ("vpc_id with group_id", REVOKE, GROUP + "vpc_id: vpc-0123456789abcdef0\nrevoke_all: true", ["vpc_id", "group_name"]),
    ("group owner without destination group", REVOKE, GROUP + "protocol: tcp\ncidr: 10.0.0.0/8\ngroup_owner: '123456789012'",
     ["group_owner", "destination_group"]),
    ("unknown option", REVOKE, GROUP + "revoke_all: true\nprotcol: tcp", ["protcol"]),
    ("unknown key in ip_permissions", REVOKE, GROUP + "ip_permissions:\n  - IpProtocol: tcp\n    CidrIp: 10.0.0.0/8",
     ["CidrIp", "ip_permissions"]),
    ("ip_permission without destination", REVOKE, GROUP + "ip_permissions:\n  - IpProtocol: tcp\n    FromPort: 22\n"
     "    ToPort: 22\n    IpRanges: []", ["ip_permissions[0] has no destination"]),
    ("ip_permission without protocol", REVOKE, GROUP + "ip_permissions:\n  - FromPort: 22\n    ToPort: 22\n"
     "    IpRanges: [{CidrIp: 10.0.0.0/8}]", ["ip_protocol", "ip_permissions"]),
    ("group pair without group", REVOKE, GROUP + "ip_permissions:\n  - IpProtocol: tcp\n    FromPort: 1\n    ToPort: 1\n"
     "    UserIdGroupPairs: [{UserId: '123456789012'}]", ["group_id", "group_name", "user_id_group_pairs"]),
    # empty lists
    ("empty rule ids", REVOKE, GROUP + "rule_ids: []", ["security_group_rule_ids is empty"]),
    ("empty ip_permissions", REVOKE, GROUP + "ip_permissions: []", ["ip_permissions is empty"]),
    ("empty cidr list", REVOKE, GROUP + "protocol: tcp\ncidr: []", ["cidr is empty"]),
    # bulk
    ("bulk filters empty", REVOKE, "filters: {}\nprotocol: all\ncidr: 0.0.0.0/0", ["filters is empty"]),
    ("bulk filters a list", REVOKE, "filters: [vpc-0123456789abcdef0]\nprotocol: all\ncidr: 0.0.0.0/0",
     ["filters ['vpc-0123456789abcdef0']"]),
    ("bulk filters a word", REVOKE, "filters: everything\nprotocol: all\ncidr: 0.0.0.0/0", ["filters 'everything'"]),
    ("bulk filters null value", REVOKE, "filters: {vpc-id: null}\nprotocol: all\ncidr: 0.0.0.0/0", ["filters['vpc-id'] None"]),
    ("bulk filters empty values", REVOKE, "filters: {vpc-id: []}\nprotocol: all\ncidr: 0.0.0.0/0", ["filters['vpc-id'] is empty"]),
    ("bulk with rule ids", REVOKE, "filters: {vpc-id: vpc-0123456789abcdef0}\nrule_ids: [sgr-0123456789abcdef0]",
     ["filters", "security_group_rule_ids", "mutually exclusive"]),
    ("bulk revoke_all unconfirmed", REVOKE, "filters: {vpc-id: vpc-0123456789abcdef0}\nrevoke_all: true",
     ["revoke_all with filters", "allow_bulk_revoke_all"]),
    ("bulk concurrency zero", REVOKE, "filters: {vpc-id: vpc-0123456789abcdef0}\nprotocol: all\ncidr: 0.0.0.0/0\nconcurrency: 0",
     ["concurrency 0"]),
    ("bulk concurrency huge", REVOKE, "filters: {vpc-id: vpc-0123456789abcdef0}\nprotocol: all\ncidr: 0.0.0.0/0\nconcurrency: 1000",
     ["concurrency 1000"]),
    ("guard negative", REVOKE, GROUP + "revoke_all: true\nmax_revoked_rules: -1", ["max_revoked_rules -1"]),
    ("guard not a number", REVOKE, GROUP + "revoke_all: true\nmax_revoked_rules: lots", ["max_revoked_rules", "'lots'"]),
    # the info module
    ("info group id malformed", INFO, "group_id: [sg-1]", ["group_id[0] 'sg-1'"]),
    ("info port without protocol", INFO, "port: 443", ["port", "protocol"]),
    ("info bad cidr", INFO, "cidr: 0.0.0.0/40", ["cidr '0.0.0.0/40'"]),
    ("info filters a word", INFO, "filters: everything", ["filters 'everything'"]),
    ("info selectors together", INFO, "group_id: [sg-0123456789abcdef0]\ngroup_name: web", ["group_id", "group_name", "mutually exclusive"]),
    ("info protocol unknown", INFO, "protocol: ftp", ["protocol 'ftp'"]),
]
