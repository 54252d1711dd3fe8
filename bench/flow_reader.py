"""The flow log reader against ``gzip -dc | wc -l`` on the same files, in the same run: time and peak memory.

The files are what a day of S3 text flow logs looks like (see ``generate``), written to a temporary directory and
deleted afterwards. The reader is the S3 reader's code path on local files: ``tally_gzip_objects`` with each
object's body read in 1 MiB chunks, then ``flows()``, in a process of its own, timed from outside like gzip.
``python bench/flow_reader.py`` measures and prints the section; with ``--write`` it also replaces the section in
docs/performance.md. ``make bench`` runs it from bench/run.py.
"""

import argparse
import concurrent.futures
import gzip
import hashlib
import json
import multiprocessing
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPORT = os.path.join(ROOT, "docs", "performance.md")
TITLE = "## Flow log reader against `gzip -dc | wc -l`"

RECORDS = 10000000
FLOWS = 100000
FLOW_LOGS = 8
INTERFACES_PER_LOG = 25
SERVERS_PER_LOG = 5
HOURS = 24
RUNS = 5
READ_SIZE = 1 << 20
ACCOUNT = "123456789010"
REGION = "us-east-1"
DAY = 1796342400  # 2026-12-04T00:00:00Z
HEADER = ("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action "
          "log-status")
# Shares of the records besides the outbound connections and their reverse records: connections to the
# interfaces' own services (the client's record and the reply), and rejected probes from the internet.
SERVED = 0.08
REJECTED = 0.04
# (protocol, port, weight) of the outbound flows' destinations; ICMP has port 0.
SERVICES = ((6, 443, 40), (6, 80, 6), (6, 5432, 6), (6, 3306, 4), (6, 6379, 5), (6, 11211, 2), (6, 9092, 4),
            (6, 9200, 3), (6, 27017, 2), (6, 8080, 5), (6, 8443, 3), (6, 22, 2), (6, 587, 1), (6, 2049, 2),
            (17, 53, 8), (17, 123, 2), (1, 0, 1))
SERVED_PORTS = (443, 8080, 5432)
PROBED_PORTS = (22, 23, 445, 3389, 8080)


def _cumulative(weights):
    total, cumulative = 0.0, []
    for weight in weights:
        total += weight
        cumulative.append(total)
    return cumulative


def _zipf(count, exponent):
    """Cumulative weights of ranks 1..count, rank k weighing 1 / k ** exponent."""
    return _cumulative(1.0 / rank ** exponent for rank in range(1, count + 1))


def generate(directory, records=RECORDS, seed=22):
    """Write a day of flow log objects under ``directory``, the S3 key layout: one object every 5 minutes for each
    of FLOW_LOGS flow logs of INTERFACES_PER_LOG interfaces each, with a header line, gzip level 6.

    FLOWS distinct outbound flows (interface, protocol, destination, port): destinations heavy-tailed (Zipf over
    30,000 addresses, private and public), interfaces and flows heavy-tailed too, every flow in at least one object.
    Each outbound connection is two records: the interface's, from an ephemeral port, and the reverse inbound one on
    that port. Besides: clients' connections to services of some interfaces (and the replies), rejected probes,
    NODATA records of idle interfaces; records shuffled within an object.

    Returns (paths, lines written, interfaces {ID: [address]}, since, until, outbound flows with a record in the
    window)."""
    rng = random.Random(seed)
    interfaces = [("eni-%017x" % rng.getrandbits(68), "10.%d.1.%d" % (log, 10 + number), log)
                  for log in range(FLOW_LOGS) for number in range(INTERFACES_PER_LOG)]
    destinations = (["10.%d.%d.%d" % (rng.randrange(8, 12), rng.randrange(256), rng.randrange(1, 255))
                     for _unused in range(15000)]
                    + ["%d.%d.%d.%d" % (rng.choice((3, 18, 34, 52, 54, 104, 142, 151)), rng.randrange(256),
                                        rng.randrange(256), rng.randrange(1, 255)) for _unused in range(15000)])
    rng.shuffle(destinations)
    destination_weights = _zipf(len(destinations), 1.1)
    interface_weights = _zipf(len(interfaces), 0.8)
    service_weights = _cumulative(weight for _protocol, _port, weight in SERVICES)
    flows = set()
    while len(flows) < FLOWS:
        interface = interfaces[rng.choices(range(len(interfaces)), cum_weights=interface_weights)[0]]
        protocol, port, _weight = rng.choices(SERVICES, cum_weights=service_weights)[0]
        flows.add((interface, protocol, rng.choices(destinations, cum_weights=destination_weights)[0], port))
    flows = sorted(flows)
    rng.shuffle(flows)
    slots = HOURS * 12
    # Records of each object: as many as can be, the remainder one each in the first ones.
    sizes = [records // (FLOW_LOGS * slots) + (index < records % (FLOW_LOGS * slots))
             for index in range(FLOW_LOGS * slots)]
    jobs = []
    for log in range(FLOW_LOGS):
        members = [interface for interface in interfaces if interface[2] == log]
        jobs.append((directory, sizes[log * slots:(log + 1) * slots], members,
                     [flow for flow in flows if flow[0][2] == log], seed * 1000 + log))
    paths, written, observed = [], 0, set()
    # The flow logs are written side by side, one process each at a time; new processes, not forks of this one.
    with concurrent.futures.ProcessPoolExecutor(min(os.cpu_count() or 1, FLOW_LOGS),
                                                multiprocessing.get_context("spawn")) as pool:
        for log_paths, log_lines, log_observed in pool.map(_write_flow_log, *zip(*jobs)):
            paths += log_paths
            written += log_lines
            observed |= log_observed
    return (paths, written, dict((eni, [address]) for eni, address, _log in interfaces), DAY, DAY + HOURS * 3600,
            len(observed))


