"""The flow tally on records as AWS writes them (the VPC user guide's flow log record examples), and its worker
processes: the same answer whichever process tallied what."""

import gzip
import json
import os
import random
import subprocess
import sys
import threading
import zipfile
import zlib

import pytest

from ansible_collections.netguard.aws.plugins.module_utils import flow_workers
from ansible_collections.netguard.aws.plugins.module_utils.flow_format import DEFAULT_FORMAT, format_fields
from ansible_collections.netguard.aws.plugins.module_utils.flow_tally import Flow, FlowTally, decompressed
from ansible_collections.netguard.aws.plugins.module_utils.flow_workers import FlowWorkerError, tally_gzip_objects

DEFAULT = format_fields(DEFAULT_FORMAT)
ENI = "eni-1235b8ca123456789"
SINCE, UNTIL = 1400000000, 1700000000

# The user guide's examples of the default format, each with the address its interface has in the example.
SSH_ACCEPTED = "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"
RDP_REJECTED = "2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK"
NODATA = "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA"
SKIPDATA = "2 123456789010 eni-11111111aaaaaaaaa - - - - - - - 1431280876 1431280934 - SKIPDATA"
PING_ACCEPTED = "2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.16.139 0 0 1 4 336 1432917027 1432917142 ACCEPT OK"
PING_REPLY_REJECTED = ("2 123456789010 eni-1235b8ca123456789 172.31.16.139 203.0.113.12 0 0 1 4 336 1432917094 1432917142 "
                       "REJECT OK")

# The guide's TCP flag sequence: a custom format; a client's two connections to a server (10.0.0.62) on port 5001,
# SYN (2) from the client, SYN-ACK (18) from the server.
FLAGS_FORMAT = ("version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport dstport "
                "pkt-srcaddr pkt-dstaddr protocol bytes packets start end action tcp-flags log-status")
FLAGS_PREFIX = "3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 eni-1235b8ca123456789 123456789010 IPv4"
FLAGS_RECORDS = (
    FLAGS_PREFIX + " 52.213.180.42 10.0.0.62 43416 5001 52.213.180.42 10.0.0.62 6 568 8 1566848875 1566848933 ACCEPT 2 OK",
    FLAGS_PREFIX + " 10.0.0.62 52.213.180.42 5001 43416 10.0.0.62 52.213.180.42 6 376 7 1566848875 1566848933 ACCEPT 18 OK",
    FLAGS_PREFIX + " 52.213.180.42 10.0.0.62 43418 5001 52.213.180.42 10.0.0.62 6 100701 70 1566848875 1566848933 ACCEPT 2 OK",
    FLAGS_PREFIX + " 10.0.0.62 52.213.180.42 5001 43418 10.0.0.62 52.213.180.42 6 632 12 1566848875 1566848933 ACCEPT 18 OK",
)

# The guide's service name, traffic path and flow direction example: an instance (10.0.0.71) reaching S3 over
# HTTP; tcp-flags 19 (SYN, ACK, FIN) on S3's record, 3 (SYN, FIN) on the instance's.
DIRECTION_FORMAT = ("version srcaddr dstaddr srcport dstport protocol start end type packets bytes account-id vpc-id "
                    "subnet-id instance-id interface-id region az-id sublocation-type sublocation-id action tcp-flags "
                    "pkt-srcaddr pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service traffic-path flow-direction "
                    "log-status")
DIRECTION_RECORDS = (
    "5 52.95.128.179 10.0.0.71 80 34210 6 1616729292 1616729349 IPv4 14 15044 123456789012 vpc-abcdefab012345678 "
    "subnet-0123456789abcdef i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 19 "
    "52.95.128.179 10.0.0.71 S3 - - ingress OK",
    "5 10.0.0.71 52.95.128.179 34210 80 6 1616729292 1616729349 IPv4 7 471 123456789012 vpc-abcdefab012345678 "
    "subnet-0123456789abcdef i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 3 "
    "10.0.0.71 52.95.128.179 - S3 8 egress OK",
)


