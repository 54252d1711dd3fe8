# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Whether the run a task belongs to still wants it to write: the controller is there, and nobody said stop.

Ansible runs each task in a worker process of its own session, forked from
``ansible-playbook``; a module on the controller runs below that worker. A signal
to ``ansible-playbook``'s process group does not reach them, and when
``ansible-playbook`` dies (SIGKILL, a lost controller) they are left running. So
before each write call the writer asks the lifeline, which knows two things: the
chain of processes from this one up to the controller (``ansible-playbook``), each
of which must still have the parent it had when the task began; and whether SIGINT
or SIGTERM arrived while it watched.

The controller is the worker's parent; the action plugin tells a module it starts on
the controller which process that is (``CONTROLLER_VARIABLE``). A module started
otherwise (on a remote host, say) watches up to the process that started its session.
The chain is read from ``/proc`` where there is one; elsewhere only this process's
own parent is watched, which is all an in-process task needs.
"""

import os
import signal
import threading
from contextlib import contextmanager

STOP_SIGNALS = ("SIGINT", "SIGTERM")
# Set by the action plugin for a module it runs on the controller: the process ID of ansible-playbook.
CONTROLLER_VARIABLE = "NETGUARD_AWS_CONTROLLER_PID"


class Stopped(Exception):
    """The run went away, or was told to stop: no further write may start."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def _parent_of(pid):
    """The parent of ``pid`` from ``/proc``, or None where it cannot be read (gone, or no ``/proc``)."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as handle:
            stat = handle.read()
    except OSError:
        return None
    # The command name, in parentheses, may hold spaces; the state and the parent follow it.
    return int(stat[stat.rindex(b")") + 2:].split()[1])


def _session_of(pid):
    try:
        return os.getsid(pid)
    except OSError:
        return None


def ancestry(controller=None):
    """``[(pid, its parent)]`` from this process up to ``controller``, or, without it (or when it is no ancestor),
    up to the first ancestor outside this process's session, the process that started the session."""
    session = os.getsid(0)
    links = []
    pid, parent = os.getpid(), os.getppid()
    while parent is not None and parent > 1:
        links.append((pid, parent))
        if parent == controller or _session_of(parent) != session:
            break
        pid, parent = parent, _parent_of(parent)
    return links


def controller_from_environment():
    """The controller's process ID that the action plugin passed down, or None."""
    value = os.environ.get(CONTROLLER_VARIABLE, "")
    return int(value) if value.isdigit() else None


class Lifeline:
    """Tells the writer when to stop: ``check()`` raises ``Stopped`` once the run went away or was told to stop.

    ``controller``: the process ID of ``ansible-playbook``, when known (see ``ancestry``).
    """

    def __init__(self, controller=None):
        self._links = ancestry(controller)
        self._reason = None
        self._lock = threading.Lock()

    def reason(self):
        """Why the run stopped, or None while it goes on."""
        with self._lock:
            if self._reason is None:
                self._reason = self._lost()
            return self._reason

    def check(self):
        reason = self.reason()
        if reason is not None:
            raise Stopped(reason)

    def _lost(self):
        me = os.getpid()
        for pid, parent in self._links:
            now = os.getppid() if pid == me else _parent_of(pid)
            if now != parent:
                return "the process that started this run (pid %d) is gone" % self._links[-1][1]
        return None

    def stop(self, reason):
        with self._lock:
            if self._reason is None:
                self._reason = reason

    @contextmanager
    def watching_signals(self):
        """Within the block, SIGINT and SIGTERM stop the writes instead of the process (main thread only: Python
        lets no other thread set a handler); the handlers before it are put back after."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {}

        def handle(signum, _frame):
            self.stop("stopped by %s" % signal.Signals(signum).name)

        for name in STOP_SIGNALS:
            number = getattr(signal, name)
            previous[number] = signal.signal(number, handle)
        try:
            yield
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
