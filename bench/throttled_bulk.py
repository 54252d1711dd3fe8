"""Bulk revokes against EC2's token buckets (the throttling model in front of moto): pacing side by side."""

import json
import os

from harness import Bench
from tests.support.fault_proxy import Fault, FaultProxy
from tests.support.seed import egress_rules, seed_fleet, seed_regional_fleets
from tests.support.throttling_model import ThrottlingModel

# The model's time runs this many times faster than EC2's: revokes refill at 5 x 4 = 20 a second per
# account-region (bucket of 200), so one region stays well under 100 requests a second.
SCALE = 4
# Regions side by side: time runs twice as fast as EC2's (10 revokes a second per region, 40 through the model
# for 4 regions), so that each region's 250 groups outlast their bucket's burst of 200 and the buckets, not the
# 2 cores, set the pace.
REGIONS_SCALE = 2
GROUPS = 1000
SPORADIC = 10
REGION_GROUPS = 250
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2", "sa-east-1"]
PLAYBOOK = """- name: Bench
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Remove the allow-all egress rule
      netguard.aws.ec2_security_group_egress_revoke:
        filters:
          tag:fleet: %(tag)s
%(extra)s        protocol: all
        cidr: 0.0.0.0/0
      register: revoked
      ignore_errors: true
    - name: Keep the totals
      ansible.builtin.copy:
        content: "{{ revoked.totals | to_json }}"
        dest: "{{ totals_file }}"
        mode: "0600"
"""
CONTENDERS = (
    ("netguard.aws, the default (botocore's `adaptive` retry mode)", "", {}),
    ("netguard.aws, `revoke_rate` at the refill rate", "        revoke_rate: %g\n" % (5 * SCALE), {}),
    ("botocore `standard` retry mode, chosen by the user", "", {"AWS_RETRY_MODE": "standard"}),
)


def run(bench, tag, extra, environment, regions=None, scale=SCALE, faults=None):
    """One task through a fresh throttling model, or through ``faults`` instead: (task seconds, totals, throttled
    calls)."""
    model = ThrottlingModel(scale)
    totals_file = os.path.join(bench.work_dir, "totals.json")
    if regions:
        extra += "        regions: %s\n" % json.dumps(regions)
    with FaultProxy(bench.endpoint.url, faults or (), throttling=None if faults else model) as proxy:
        env = bench.environment(AWS_URL=proxy.url, **environment)
        seconds, _wall = bench.run_playbook(PLAYBOOK % {"tag": tag, "extra": extra}, {"totals_file": totals_file}, env)
    with open(totals_file) as handle:
        totals = json.load(handle)
    return seconds[0], totals, sum(fault.hits for fault in faults) if faults else model.throttled_calls()


def sporadic(bench, environment):
    """The task over GROUPS groups, without a bucket to run out of: SPORADIC revokes throttled once each, as when
    another tool's burst meets it now and then."""
    bench.endpoint.reset()
    _vpc_id, group_ids = seed_fleet(bench.endpoint.client(), GROUPS, tags={"fleet": "sporadic"})
    faults = [Fault({"Action": "RevokeSecurityGroupEgress", "GroupId": group_id}, "RequestLimitExceeded",
                    "Request limit exceeded.", status=503, times=1) for group_id in group_ids[::GROUPS // SPORADIC]]
    return run(bench, "sporadic", "", environment, faults=faults)


def one_region(bench, extra, environment):
    bench.endpoint.reset()
    ec2 = bench.endpoint.client()
    _vpc_id, group_ids = seed_fleet(ec2, GROUPS, tags={"fleet": "throttled"})
    result = run(bench, "throttled", extra, environment)
    left = sum(1 for group_id in group_ids if any(rule["IpProtocol"] == "-1"
                                                  for rule in egress_rules(ec2, group_id).values()))
    return result + (left,)


def regions(bench, names):
    bench.endpoint.reset()
    seed_regional_fleets(bench.endpoint, names, REGION_GROUPS, "regional")
    return run(bench, "regional", "", {}, regions=names, scale=REGIONS_SCALE)


def measure(bench):
    """Markdown lines of the section; ``{contender: seconds / lower bound}``, and the regions ratio."""
    model = ThrottlingModel(SCALE)
    bound = model.lower_bound(GROUPS)
    lines = ["## Throttled bulk revokes: pacing against EC2's token buckets", "",
             "One bulk task over %d groups of one account-region, through the throttling model of `tests/support/"
             "throttling_model.py` in front of moto: EC2's published buckets (revokes: 200, refilling 5 a second) "
             "with time running %d times faster, so revokes refill at %d a second. The bucket arithmetic's lower "
             "bound is (%d - 200) / %d = %.0f s. Concurrency 8 (the default), 5 attempts per call, one run each."
             % (GROUPS, SCALE, 5 * SCALE, GROUPS, 5 * SCALE, bound), "",
             "| contender | task (s) | x lower bound | failed groups | allow-all rules left | throttled calls |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    ratios = {}
    for label, extra, environment in CONTENDERS:
        seconds, totals, throttled, left = one_region(bench, extra, environment)
        ratios[label] = seconds / bound
        lines.append("| %s | %.1f | %.2f | %d | %d | %d |"
                     % (label, seconds, seconds / bound, totals["failed_groups"], left, throttled))
        print("%-50s %6.1f s  %.2fx  failed %d  left %d  throttled %d"
              % (label, seconds, seconds / bound, totals["failed_groups"], left, throttled), flush=True)
    one, _totals, _throttled = regions(bench, REGIONS[:1])
    four, four_totals, _throttled = regions(bench, REGIONS)
    lines += ["", "Regions side by side: the same task (the default pacing) over %d groups in 1 region, then %d groups in "
              "each of %d regions (`regions`), each region with its own buckets, time running %d times faster than "
              "EC2's (10 revokes a second per region, so that the buckets, not the 2 cores, set the pace): %.1f s and "
              "%.1f s, **%.2fx**, with %d failed groups."
              % (REGION_GROUPS, REGION_GROUPS, len(REGIONS), REGIONS_SCALE, one, four, four / one,
                 four_totals["failed_groups"]), ""]
    print("regions: 1 x %d in %.1f s, %d x %d in %.1f s (%.2fx)" % (REGION_GROUPS, one, len(REGIONS), REGION_GROUPS,
                                                                    four, four / one), flush=True)
    lines += ["Throttles now and then: the same task over %d groups with no bucket to run out of, where %d of the revokes "
              "are throttled once each (another tool's burst, say), one run each. botocore's `adaptive` mode slows its "
              "client down after each throttle, by what it measured the client sending, and speeds it up again slowly."
              % (GROUPS, SPORADIC), "",
              "| contender | task (s) | failed groups | throttled calls |", "| --- | ---: | ---: | ---: |"]
    sporadic_seconds = {}
    for label, extra, environment in CONTENDERS:
        if extra:
            continue
        seconds, totals, throttled = sporadic(bench, environment)
        sporadic_seconds[label] = seconds
        lines.append("| %s | %.1f | %d | %d |" % (label, seconds, totals["failed_groups"], throttled))
        print("sporadic: %-50s %6.1f s  failed %d" % (label, seconds, totals["failed_groups"]), flush=True)
    default, standard = (sporadic_seconds[CONTENDERS[0][0]], sporadic_seconds[CONTENDERS[2][0]])
    lines += ["", "With throttles now and then, the default takes **%.2fx** the time of botocore's `standard` mode."
              % (default / standard), ""]
    return lines, ratios, four / one


if __name__ == "__main__":
    with Bench() as bench:
        print("\n".join(measure(bench)[0]))