def fields_of(text):
    return tuple(text.split())


def default_record(source, destination, source_port, port, protocol=6, packets=10, size=840, start=1418530010,
                   end=1418530070, action="ACCEPT", interface=ENI):
    return "2 123456789010 %s %s %s %s %s %s %s %s %s %s %s OK" % (
        interface, source, destination, source_port, port, protocol, packets, size, start, end, action)


def tally_of(lines, address="172.31.16.21", fields=DEFAULT, since=SINCE, until=UNTIL, interfaces=None):
    tally = FlowTally(interfaces or {ENI: [address]}, since, until)
    tally.feed([line.encode() for line in lines], fields)
    return tally


def outcome(tally):
    """Everything a tally answers."""
    return (sorted(tally.flows()), sorted(tally.interfaces_seen()), sorted(tally.skipped), tally.unreadable)


# ----- the user guide's records ----------------------------------------------------------------------------------

def test_an_accepted_inbound_connection_is_no_flow_of_the_interface_but_it_was_seen():
    tally = tally_of([SSH_ACCEPTED])
    assert tally.flows() == []
    assert tally.interfaces_seen() == {ENI}
    assert tally.skipped == set() and tally.unreadable == 0


def test_a_rejected_record_is_no_flow_but_the_interface_was_seen():
    tally = tally_of([RDP_REJECTED], address="172.31.9.12")
    assert tally.flows() == [] and tally.interfaces_seen() == {ENI}


def test_nodata_shows_the_interface_logged_and_skipdata_that_records_were_skipped():
    tally = tally_of([NODATA, SKIPDATA], interfaces={ENI: ["172.31.16.21"], "eni-11111111aaaaaaaaa": ["172.31.16.22"]})
    assert tally.flows() == []
    assert tally.interfaces_seen() == {ENI, "eni-11111111aaaaaaaaa"}
    assert tally.skipped == {b"eni-11111111aaaaaaaaa"}


def test_the_records_of_other_interfaces_are_neither_tallied_nor_seen():
    tally = tally_of([SSH_ACCEPTED, SKIPDATA, default_record("172.31.16.21", "198.51.100.10", 50000, 443)],
                     interfaces={"eni-0aaaaaaaaaaaaaaa1": ["172.31.16.21"]})
    assert outcome(tally) == ([], [], [], 0)


def test_a_rejected_reply_to_an_accepted_ping_is_no_flow():
    assert tally_of([PING_ACCEPTED, PING_REPLY_REJECTED], address="172.31.16.139").flows() == []


def test_an_accepted_ping_reply_counts_as_sent_for_icmp_has_no_ports_to_tell_a_reply_by():
    reply = PING_REPLY_REJECTED.replace("REJECT", "ACCEPT")
    assert tally_of([PING_ACCEPTED, reply], address="172.31.16.139").flows() == [
        Flow(ENI, 1, "203.0.113.12", 0, 4, 336, 1432917094, 1432917142)]


# ----- replies ---------------------------------------------------------------------------------------------------

INBOUND = default_record("172.31.9.69", "172.31.16.21", 49761, 3389, packets=20, size=4249)
REPLY = default_record("172.31.16.21", "172.31.9.69", 3389, 49761, packets=18, size=3892)


@pytest.mark.parametrize("lines", [[INBOUND, REPLY], [REPLY, INBOUND]])
def test_a_reply_on_the_service_port_to_an_ephemeral_port_whose_reverse_record_was_accepted_is_left_out(lines):
    tally = tally_of(lines)
    assert tally.flows() == [] and tally.interfaces_seen() == {ENI}