def _write_flow_log(directory, sizes, members, flows, seed):
    """One flow log's objects, of ``sizes`` records each; returns their paths, their number of lines and the flows
    with a record in the window."""
    rng = random.Random(seed)
    flow_log = "fl-%017x" % rng.getrandbits(68)
    servers = members[:SERVERS_PER_LOG]
    weights = _zipf(len(flows), 1.0)
    first = [[] for _size in sizes]
    for flow in flows:
        first[rng.randrange(len(sizes))].append(flow)
    paths, written, observed = [], 0, set()
    for slot, per_object in enumerate(sizes):
        outbound = int(per_object * (1 - SERVED - REJECTED) / 2)
        served = int(per_object * SERVED / 2)
        slot_start = DAY + slot * 300
        lines = []

        def span():
            # A record's capture window (10 minutes at most), shared by a connection's two records.
            start = slot_start - rng.randrange(0, 600)
            return start, start + rng.randrange(1, 600)

        def record(interface, source, destination, source_port, port, protocol, packets, window, action="ACCEPT"):
            lines.append("2 %s %s %s %s %d %d %d %d %d %d %d %s OK" % (
                ACCOUNT, interface, source, destination, source_port, port, protocol, packets,
                packets * rng.randrange(40, 1500), window[0], window[1], action))

        picked = first[slot] + rng.choices(flows, cum_weights=weights, k=max(0, outbound - len(first[slot])))
        for flow in picked:
            (eni, address, _log), protocol, destination, port = flow
            ephemeral = rng.randrange(32768, 61000) if protocol != 1 else 0
            packets, window = int(rng.paretovariate(1.2)), span()
            record(eni, address, destination, ephemeral, port, protocol, packets, window)
            record(eni, destination, address, port, ephemeral, protocol, packets, window)
            if window[1] >= DAY:
                observed.add(flow)
        for _served in range(served):
            eni, address, _log = rng.choice(servers)
            client = "10.%d.%d.%d" % (rng.randrange(8, 12), rng.randrange(256), rng.randrange(1, 255))
            ephemeral, port = rng.randrange(32768, 61000), rng.choice(SERVED_PORTS)
            packets, window = int(rng.paretovariate(1.2)), span()
            record(eni, client, address, ephemeral, port, 6, packets, window)
            record(eni, address, client, port, ephemeral, 6, packets, window)
        idle = rng.sample(members, len(members) // 5)
        for _probe in range(per_object - len(lines) - len(idle)):
            eni, address, _log = rng.choice(members)
            prober = "%d.%d.%d.%d" % (rng.randrange(1, 224), rng.randrange(256), rng.randrange(256),
                                      rng.randrange(1, 255))
            record(eni, prober, address, rng.randrange(1024, 65536), rng.choice(PROBED_PORTS), 6, 1, span(), "REJECT")
        for eni, _address, _log in idle:
            lines.append("2 %s %s - - - - - - - %d %d - NODATA" % (ACCOUNT, eni, slot_start, slot_start + 300))
        rng.shuffle(lines)
        written += len(lines) + 1
        delivered = time.gmtime(slot_start + 300)
        folder = os.path.join(directory, "AWSLogs", ACCOUNT, "vpcflowlogs", REGION,
                              time.strftime("%Y/%m/%d", delivered))
        os.makedirs(folder, exist_ok=True)
        paths.append(os.path.join(folder, "%s_vpcflowlogs_%s_%s_%s_%s.log.gz" % (
            ACCOUNT, REGION, flow_log, time.strftime("%Y%m%dT%H%MZ", delivered),
            hashlib.sha1(("%s%d" % (flow_log, slot)).encode()).hexdigest()[:8])))
        with open(paths[-1], "wb") as handle:
            handle.write(gzip.compress(("%s\n%s\n" % (HEADER, "\n".join(lines))).encode(), 6, mtime=0))
    return paths, written, observed


def read(spec_path):
    """The reader, in this process: prints what it found and its own and its workers' peak memory."""
    with open(spec_path) as handle:
        spec = json.load(handle)
    sys.path.insert(0, spec["collections"])
    from ansible_collections.netguard.aws.plugins.module_utils.flow_format import DEFAULT_FORMAT, format_fields
    from ansible_collections.netguard.aws.plugins.module_utils.flow_tally import FlowTally
    from ansible_collections.netguard.aws.plugins.module_utils.flow_workers import PARALLEL_AFTER, tally_gzip_objects

    def body(path):
        with open(path, "rb") as handle:
            chunk = handle.read(READ_SIZE)
            while chunk:
                yield chunk
                chunk = handle.read(READ_SIZE)

    tally = FlowTally(spec["interfaces"], spec["since"], spec["until"])
    workers = tally_gzip_objects(tally, [lambda path=path: body(path) for path in spec["paths"]],
                                 format_fields(DEFAULT_FORMAT), processes=spec["processes"])
    flows = tally.flows()
    print(json.dumps({"flows": len(flows), "workers": workers, "unreadable": tally.unreadable, "alone": PARALLEL_AFTER,
                      "self_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      "worker_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))


def _gzip_wc(paths):
    """Seconds of ``gzip -dc <paths> | wc -l``, and the line count."""
    started = time.monotonic()
    unzip = subprocess.Popen(["gzip", "-dc", "--"] + paths, stdout=subprocess.PIPE)
    count = subprocess.run(["wc", "-l"], stdin=unzip.stdout, stdout=subprocess.PIPE, check=True).stdout
    unzip.stdout.close()
    if unzip.wait():
        raise RuntimeError("gzip -dc failed")
    return time.monotonic() - started, int(count)


def _tree(pid):
    """``pid`` and its descendants."""
    pids = [pid]
    for parent in pids:
        try:
            for task in os.listdir("/proc/%d/task" % parent):
                with open("/proc/%d/task/%s/children" % (parent, task)) as handle:
                    pids += [int(child) for child in handle.read().split()]
        except OSError:
            pass
    return pids


def _resident(pid):
    try:
        with open("/proc/%d/statm" % pid) as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def _reader(spec_path):
    """Seconds of the reader in a process of its own, what it printed, and the most memory its processes held
    together (resident, sampled every 10 ms)."""
    started = time.monotonic()
    reader = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--read", spec_path], stdout=subprocess.PIPE)
    peak = 0
    while reader.poll() is None:
        peak = max(peak, sum(_resident(pid) for pid in _tree(reader.pid)))
        time.sleep(0.01)
    seconds = time.monotonic() - started
    output = reader.stdout.read()
    reader.stdout.close()
    if reader.returncode:
        raise RuntimeError("the reader failed with exit code %d" % reader.returncode)
    return seconds, dict(json.loads(output), sampled_kb=peak // 1024)


def measure(records=RECORDS, runs=RUNS):
    """Markdown lines of the section, and (median ratio, peak MB)."""
    work = tempfile.mkdtemp(prefix="netguard-aws-flow-bench-")
    try:
        started = time.monotonic()
        paths, written, interfaces, since, until, expected = generate(os.path.join(work, "bucket"), records)
        if written != records + len(paths):
            raise RuntimeError("wrote %d lines, not %d records and %d headers" % (written, records, len(paths)))
        size = sum(os.path.getsize(path) for path in paths)
        print("wrote %d objects, %.0f MB, in %.0f s" % (len(paths), size / 1e6, time.monotonic() - started), flush=True)
        # The checkout, importable as the collection (as the tests make it).
        collections = os.path.join(work, "collections")
        os.makedirs(os.path.join(collections, "ansible_collections", "netguard"))
        os.symlink(ROOT, os.path.join(collections, "ansible_collections", "netguard", "aws"))
        specs = {}
        for processes in (None, 1):
            specs[processes] = os.path.join(work, "spec-%s.json" % processes)
            with open(specs[processes], "w") as handle:
                json.dump({"collections": collections, "paths": paths, "interfaces": interfaces, "since": since,
                           "until": until, "processes": processes}, handle)
        gzip_times, reader_times, found = [], [], []
        # In turn, so that both meet the machine as it is at the time.
        for _run in range(runs):
            seconds, lines = _gzip_wc(paths)
            if lines != written:
                raise RuntimeError("gzip -dc | wc -l counted %d lines, not %d" % (lines, written))
            gzip_times.append(seconds)
            seconds, result = _reader(specs[None])
            reader_times.append(seconds)
            found.append(result)
            print("gzip -dc | wc -l %.2f s, reader %.2f s (%.2fx), %d flows, %d MB at most together (%d MB + %d x %d MB "
                  "apart)" % (gzip_times[-1], seconds, seconds / gzip_times[-1], result["flows"],
                              result["sampled_kb"] // 1024, result["self_kb"] // 1024, result["workers"],
                              result["worker_kb"] // 1024), flush=True)
        one_seconds, one = _reader(specs[1])
        print("reader in one process: %.2f s, %d MB" % (one_seconds, one["sampled_kb"] // 1024), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for result in found + [one]:
        if (result["flows"], result["unreadable"]) != (expected, 0):
            raise RuntimeError("the reader found %d flows (%d unreadable lines), not %d"
                               % (result["flows"], result["unreadable"], expected))
    ratios = [reader / unzip for reader, unzip in zip(reader_times, gzip_times)]
    ratio = statistics.median(ratios)
    peak = max(result["sampled_kb"] for result in found) / 1024
    bound = max(result["self_kb"] + result["workers"] * result["worker_kb"] for result in found) / 1024
    workers = found[0]["workers"]
    lines = [
        TITLE, "",
        "A day of VPC Flow Logs as S3 holds them: %s records in %d gzip objects (%.0f MB), one every 5 minutes for "
        "each of %d flow logs of %d interfaces, in the default format with its header line. %s distinct outbound "
        "flows (interface, protocol, destination, port), their destinations heavy-tailed (Zipf over 30,000 "
        "addresses), each connection from an ephemeral port with its reverse inbound record; %.0f%% of the records "
        "are clients' connections to services of the interfaces and the replies (a new client port each), %.0f%% "
        "rejected probes, and idle interfaces log NODATA. The reader is the S3 reader's code path on local files "
        "(`tally_gzip_objects` over each object's body in 1 MiB chunks, then `flows()`), in a process of its own, "
        "timed as a whole like `gzip -dc <files> | wc -l` on the same files, the two in turn, in the same run, both "
        "reading files the page cache holds."
        % (format(records, ","), len(paths), size / 1e6, FLOW_LOGS, INTERFACES_PER_LOG, format(FLOWS, ","),
           100 * SERVED, 100 * REJECTED), "",
        "| run | `gzip -dc \\| wc -l` (s) | reader (s) | reader / gzip | reader's memory (MB) |",
        "| ---: | ---: | ---: | ---: | ---: |"]
    lines += ["| %d | %.2f | %.2f | %.2fx | %.0f |"
              % (index + 1, unzip, reader, reader / unzip, result["sampled_kb"] / 1024)
              for index, (unzip, reader, result) in enumerate(zip(gzip_times, reader_times, found))]
    lines += [
        "", "The reader takes **%.2fx** the time of `gzip -dc | wc -l` (median of %d runs; fastest %.2f s against "
        "%.2f s), and holds at most **%.0f MB** of memory: its process and its %d workers together, resident, "
        "sampled every 10 ms. Each process's own peak added up, as if they all peaked at once, gives %.0f MB. Each "
        "run found the %s flows and no unreadable line."
        % (ratio, runs, min(reader_times), min(gzip_times), peak, workers, bound, format(expected, ",")), "",
        "The tally is one pass of plain Python over each record, so the reader uses every processor: after its first "
        "%g s alone, it streams whole objects to a worker process for each processor (%d here), which tally them "
        "and answer with the reverse records they keep after each object, and with the rest of their tallies at the "
        "end; the reader merges both into its own tally. In one process the same files take %.2f s (%.2fx gzip's "
        "median) and %.0f MB. Memory grows with the distinct flows and with the connections to the interfaces' "
        "services (their replies are told apart by the clients' records), not with the records."
        % (found[0]["alone"], workers, one_seconds, one_seconds / statistics.median(gzip_times),
           one["sampled_kb"] / 1024), ""]
    return lines, (ratio, peak)


def write_section(lines):
    """Put the section into docs/performance.md in place of the one there, or at its end."""
    with open(REPORT) as handle:
        text = handle.read().rstrip("\n").split("\n")
    if TITLE in text:
        start = text.index(TITLE)
        end = next((index for index in range(start + 1, len(text)) if text[index].startswith("## ")), len(text))
        text[start:end] = lines
    else:
        text += [""] + lines
    with open(REPORT, "w") as handle:
        handle.write("\n".join(text).rstrip("\n") + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--read", help=argparse.SUPPRESS)
    parser.add_argument("--write", action="store_true", help="replace the section in docs/performance.md")
    parser.add_argument("--records", type=int, default=RECORDS)
    parser.add_argument("--runs", type=int, default=RUNS)
    arguments = parser.parse_args()
    if arguments.read:
        read(arguments.read)
        return
    lines, _figures = measure(arguments.records, arguments.runs)
    print("\n".join(lines))
    if arguments.write:
        write_section(lines)


if __name__ == "__main__":
    main()
