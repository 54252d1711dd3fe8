# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The journal: a JSON Lines write-ahead record of revokes that survives an interrupted run.

Each run appends a ``run`` line; before each revoke call an ``intent`` line names
the rules about to go (with what restoring them needs, in ``IpPermissions``
shape), flushed to disk; after AWS answers, an ``outcome`` line says what went.
A kill can land between AWS removing the rules and the outcome line, or in the
middle of a line: readers skip lines that are not whole JSON, and settle an
intent without outcome by describing its group once (``settle``).

The record builders and readers are pure; ``Journal`` is the file part: one
append per line, under an exclusive lock, so that several processes (the hosts
of one play) can share a path.
"""

import datetime
import json
import os
import threading
import uuid

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError, quoted
from ansible_collections.netguard.aws.plugins.module_utils.formatting import ip_permissions, rule_summary

try:
    import fcntl
except ImportError:  # not POSIX: the lock between processes is left out, the one between threads stays
    fcntl = None

FORMAT = "netguard.aws/journal/1"
REVOKED = "revoked"
FAILED = "failed"
WOULD_REVOKE = "would_revoke"


def _quoted_path(path):
    # A path is quoted whole: shortened, it would not say which file.
    return quoted(path, limit=4096)


def _now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")


def run_record(run_id, check_mode, module, now):
    return {"type": "run", "format": FORMAT, "run": run_id, "time": now, "module": module, "check_mode": check_mode,
            "pid": os.getpid()}


def intent_record(run_id, entry, group, region, rules, check_mode, now):
    """The rules about to be revoked from ``group`` (a ``DescribeSecurityGroups`` entry, at least ``GroupId``)."""
    return {"type": "intent", "run": run_id, "entry": entry, "time": now, "check_mode": check_mode,
            "account": group.get("OwnerId") or next((rule.api_rule.get("GroupOwnerId") for rule in rules), None),
            "region": region, "group_id": group["GroupId"], "rule_ids": [rule.rule_id for rule in rules],
            "ip_permissions": ip_permissions(rules), "rules": [rule_summary(rule) for rule in rules]}


def outcome_record(run_id, entry, status, revoked_rule_ids, msg, now):
    record = {"type": "outcome", "run": run_id, "entry": entry, "time": now, "status": status,
              "revoked_rule_ids": list(revoked_rule_ids)}
    if msg is not None:
        record["msg"] = msg
    return record


def parse_journal(text):
    """``(records, skipped)``: the whole JSON lines of a journal, and how many lines were not whole."""
    records = []
    skipped = 0
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            skipped += 1
            continue
        if isinstance(record, dict) and "type" in record:
            records.append(record)
        else:
            skipped += 1
    return records, skipped


def open_intents(records):
    """The intents (outside check mode) that have no outcome: the run stopped between the two lines."""
    answered = set((record["run"], record["entry"]) for record in records if record["type"] == "outcome")
    intents = [record for record in records if record["type"] == "intent" and not record.get("check_mode")]
    return [intent for intent in intents if (intent["run"], intent["entry"]) not in answered]


def settle(intent, present_rule_ids):
    """What became of an open intent, from the rule IDs its group has now: ``(revoked, still present)``."""
    present = set(present_rule_ids)
    return ([rule_id for rule_id in intent["rule_ids"] if rule_id not in present],
            [rule_id for rule_id in intent["rule_ids"] if rule_id in present])


def revoked_in_journal(records, run=None):
    """``(intent, rule IDs that may have gone)`` for each intent of ``run`` (every run if None) outside check mode.

    An intent whose outcome is ``revoked`` gave up the rules it names; an open intent may have given up all of
    its rules (which of them did, only describing the group tells); a ``failed`` one gave up none.
    """
    outcomes = dict(((record.get("run"), record.get("entry")), record) for record in records
                    if record["type"] == "outcome")
    revoked = []
    for intent in records:
        if intent["type"] != "intent" or intent.get("check_mode") or run not in (None, intent.get("run")):
            continue
        outcome = outcomes.get((intent.get("run"), intent.get("entry")))
        if outcome is None:
            revoked.append((intent, list(intent.get("rule_ids") or ())))
        elif outcome.get("status") == REVOKED:
            revoked.append((intent, list(outcome.get("revoked_rule_ids") or ())))
    return revoked


def read_journal(path, option="journal"):
    """The records of the journal at ``path``; fails naming ``option`` when it cannot be read."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except (IOError, OSError) as error:
        raise NetguardAwsError("%s %s cannot be read: %s" % (option, _quoted_path(path), error.strerror or error))
    records, _skipped = parse_journal(text)
    if text.strip() and not any(record["type"] == "run" and record.get("format") == FORMAT for record in records):
        raise NetguardAwsError("%s %s is not a journal of netguard.aws (no line of format %s)"
                               % (option, _quoted_path(path), FORMAT))
    return records


def open_journal(path, check_mode, module):
    """A ``Journal`` appending to ``path``, its run line written; fails naming the option if it cannot."""
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise NetguardAwsError("journal %s is a directory: give the path of a file" % _quoted_path(path))
    if not os.path.isdir(directory):
        raise NetguardAwsError("journal %s cannot be written: its directory %s does not exist"
                               % (_quoted_path(path), _quoted_path(directory)))
    for target, what in ((directory, "directory"), (path, "file")):
        # The mode bits too: root may write where nobody is meant to.
        read_only = os.path.exists(target) and (not os.stat(target).st_mode & 0o222 or not os.access(target, os.W_OK))
        if read_only:
            raise NetguardAwsError("journal %s cannot be written: its %s%s is read-only" % (
                _quoted_path(path), what, "" if target == path else " " + _quoted_path(directory)))
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    except OSError as error:
        raise NetguardAwsError("journal %s cannot be written: %s" % (_quoted_path(path), error.strerror))
    journal = Journal(descriptor, path, check_mode)
    journal.append(run_record(journal.run_id, check_mode, module, _now()))
    return journal


class Journal:
    """An open journal file; ``intent`` and ``outcome`` append one synced line each."""

    def __init__(self, descriptor, path, check_mode):
        self.path = path
        self.run_id = uuid.uuid4().hex
        self.check_mode = check_mode
        self._descriptor = descriptor
        self._lock = threading.Lock()
        self._entries = 0

    def reference(self):
        """The result's ``journal``: where this run's lines are."""
        return {"path": self.path, "run": self.run_id}

    def intent(self, group, region, rules):
        with self._lock:
            self._entries += 1
            entry = self._entries
        self.append(intent_record(self.run_id, entry, group, region, rules, self.check_mode, _now()))
        return entry

    def outcome(self, entry, status, revoked_rule_ids=(), msg=None):
        self.append(outcome_record(self.run_id, entry, status, revoked_rule_ids, msg, _now()))

    def append(self, record):
        line = (json.dumps(record, sort_keys=True) + "\n").encode("utf-8")
        with self._lock:
            if fcntl is not None:
                fcntl.flock(self._descriptor, fcntl.LOCK_EX)
            try:
                size = os.fstat(self._descriptor).st_size
                # A run killed mid-line left no newline: end that torn line, so that this one stays whole.
                if size and os.pread(self._descriptor, 1, size - 1) != b"\n":
                    line = b"\n" + line
                os.write(self._descriptor, line)
                os.fsync(self._descriptor)
            except OSError as error:
                raise NetguardAwsError("journal %s cannot be written: %s" % (_quoted_path(self.path), error.strerror))
            finally:
                if fcntl is not None:
                    fcntl.flock(self._descriptor, fcntl.LOCK_UN)

    def close(self):
        os.close(self._descriptor)