@pytest.mark.parametrize("reverse", [
    None,
    INBOUND.replace("ACCEPT", "REJECT"),
    default_record("172.31.9.69", "172.31.16.21", 49762, 3389),
    default_record("172.31.9.69", "172.31.16.21", 49761, 3389, protocol=17),
    default_record("172.31.9.70", "172.31.16.21", 49761, 3389),
    default_record("172.31.9.69", "172.31.16.21", 49761, 3389, start=1300000000, end=1300000060),
], ids=["no reverse record", "reverse rejected", "other port", "other protocol", "other address", "out of window"])
def test_a_reply_without_its_accepted_reverse_record_in_the_window_counts_as_sent(reverse):
    tally = tally_of([REPLY] + ([reverse] if reverse else []))
    assert tally.flows() == [Flow(ENI, 6, "172.31.9.69", 49761, 18, 3892, 1418530010, 1418530070)]


def test_a_reply_to_a_client_port_below_32768_counts_as_sent_as_neither_port_tells():
    reply = default_record("172.31.16.21", "172.31.16.139", 22, 20641, packets=18, size=3892)
    assert tally_of([SSH_ACCEPTED, reply]).flows() == [
        Flow(ENI, 6, "172.31.16.139", 20641, 18, 3892, 1418530010, 1418530070)]


OUTBOUND = default_record("172.31.16.21", "198.51.100.10", 49152, 443, packets=12, size=1500)
OUTBOUND_REVERSE = default_record("198.51.100.10", "172.31.16.21", 443, 49152, packets=10, size=6000)


@pytest.mark.parametrize("lines", [[OUTBOUND, OUTBOUND_REVERSE], [OUTBOUND_REVERSE, OUTBOUND]])
def test_the_reverse_inbound_record_of_an_outbound_connection_does_not_make_it_a_reply(lines):
    assert tally_of(lines).flows() == [Flow(ENI, 6, "198.51.100.10", 443, 12, 1500, 1418530010, 1418530070)]


@pytest.mark.parametrize("source_port, port", [(123, 123), (50000, 50001), (0, 0)])
def test_a_sent_record_where_neither_port_is_a_service_port_facing_an_ephemeral_one_counts_as_sent(source_port, port):
    reverse = default_record("198.51.100.10", "172.31.16.21", port, source_port)
    assert tally_of([reverse, default_record("172.31.16.21", "198.51.100.10", source_port, port)]).flows() == [
        Flow(ENI, 6, "198.51.100.10", port, 10, 840, 1418530010, 1418530070)]


def test_tcp_flags_mark_the_servers_syn_ack_records_as_replies_with_or_without_their_reverse_records():
    fields = fields_of(FLAGS_FORMAT)
    assert tally_of(FLAGS_RECORDS, address="10.0.0.62", fields=fields).flows() == []
    tally = tally_of(FLAGS_RECORDS[1::2], address="10.0.0.62", fields=fields)
    assert tally.flows() == [] and tally.interfaces_seen() == {ENI}


def test_syn_without_ack_marks_the_initiator_even_from_a_service_port_with_a_reverse_record():
    fields = fields_of(FLAGS_FORMAT)
    initiator = FLAGS_RECORDS[1].replace(" ACCEPT 18 ", " ACCEPT 2 ")
    assert tally_of([FLAGS_RECORDS[0], initiator], address="10.0.0.62", fields=fields).flows() == [
        Flow(ENI, 6, "52.213.180.42", 43416, 7, 376, 1566848875, 1566848933)]


@pytest.mark.parametrize("flags", ["0", "1", "16", "24", "4"])
def test_flags_without_syn_leave_the_decision_to_the_ports(flags):
    fields = fields_of(FLAGS_FORMAT)
    reply = FLAGS_RECORDS[1].replace(" ACCEPT 18 ", " ACCEPT %s " % flags)
    inbound = FLAGS_RECORDS[0].replace(" ACCEPT 2 ", " ACCEPT %s " % flags)
    assert tally_of([inbound, reply], address="10.0.0.62", fields=fields).flows() == []
    assert tally_of([reply], address="10.0.0.62", fields=fields).flows() == [
        Flow(ENI, 6, "52.213.180.42", 43416, 7, 376, 1566848875, 1566848933)]


