"""docs/reliability.md, written from what the reliability tests measured in a full, passing test run.

Each reliability test records its figures (``record``) into build/reliability; after the run, the
master process renders them (``write_if_complete``). Only figures that do not vary from run to run
go in the document, so that it changes only when the evidence does.
"""

import glob
import json
import os
import re
import shutil

from .endpoint import COLLECTION_ROOT

REPORT_DIR = os.path.join(COLLECTION_ROOT, "build", "reliability")
DOCUMENT = os.path.join(COLLECTION_ROOT, "docs", "reliability.md")
SECTIONS = ("corpus", "faults", "property", "check_mode", "secrets", "scale_single", "scale_bulk", "interrupt")


def start():
    shutil.rmtree(REPORT_DIR, ignore_errors=True)


def record(section, test_id, values):
    os.makedirs(REPORT_DIR, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", test_id)[-150:]
    with open(os.path.join(REPORT_DIR, "%s--%s.json" % (section, name)), "w") as handle:
        json.dump({"section": section, "test": test_id, "values": values}, handle, sort_keys=True)


def _records():
    by_section = dict((section, []) for section in SECTIONS)
    for path in sorted(glob.glob(os.path.join(REPORT_DIR, "*.json"))):
        with open(path) as handle:
            entry = json.load(handle)
        by_section.setdefault(entry["section"], []).append(entry["values"])
    return by_section


def write_if_complete(config):
    """Write the document when the run covered the whole of tests/reliability, unfiltered."""
    selected = [os.path.normpath(str(argument)) for argument in config.args]
    whole = any(os.path.normpath(os.path.join(COLLECTION_ROOT, "tests", "reliability")).startswith(os.path.abspath(path))
                for path in selected)
    if not whole or config.option.keyword or config.option.markexpr or getattr(config.option, "lf", False):
        return
    figures = _records()
    if not all(figures[section] for section in SECTIONS):
        return
    text = render(figures)
    if not os.path.exists(DOCUMENT) or open(DOCUMENT).read() != text:
        with open(DOCUMENT, "w") as handle:
            handle.write(text)


def _row(*cells):
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def _by_path(entries):
    return dict((entry["path"], entry) for entry in entries)


def render(figures):
    from ..reliability.corpus import CASES

    corpus = _by_path(figures["corpus"])
    faults = sorted(figures["faults"], key=lambda entry: (entry["fault"], entry["path"]))
    fault_names = sorted(set(entry["fault"] for entry in faults))
    check_mode = sorted(figures["check_mode"], key=lambda entry: (entry["target"], entry["path"]))
    secrets = sorted(figures["secrets"], key=lambda entry: (entry["given_as"], entry["path"]))
    prop = {}
    for entry in figures["property"]:
        prop.update(entry)
    single = _by_path(figures["scale_single"])
    bulk = _by_path(figures["scale_bulk"])
    cases_tried = sum(entry["cases"] for entry in corpus.values())
    faults_survived = len(faults)
    rules_lost = (sum(entry["rules_lost"] for entry in faults) + sum(entry["rules_lost"] for entry in bulk.values())
                  + prop["rules_beyond_reference"])

    lines = [
        "# Reliability",
        "",
        "Generated from the last full run of `make test` (`tests/reliability/`, `tests/support/reliability_report.py`); "
        "do not edit by hand. Every figure below comes from a test that passed; each test asserts what it reports.",
        "",
        "| evidence | figure |",
        "| --- | ---: |",
        "| hostile inputs tried (cases x execution paths) | %d |" % cases_tried,
        "| faults survived (cases x execution paths) | %d |" % faults_survived,
        "| matching test cases checked against a reference model | %d |" % (
            prop["examples"] + prop["moto_examples"] + prop["rule_filters_examples"] + prop["rule_filters_moto_examples"]),
        "| scenarios run in check mode (x execution paths) | %d |" % len(check_mode),
        "| API calls made for hostile input | %d |" % sum(entry["api_calls"] for entry in corpus.values()),
        "| credential leaks found | %d |" % sum(entry["leaks"] for entry in secrets),
        "| **rules lost** (removed without being asked) | **%d** |" % rules_lost,
        "",
        "Execution paths: *in-process* (the action plugin, on the controller) and *module* (the module, as on a "
        "remote host). Everything runs against moto_server on 127.0.0.1 with the built collection installed; "
        "faults are injected by an HTTP proxy between Ansible and the endpoint.",
        "",
        "## Hostile and malformed input",
        "",
        "%d cases in one table (`tests/reliability/corpus.py`), each given to each path's own validation and parsing "
        "(the module's `AnsibleModule`, the action plugin's in-process validation) with EC2 clients that fail any "
        "call, and a selection of them run as a playbook on each path against the endpoint. Each case failed with a "
        "message naming the option and the value, without a traceback; %d API calls were made." % (
            len(CASES), sum(entry["api_calls"] for entry in corpus.values())),
        "",
        "| path | cases | failed as expected | API calls | endpoint changed |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    lines += [_row(path, entry["cases"], entry["cases"], entry["api_calls"], "yes" if entry["state_changed"] else "no")
              for path, entry in sorted(corpus.items())]
    lines += ["", "Cases: " + "; ".join(name for name, _module, _arguments, _expected in CASES) + ".", ""]

    lines += [
        "## Faults",
        "",
        "Each fault on each path; the outcome asserted, and the rules removed compared with those asked for.",
        "",
        "| fault | in-process | module | rules lost |",
        "| --- | --- | --- | ---: |",
    ]
    for name in fault_names:
        outcomes = dict((entry["path"], entry) for entry in faults if entry["fault"] == name)
        lost = sum(entry["rules_lost"] for entry in outcomes.values())
        lines.append(_row(name.replace("_", " "), outcomes["in-process"]["outcome"], outcomes["module"]["outcome"], lost))

    lines += [
        "",
        "## Matching, property-based",
        "",
        "Hypothesis generates egress rule sets (protocols by name and number, tcp/udp ranges and all-ports rules stored "
        "either way, ICMP types and codes, IPv4 and IPv6 CIDRs with host bits set, prefix lists, group references, "
        "descriptions, ingress rules) and requests in every input form (rule IDs, snake_case and CamelCase "
        "`ip_permissions`, shorthand, non-canonical CIDRs, protocol numbers). The module's selection is compared with "
        "a reference model written plainly in the test. Hypothesis runs deterministically (`derandomize`), so the "
        "counts are the same on every run.",
        "",
        "| run | test cases run | selections differing from the reference | rules revoked by a second run |",
        "| --- | ---: | ---: | ---: |",
        _row("pure matching", prop["examples"], prop["mismatches"], prop["second_run_revocations"]),
        _row("module on moto (endpoint state)", prop["moto_examples"], prop["moto_mismatches"],
             prop["moto_second_run_revocations"]),
        _row("`rule_filters` and `keep`, pure", prop["rule_filters_examples"], prop["rule_filters_mismatches"],
             prop["rule_filters_second_run_revocations"]),
        _row("`rule_filters` and `keep`, module on moto (endpoint state)", prop["rule_filters_moto_examples"],
             prop["rule_filters_moto_mismatches"], prop["rule_filters_moto_second_run_revocations"]),
        "",
        "Undo: Hypothesis generates a group's egress rules on moto (with descriptions and rule tags) and revokes them "
        "by rule IDs, `ip_permissions`, shorthand, `revoke_all`, `rule_filters`, or in bulk over two groups; the "
        "restore module, given the revoke's registered result, must give every group back exactly the rule set it "
        "had (protocol, ports, destination, description, tags), and a second restore must only describe.",
        "",
        "| run | test cases run | rule sets differing after the restore | write calls of a second restore |",
        "| --- | ---: | ---: | ---: |",
        _row("revoke, then restore from its result (moto)", prop["restore_examples"], prop["restore_mismatches"],
             prop["second_restore_writes"]),
        "",
        "For `rule_filters` and `keep`, rules also carry descriptions and rule tags, and requests are random predicate "
        "sets (protocols, port lists and ranges, CIDR containment both ways, bare addresses, groups, prefix lists, "
        "description patterns, tags, stale references); the reference computes port coverage by enumerating ports and "
        "containment on integer address ranges.",
        "",
        "## Check mode never mutates",
        "",
        "Every integration scenario, run with `--check --diff` on the in-process path, and the single group with check "
        "and diff also on the module path: the endpoint state was the same afterwards, and every "
        "`RevokeSecurityGroupEgress` call carried `DryRun=true`.",
        "",
        "| scenario | path | revoke calls | with DryRun |",
        "| --- | --- | ---: | ---: |",
    ]
    lines += ["| %s | %s | %d | %d |" % (entry["target"], entry["path"], entry["revoke_calls"], entry["dry_run_calls"])
              for entry in check_mode]

    lines += [
        "",
        "## Secrets",
        "",
        "Access key, secret key and session token, given as module options or as environment variables, searched for "
        "in the `-vvv` output, the task results and the `egress_review` report (`egress-review.md` and "
        "`egress-review.json`) of a run with a diff, bad input, an unknown group, an access denial and a restore.",
        "",
        "| given as | path | leaks |",
        "| --- | --- | ---: |",
    ]
    lines += ["| %s | %s | %d |" % (entry["given_as"], entry["path"], entry["leaks"]) for entry in secrets]

    lines += [
        "",
        "## Scale",
        "",
        "One group's task, as the region holds more other groups: the API calls stay the same, and the task's time "
        "stays flat: %s." % next(iter(single.values()))["time_bound"],
        "",
        "| path | other groups in the region | API calls of the task |",
        "| --- | --- | --- |",
    ]
    lines += [_row(path, ", ".join("{:,}".format(size) for size in entry["region_sizes"]),
                   ", ".join(str(calls) for calls in entry["calls"])) for path, entry in sorted(single.items())]
    lines += [
        "",
        "Bulk over more groups than one describe call takes (200), with throttling injected on some calls: "
        "every intended rule revoked, nothing else.",
        "",
        "| path | groups | throttled calls injected | rules revoked | rules lost |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    lines += ["| %s | %d | %d | %d | %d |" % (path, entry["groups"], entry["throttled_calls"], entry["rules_revoked"],
                                              entry["rules_lost"]) for path, entry in sorted(bulk.items())]
    lines += [
        "",
        "## Interrupted runs",
        "",
        "A bulk run over %d groups, %d at a time, with a `journal`, and its `ansible-playbook` process group sent the "
        "signal once the journal names %d groups. Each test asserts that fewer than %d groups lost rules in all (no "
        "write started once the run was gone), that no process of the run was left %d seconds later, that the journal "
        "has its `abandoned` line, and that the journal, read as its docs say (torn lines skipped, open intents settled "
        "with one describe of their groups), matches the endpoint."
        % tuple(figures["interrupt"][0][key] for key in ("groups", "concurrency", "kill_after", "most_changed",
                                                         "gone_within")),
        "",
        "| signal | path | groups | groups that lost rules | removed rules the journal does not name "
        "| rules recorded as revoked but present |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    lines += ["| %s | %s | %d | %d | %d | %d |" % (entry["signal"], entry["path"], entry["groups"], entry["groups_changed"],
                                                   entry["removed_not_named"], entry["recorded_but_present"])
              for entry in sorted(figures["interrupt"], key=lambda entry: (entry["signal"], entry["path"]))]
    return "\n".join(lines) + "\n"
