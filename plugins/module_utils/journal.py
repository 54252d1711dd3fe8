# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The journal: a JSON Lines write-ahead record of a task's writes that survives an interrupted run.

Each run appends a ``run`` line; before each write call an ``intent`` line names
the rules about to go (``action`` ``revoke``, with what restoring them needs, in
``IpPermissions`` shape) or about to be added (``authorize``), flushed to disk;
after AWS answers, an ``outcome`` line says what went, or the new rules' IDs. A run
that stops before its end (the controller went away, SIGINT, SIGTERM) appends an
``abandoned`` line. A kill can land between AWS removing the rules and the outcome
line, or in the middle of a line: readers skip lines that are not whole JSON, and
settle an intent without outcome by describing its group once (``settle``).

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
from ansible_collections.netguard.aws.plugins.module_utils.rules import owner_of

try:
    import fcntl
except ImportError:  # not POSIX: the lock between processes is left out, the one between threads stays
    fcntl = None

FORMAT = "netguard.aws/journal/1"
REVOKE = "revoke"
AUTHORIZE = "authorize"
REVOKED = "revoked"
AUTHORIZED = "authorized"
FAILED = "failed"
WOULD_REVOKE = "would_revoke"
WOULD_AUTHORIZE = "would_authorize"
# The outcome's list of rule IDs, by the intent's action: those that went, or those that were added.
_OUTCOME_IDS = {REVOKE: "revoked_rule_ids", AUTHORIZE: "authorized_rule_ids"}


def _quoted_path(path):
    # A path is quoted whole: shortened, it would not say which file.
    return quoted(path, limit=4096)


def _now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")


def run_record(run_id, check_mode, module, now):
    return {"type": "run", "format": FORMAT, "run": run_id, "time": now, "module": module, "check_mode": check_mode,
            "pid": os.getpid()}


def intent_record(run_id, entry, group, region, rules, check_mode, now, action=REVOKE):
    """The rules about to be revoked from (or added to) ``group`` (a ``DescribeSecurityGroups`` entry, at least
    ``GroupId``); rules to add have no ID yet."""
    return {"type": "intent", "run": run_id, "entry": entry, "time": now, "check_mode": check_mode, "action": action,
            "account": owner_of(group, rules), "region": region, "group_id": group["GroupId"],
            "rule_ids": [rule.rule_id for rule in rules if rule.rule_id],
            "ip_permissions": ip_permissions(rules), "rules": [rule_summary(rule) for rule in rules]}


def outcome_record(run_id, entry, status, rule_ids, msg, now, action=REVOKE):
    record = {"type": "outcome", "run": run_id, "entry": entry, "time": now, "status": status,
              _OUTCOME_IDS[action]: list(rule_ids)}
    if msg is not None:
        record["msg"] = msg
    return record


def abandoned_record(run_id, reason, not_started, now):
    """The run stopped before its end: why, and how many groups it never wrote to."""
    return {"type": "abandoned", "run": run_id, "time": now, "reason": reason, "groups_not_started": not_started}


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
        if intent["type"] != "intent" or intent.get("check_mode") or run not in (None, intent.get("run")) \
                or intent.get("action", REVOKE) != REVOKE:
            continue
        outcome = outcomes.get((intent.get("run"), intent.get("entry")))
        if outcome is None:
            revoked.append((intent, list(intent.get("rule_ids") or ())))
        elif outcome.get("status") == REVOKED:
            revoked.append((intent, list(outcome.get("revoked_rule_ids") or ())))
    return revoked


def authorized_in_journal(records, run=None):
    """``(intent, IDs of the rules it added, or None when its outcome is missing)`` for each authorize intent of
    ``run`` (every run if None) outside check mode that did not fail. Without an outcome, the rules may or may not have
    been added, and their IDs are not known."""
    outcomes = dict(((record.get("run"), record.get("entry")), record) for record in records
                    if record["type"] == "outcome")
    added = []
    for intent in records:
        if intent["type"] != "intent" or intent.get("check_mode") or run not in (None, intent.get("run")) \
                or intent.get("action") != AUTHORIZE:
            continue
        outcome = outcomes.get((intent.get("run"), intent.get("entry")))
        if outcome is None:
            added.append((intent, None))
        elif outcome.get("status") == AUTHORIZED:
            added.append((intent, list(outcome.get("authorized_rule_ids") or ())))
    return added


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

    def intent(self, group, region, rules, action=REVOKE):
        with self._lock:
            self._entries += 1
            entry = self._entries
        self.append(intent_record(self.run_id, entry, group, region, rules, self.check_mode, _now(), action))
        return entry

    def outcome(self, entry, status, rule_ids=(), msg=None, action=REVOKE):
        self.append(outcome_record(self.run_id, entry, status, rule_ids, msg, _now(), action))

    def abandoned(self, reason, not_started):
        self.append(abandoned_record(self.run_id, reason, not_started, _now()))

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