def test_flow_direction_and_flags_in_another_field_order():
    tally = tally_of(DIRECTION_RECORDS, address="10.0.0.71", fields=fields_of(DIRECTION_FORMAT))
    assert tally.flows() == [Flow(ENI, 6, "52.95.128.179", 80, 7, 471, 1616729292, 1616729349)]
    assert tally.interfaces_seen() == {ENI}


def test_flow_direction_decides_over_the_addresses():
    fields = fields_of(DIRECTION_FORMAT)
    # Addresses that are not the interface's own (traffic it forwards, say) and ingress from its own address.
    forwarded = DIRECTION_RECORDS[1].replace("10.0.0.71 52.95.128.179 34210", "10.9.9.9 52.95.128.179 34210")
    looped = DIRECTION_RECORDS[1].replace(" egress ", " ingress ")
    assert tally_of([forwarded], address="10.0.0.71", fields=fields).flows() == [
        Flow(ENI, 6, "52.95.128.179", 80, 7, 471, 1616729292, 1616729349)]
    assert tally_of([looped], address="10.0.0.71", fields=fields).flows() == []


def test_a_direction_not_known_for_a_record_is_decided_by_the_addresses():
    fields = fields_of(DIRECTION_FORMAT)
    unknown = DIRECTION_RECORDS[1].replace(" egress ", " - ")
    inbound = DIRECTION_RECORDS[1].replace(" egress ", " - ").replace(
        "10.0.0.71 52.95.128.179 34210", "52.95.128.179 10.0.0.71 34210")
    assert tally_of([unknown], address="10.0.0.71", fields=fields).flows() == [
        Flow(ENI, 6, "52.95.128.179", 80, 7, 471, 1616729292, 1616729349)]
    assert tally_of([inbound], address="10.0.0.71", fields=fields).flows() == []


@pytest.mark.parametrize("source, destination", [("10.9.9.9", "198.51.100.10"), ("172.31.16.21", "172.31.16.21")])
def test_without_flow_direction_a_record_not_plainly_inbound_counts_as_sent(source, destination):
    assert tally_of([default_record(source, destination, 50000, 443)]).flows() == [
        Flow(ENI, 6, destination, 443, 10, 840, 1418530010, 1418530070)]


def test_a_flow_adds_up_its_records_packets_and_bytes_and_spans_their_times():
    lines = [default_record("172.31.16.21", "198.51.100.10", 50000 + index, 443, packets=index + 1, size=100 * index,
                            start=1418530000 + 60 * index, end=1418530100 + 60 * index) for index in range(5)]
    random.Random(5).shuffle(lines)
    assert tally_of(lines).flows() == [Flow(ENI, 6, "198.51.100.10", 443, 15, 1000, 1418530000, 1418530340)]


# ----- the window -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("start, end, counted", [
    (900, 1000, True), (899, 999, False), (1999, 2100, True), (2000, 2100, False), (500, 3000, True),
])
def test_a_record_is_in_the_window_when_it_ends_at_or_after_since_and_starts_before_until(start, end, counted):
    since, until = 1400001000, 1400002000
    record = default_record("172.31.16.21", "198.51.100.10", 50000, 443, start=1400000000 + start,
                            end=1400000000 + end)
    tally = tally_of([record], since=since, until=until)
    assert len(tally.flows()) == int(counted)
    assert tally.interfaces_seen() == ({ENI} if counted else set())


def test_skipdata_outside_the_window_does_not_count():
    assert tally_of([SKIPDATA], since=1431280935, interfaces={"eni-11111111aaaaaaaaa": []}).skipped == set()


# ----- unreadable lines, headers, gzip -----------------------------------------------------------------------------

def test_lines_that_are_no_record_of_the_format_are_counted_as_unreadable_and_blank_lines_are_not():
    tally = tally_of([OUTBOUND.rsplit(" ", 1)[0], "garbage", "", "   \t", OUTBOUND + " extra", OUTBOUND])
    assert tally.unreadable == 3
    assert tally.flows() == [Flow(ENI, 6, "198.51.100.10", 443, 12, 1500, 1418530010, 1418530070)]


def gzip_of(text, members=1, seed=0):
    """``text`` gzip-compressed, cut at random places into ``members`` gzip members (as ``cat a.gz b.gz`` makes)."""
    data = text.encode()
    cuts = sorted(random.Random(seed).sample(range(1, len(data)), members - 1)) if members > 1 else []
    bounds = [0] + cuts + [len(data)]
    return b"".join(gzip.compress(data[start:end], mtime=0) for start, end in zip(bounds, bounds[1:]))


def test_an_s3_files_header_line_gives_the_format_whatever_format_was_expected():
    text = "%s\n%s\n" % (DIRECTION_FORMAT, "\n".join(DIRECTION_RECORDS))
    tally = FlowTally({ENI: ["10.0.0.71"]}, SINCE, UNTIL)
    tally.feed_gzip([gzip_of(text)], DEFAULT)
    assert tally.unreadable == 0
    assert tally.flows() == [Flow(ENI, 6, "52.95.128.179", 80, 7, 471, 1616729292, 1616729349)]


def test_a_file_without_a_header_line_is_read_in_the_expected_format_from_its_first_line():
    tally = FlowTally({ENI: ["172.31.16.21"]}, SINCE, UNTIL)
    tally.feed_gzip([gzip_of("%s\n%s\n" % (OUTBOUND, INBOUND))], DEFAULT)
    assert tally.flows() == [Flow(ENI, 6, "198.51.100.10", 443, 12, 1500, 1418530010, 1418530070)]


@pytest.mark.parametrize("text", ["", DEFAULT_FORMAT.replace("${", "").replace("}", ""),
                                  DEFAULT_FORMAT.replace("${", "").replace("}", "") + "\n"])
def test_an_empty_file_or_one_of_a_header_alone_holds_nothing(text):
    tally = FlowTally({ENI: ["172.31.16.21"]}, SINCE, UNTIL)
    tally.feed_gzip([gzip_of(text)] if text else [], DEFAULT)
    assert outcome(tally) == ([], [], [], 0)


def mixed_text(seed, count=300):
    """A flow log file in the default format with a header: every kind of record, in random order, no final
    newline half the time."""
    rng = random.Random(seed)
    lines = []
    for index in range(count):
        port = rng.choice((443, 5432, 53))
        ephemeral = rng.randrange(32768, 61000)
        remote = "198.51.100.%d" % rng.randrange(1, 20)
        kind = rng.randrange(6)
        if kind == 0:
            lines += [default_record("172.31.16.21", remote, ephemeral, port, packets=index),
                      default_record(remote, "172.31.16.21", port, ephemeral)]
        elif kind == 1:
            lines += [default_record(remote, "172.31.16.21", ephemeral, 443),
                      default_record("172.31.16.21", remote, 443, ephemeral, packets=index)]
        elif kind == 2:
            lines.append(default_record("172.31.16.21", remote, 443, ephemeral, packets=index))
        elif kind == 3:
            lines.append(default_record(remote, "172.31.16.21", ephemeral, 22, action="REJECT"))
        elif kind == 4:
            lines.append(rng.choice((NODATA, SKIPDATA.replace("eni-11111111aaaaaaaaa", ENI), "not a record")))
        else:
            lines.append(default_record("172.31.16.21", remote, ephemeral, port, start=1300000000, end=1300000060))
    rng.shuffle(lines)
    return DEFAULT_FORMAT.replace("${", "").replace("}", "") + "\n" + "\n".join(lines) + rng.choice(("\n", ""))


def test_a_multi_member_gzip_file_cut_into_chunks_anywhere_reads_as_the_whole_text():
    text = mixed_text(1)
    expected = FlowTally({ENI: ["172.31.16.21"]}, SINCE, UNTIL)
    expected.feed_text([text.encode()], DEFAULT, header=True)
    assert expected.flows() and expected.unreadable and expected.skipped
    for members, size in ((1, 1), (3, 7), (5, 100), (2, 4096), (40, 1 << 20)):
        compressed = gzip_of(text, members, seed=size)
        tally = FlowTally({ENI: ["172.31.16.21"]}, SINCE, UNTIL)
        tally.feed_gzip((compressed[start:start + size] for start in range(0, len(compressed), size)), DEFAULT)
        assert outcome(tally) == outcome(expected), (members, size)


def test_text_cut_into_pieces_anywhere_reads_as_the_whole_text():
    text = mixed_text(2, count=40).encode()
    expected = FlowTally({ENI: ["172.31.16.21"]}, SINCE, UNTIL)
    expected.feed_text([text], DEFAULT, header=True)
    for cut in range(len(text) + 1):
        tally = FlowTally({ENI: ["172.31.16.21"]}, SINCE, UNTIL)
        tally.feed_text([text[:cut], b"", text[cut:]], DEFAULT, header=True)
        assert outcome(tally) == outcome(expected), cut


@pytest.mark.parametrize("damage", ["truncated", "corrupt"])
def test_a_truncated_or_corrupt_gzip_file_is_an_error_not_a_quiet_one(damage):
    compressed = gzip_of(mixed_text(3))
    damaged = compressed[:len(compressed) // 2] if damage == "truncated" else compressed[:30] + b"\0" * 40
    with pytest.raises(zlib.error):
        FlowTally({ENI: ["172.31.16.21"]}, SINCE, UNTIL).feed_gzip([damaged], DEFAULT)
    with pytest.raises(zlib.error):
        b"".join(decompressed([damaged]))


def test_merged_states_give_the_tally_of_all_records_replies_and_their_reverse_records_apart():
    lines = mixed_text(4).split("\n")[1:]
    whole = tally_of(lines)
    for cut in (0, len(lines) // 3, len(lines) - 1):
        first, second = tally_of(lines[:cut]), tally_of(lines[cut:])
        first.merge(second.state())
        assert outcome(first) == outcome(whole)
    # Each reply in one part, its reverse record in the other, either way round.
    for parts in (([REPLY], [INBOUND]), ([INBOUND], [REPLY])):
        first, second = tally_of(parts[0]), tally_of(parts[1])
        first.merge(second.state())
        assert first.flows() == []


def test_reverse_records_taken_out_of_a_tally_and_merged_back_give_the_same_tally():
    lines = [INBOUND] + mixed_text(5).split("\n")[1:] + [REPLY]
    whole = tally_of(lines)
    tally = tally_of(lines[:len(lines) // 2])
    reverse = tally.take_reverse_records()
    tally.feed([line.encode() for line in lines[len(lines) // 2:]], DEFAULT)
    assert Flow(ENI, 6, "172.31.9.69", 49761, 18, 3892, 1418530010, 1418530070) in tally.flows()
    tally.merge(({}, {}, reverse, (), (), 0))
    assert outcome(tally) == outcome(whole)


# ----- worker processes -------------------------------------------------------------------------------------------

def children():
    """The process IDs of this process' children, reaped or not."""
    found = set()
    for task in os.listdir("/proc/self/task"):
        try:
            with open("/proc/self/task/%s/children" % task) as handle:
                found.update(int(pid) for pid in handle.read().split())
        except FileNotFoundError:
            # A thread that ended meanwhile.
            pass
    return found


def objects_of(blobs, size=4096):
    return [lambda blob=blob: (blob[start:start + size] for start in range(0, len(blob), size)) for blob in blobs]


def sample_objects():
    """Gzip objects in two formats, with and without header, multi-member, empty: the shapes S3 can hold."""
    blobs = [gzip_of(mixed_text(seed), members=1 + seed % 3, seed=seed) for seed in range(10)]
    blobs.append(gzip_of("%s\n%s\n" % (DIRECTION_FORMAT, "\n".join(DIRECTION_RECORDS))))
    blobs.append(gzip_of("\n".join([OUTBOUND, REPLY, NODATA]) + "\n"))
    blobs.append(b"")
    return blobs


INTERFACES = {ENI: ["172.31.16.21", "10.0.0.71"], "eni-0aaaaaaaaaaaaaaa1": ["10.0.1.10"]}


def test_workers_give_exactly_the_in_process_result():
    expected = FlowTally(INTERFACES, SINCE, UNTIL)
    for blob in sample_objects():
        expected.feed_gzip([blob], DEFAULT)
    before = children()
    for processes, after, used in ((1, 0, 0), (2, 0, 2), (3, 0, 3), (2, 60, 0)):
        tally = FlowTally(INTERFACES, SINCE, UNTIL)
        assert tally_gzip_objects(tally, objects_of(sample_objects()), DEFAULT, processes, after) == used
        assert outcome(tally) == outcome(expected), processes
    assert children() <= before


def test_a_reply_and_its_reverse_record_tallied_by_different_workers_is_still_a_reply():
    # Each object's callable waits for the other's to be called: each worker's thread took one.
    both = threading.Barrier(2, timeout=30)

    def body(blob):
        both.wait()
        return [blob]

    blobs = [gzip_of(REPLY + "\n"), gzip_of(INBOUND + "\n"), gzip_of(OUTBOUND + "\n")]
    tally = FlowTally({ENI: ["172.31.16.21"]}, SINCE, UNTIL)
    used = tally_gzip_objects(tally, [lambda: body(blobs[0]), lambda: body(blobs[1]), lambda: [blobs[2]]], DEFAULT,
                              processes=2, after=0)
    assert used == 2
    assert tally.flows() == [Flow(ENI, 6, "198.51.100.10", 443, 12, 1500, 1418530010, 1418530070)]


def test_a_tally_that_had_records_already_keeps_them_and_resolves_replies_across_both():
    tally = tally_of([REPLY, OUTBOUND])
    tally_gzip_objects(tally, objects_of([gzip_of(INBOUND + "\n")] * 3), DEFAULT, processes=2, after=0)
    assert tally.flows() == [Flow(ENI, 6, "198.51.100.10", 443, 12, 1500, 1418530010, 1418530070)]


def test_workers_start_from_a_zipped_payload_as_in_an_ansible_module(tmp_path):
    """A module's payload is a zip file on ``sys.path`` with an ``__init__.py`` for each package."""
    payload = str(tmp_path / "ansible_netguard_payload.zip")
    package = "ansible_collections/netguard/aws/plugins/module_utils"
    source = os.path.dirname(flow_workers.__file__)
    with zipfile.ZipFile(payload, "w") as archive:
        for depth in range(1, package.count("/") + 2):
            archive.writestr("/".join(package.split("/")[:depth]) + "/__init__.py", "")
        for name in ("flow_format.py", "flow_tally.py", "flow_workers.py"):
            archive.write(os.path.join(source, name), "%s/%s" % (package, name))
    blobs = sample_objects()
    paths = []
    for index, blob in enumerate(blobs):
        paths.append(str(tmp_path / ("%d.log.gz" % index)))
        with open(paths[-1], "wb") as handle:
            handle.write(blob)
    script = """
import json, sys, threading
sys.path[:] = [sys.argv[1]] + [entry for entry in sys.path if "site-packages" not in entry]
from ansible_collections.netguard.aws.plugins.module_utils import flow_workers
from ansible_collections.netguard.aws.plugins.module_utils.flow_tally import FlowTally
assert flow_workers.__file__.startswith(sys.argv[1]), flow_workers.__file__
tally = FlowTally(json.loads(sys.argv[2]), %d, %d)
# The first two objects wait for each other: each worker tallies one of them.
both = threading.Barrier(2, timeout=30)
def read(path, wait):
    if wait:
        both.wait()
    with open(path, "rb") as handle:
        return [handle.read()]
objects = [lambda path=path, index=index: read(path, index < 2) for index, path in enumerate(sys.argv[3:])]
used = flow_workers.tally_gzip_objects(tally, objects, %r, processes=2, after=0)
print(json.dumps([used, sorted(tally.flows()), sorted(tally.interfaces_seen()), tally.unreadable]))
""" % (SINCE, UNTIL, DEFAULT)
    output = subprocess.run([sys.executable, "-I", "-c", script, payload, json.dumps(INTERFACES)] + paths,
                            check=True, stdout=subprocess.PIPE, cwd=str(tmp_path)).stdout
    expected = FlowTally(INTERFACES, SINCE, UNTIL)
    for blob in blobs:
        expected.feed_gzip([blob], DEFAULT)
    used, flows, seen, unreadable = json.loads(output)
    assert used == 2
    assert [Flow(*flow) for flow in flows] == sorted(expected.flows())
    assert (seen, unreadable) == (sorted(expected.interfaces_seen()), expected.unreadable)


@pytest.mark.parametrize("executable", ["", "/bin/false"])
def test_when_workers_cannot_start_the_objects_are_tallied_here(monkeypatch, executable):
    expected = FlowTally(INTERFACES, SINCE, UNTIL)
    for blob in sample_objects():
        expected.feed_gzip([blob], DEFAULT)
    monkeypatch.setattr(sys, "executable", executable)
    before = children()
    tally = FlowTally(INTERFACES, SINCE, UNTIL)
    assert tally_gzip_objects(tally, objects_of(sample_objects()), DEFAULT, processes=2, after=0) == 0
    assert outcome(tally) == outcome(expected)
    assert children() <= before


@pytest.mark.parametrize("processes", [1, 2])
def test_a_corrupt_object_raises_zlib_error_on_either_path_and_no_worker_is_left(processes):
    blobs = sample_objects()
    blobs[4] = blobs[4][:len(blobs[4]) // 2]
    before = children()
    with pytest.raises(zlib.error):
        tally_gzip_objects(FlowTally(INTERFACES, SINCE, UNTIL), objects_of(blobs), DEFAULT, processes, after=0)
    assert children() <= before


class Unreachable(Exception):
    pass


@pytest.mark.parametrize("processes", [1, 2])
def test_an_error_reading_an_object_is_raised_as_it_was_and_no_worker_is_left(processes):
    def failing():
        raise Unreachable("s3://bucket/key: AccessDenied")

    def failing_midway():
        yield gzip_of(OUTBOUND + "\n")[:10]
        raise Unreachable("connection reset")

    before = children()
    for body in (failing, failing_midway):
        objects = objects_of(sample_objects()[:5]) + [body] + objects_of(sample_objects()[5:])
        with pytest.raises(Unreachable):
            tally_gzip_objects(FlowTally(INTERFACES, SINCE, UNTIL), objects, DEFAULT, processes, after=0)
    assert children() <= before


def test_an_error_listing_the_objects_is_raised_as_it_was():
    def objects():
        yield from objects_of(sample_objects())
        raise Unreachable("ListObjectsV2: AccessDenied")

    with pytest.raises(Unreachable):
        tally_gzip_objects(FlowTally(INTERFACES, SINCE, UNTIL), objects(), DEFAULT, processes=2, after=0)


def test_a_worker_that_dies_is_an_error_naming_its_exit():
    before = children()

    def kill_a_worker():
        for pid in children() - before:
            os.kill(pid, 9)
        return [gzip_of(OUTBOUND + "\n")]

    with pytest.raises(FlowWorkerError, match="exit code -9"):
        tally_gzip_objects(FlowTally(INTERFACES, SINCE, UNTIL), [kill_a_worker] + objects_of(sample_objects()),
                           DEFAULT, processes=2, after=0)
    assert children() <= before


def test_a_worker_whose_input_ends_exits_by_itself():
    worker = flow_workers._Worker(FlowTally(INTERFACES, SINCE, UNTIL).settings(), DEFAULT)
    try:
        assert worker.ready()
        worker.send([gzip_of(OUTBOUND + "\n")[:20]])
        # The parent is gone, as far as the worker can tell: its input ends within an object.
        worker.abandon()
        assert worker._process.wait(timeout=30) == 1
    finally:
        worker.close()
