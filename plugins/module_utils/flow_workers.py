# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Many gzip flow log objects tallied on every processor: worker processes each tally whole objects, and what they
tally is merged into this process' tally.

Pure and standard library only, like flow_tally.py. A worker is a new process of this
Python (``sys.executable``) that imports this module from the ``sys.path`` entry this
process found it in, which holds on both execution paths: an Ansible module's payload
(a zip file on ``sys.path``) and a controller process that found the collection
through Ansible's collection loader (the directory that holds ``ansible_collections``).
Nothing is forked without a new program: the calling process may run threads.

Each worker has a thread here that streams objects to it, one at a time, whole; this
process' own thread merges what the workers answer: after each object, the reverse
records it kept (which grow with the connections to the interfaces' services, so no
worker keeps them), and at the end the rest of its tally.
"""

import itertools
import os
import pickle
import selectors
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback

from ansible_collections.netguard.aws.plugins.module_utils.flow_tally import FlowTally

# Seconds of tallying in this process before workers start (starting one takes some 50 ms): a task that reads
# little starts none, and one that reads much loses at most this to a single processor.
PARALLEL_AFTER = 0.5
# Each worker holds the flows of the objects it read until the end: memory grows with the workers.
MAX_WORKERS = 4
# A frame, either way: its kind and the length of the bytes that follow.
_FRAME = struct.Struct("!cQ")
# To a worker: its settings, an object's chunks and end, the end of its input.
_SETTINGS, _CHUNK, _END, _DONE = b"t", b"c", b"e", b"d"
# From a worker: ready; reverse records after each object; at the end, its state in pieces, then done; or its error.
_READY, _REVERSE, _STATE, _FINISHED, _ERROR = b"r", b"v", b"s", b"f", b"x"
# Entries of a state piece: neither side holds a second copy of the whole state, nor pickle's table of every object.
_PIECE = 4096
_BOOT = ("import importlib, sys; sys.path.insert(0, sys.argv[1]); "
         "sys.exit(importlib.import_module(sys.argv[2]).serve())")


class FlowWorkerError(RuntimeError):
    """A worker failed with an error that could not be carried over as itself (its traceback is the message)."""


def tally_gzip_objects(tally, objects, fields, processes=None, after=PARALLEL_AFTER):
    """Feed ``tally`` (a ``FlowTally``) with gzip objects: the same flows, interfaces and counts as
    ``tally.feed_gzip(chunks, fields)`` on each object in turn, whichever process tallied which.

    ``objects``: an iterable of zero-argument callables, each returning an iterable of the compressed chunks (bytes)
    of one gzip object, such as an S3 text flow log file's body; its first line may be a header of field names,
    which then gives its format, else ``fields`` does. Each callable is called once.

    This process tallies alone for ``after`` seconds; if objects are left then, ``processes`` worker processes
    tally the rest (by default one for each processor this process may use, at most ``MAX_WORKERS``; fewer than 2:
    none), each fed by a thread of this process that takes the next object (the iteration of ``objects`` is
    serialised) and calls it: so the callables may run concurrently, and in other threads than the caller's.
    Workers that cannot start (no ``sys.executable``, or it cannot import this module) leave the rest to this
    process.

    Returns the number of worker processes that tallied objects (0: all were tallied here).

    Errors: an exception raised by ``objects``, a callable or its chunks is raised here as it was; an error in a
    worker (a corrupt object: ``zlib.error``) is raised here as the same exception, or as ``FlowWorkerError`` where
    it cannot be carried over; ``tally`` is then incomplete. Either way the workers are stopped and reaped before
    this returns or raises, and a worker whose parent dies sees its input end and exits.
    """
    objects = iter(objects)
    count = min(_processors(), MAX_WORKERS) if processes is None else processes
    deadline = time.monotonic() + after
    for body in objects:
        if count > 1 and time.monotonic() >= deadline:
            objects = itertools.chain((body,), objects)
            break
        tally.feed_gzip(body(), fields)
    else:
        return 0
    workers = _start(count, tally.settings(), fields)
    if not workers:
        for body in objects:
            tally.feed_gzip(body(), fields)
        return 0
    sharing = _Sharing(objects)
    threads = [threading.Thread(target=sharing.feed, args=(worker,), daemon=True) for worker in workers]
    try:
        for thread in threads:
            thread.start()
        _merge_answers(tally, workers, sharing)
        for thread in threads:
            thread.join()
        if sharing.failures:
            raise sharing.failures[0]
    finally:
        sharing.stop.set()
        for worker in workers:
            worker.close()
        # Stopped workers end their threads' writes at once.
        for thread in threads:
            if thread.ident is not None:
                thread.join()
    return len(workers)


def _processors():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _import_root():
    """The ``sys.path`` entry this module was imported from: one directory up for each part of its name."""
    root = os.path.abspath(__file__)
    for _part in __name__.split("."):
        root = os.path.dirname(root)
    return root


def _start(count, settings, fields):
    """``count`` workers, each ready to tally; none if any of them cannot start."""
    if not sys.executable:
        return []
    workers = []
    try:
        for _index in range(count):
            workers.append(_Worker(settings, fields))
        if all(worker.ready() for worker in workers):
            return workers
    except OSError:
        pass
    for worker in workers:
        worker.close()
    return []


def _merge_answers(tally, workers, sharing):
    """Merge what the workers answer into ``tally`` until each has finished; raise the first error, the one of a
    feeding thread first (a worker whose input was cut short only reports that)."""
    with selectors.DefaultSelector() as selector:
        for worker in workers:
            selector.register(worker.answers, selectors.EVENT_READ, worker)
        while selector.get_map():
            for key, _events in selector.select():
                try:
                    finished = key.data.merge_answers(tally)
                except BaseException:
                    sharing.stop.set()
                    if sharing.failures:
                        raise sharing.failures[0]
                    raise
                if finished:
                    selector.unregister(key.fileobj)


class _Sharing:
    """The objects, taken one at a time by each worker's thread."""

    def __init__(self, objects):
        self._objects, self._lock = objects, threading.Lock()
        self.stop = threading.Event()
        self.failures = []

    def _next(self):
        with self._lock:
            return None if self.stop.is_set() else next(self._objects, None)

    def feed(self, worker):
        try:
            body = self._next()
            while body is not None:
                worker.send(body())
                body = self._next()
            worker.finish()
        except BrokenPipeError:
            # The worker ended: its answers say why.
            self.stop.set()
        except BaseException as error:  # pylint: disable=broad-except
            self.failures.append(error)
            self.stop.set()
            # Its input cut short, the worker ends.
            worker.abandon()


class _Worker:
    """One worker process: objects are framed on its standard input; it answers in frames on its standard
    output."""

    def __init__(self, settings, fields):
        # Its error output goes to a file: a pipe nobody reads could fill and block it.
        self._errors = tempfile.TemporaryFile()
        try:
            # A worker talks to this process over pipes for as long as the objects last; run_command runs a command to
            # its end, and needs an AnsibleModule, which the controller's in-process path does not have.
            self._process = subprocess.Popen(  # pylint: disable=ansible-bad-function
                [sys.executable, "-c", _BOOT, _import_root(), __name__],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._errors)
        except BaseException:
            self._errors.close()
            raise
        # Answers are read as they come (a buffered reader would hide what it read ahead from select()).
        self.answers, self._received, self._finished = self._process.stdout.fileno(), bytearray(), False
        self._send_frame(_SETTINGS, pickle.dumps((settings, fields), pickle.HIGHEST_PROTOCOL))

    def _send_frame(self, kind, data=b""):
        self._process.stdin.write(_FRAME.pack(kind, len(data)))
        if data:
            self._process.stdin.write(data)

    def ready(self):
        try:
            self._process.stdin.flush()
        except BrokenPipeError:
            return False
        while len(self._received) < _FRAME.size:
            data = os.read(self.answers, _FRAME.size - len(self._received))
            if not data:
                return False
            self._received += data
        kind, _size = _FRAME.unpack_from(self._received)
        del self._received[:]
        return kind == _READY

    def send(self, chunks):
        """Stream one object's compressed chunks."""
        for chunk in chunks:
            if chunk:
                self._send_frame(_CHUNK, chunk)
        self._send_frame(_END)

    def finish(self):
        """The end of the input: the worker answers with its state."""
        self._send_frame(_DONE)
        self._process.stdin.close()

    def abandon(self):
        try:
            self._process.stdin.close()
        except BrokenPipeError:
            pass

    def merge_answers(self, tally):
        """Read what the worker answered and merge each whole answer into ``tally``; True once it finished. Raises
        the worker's error."""
        data = os.read(self.answers, 1 << 16)
        if not data:
            self._process.wait()
            self._errors.seek(0)
            raise FlowWorkerError("a flow log worker process ended with exit code %s: %s" % (
                self._process.returncode, self._errors.read().decode("utf-8", "replace").strip() or "no message"))
        received = self._received
        received += data
        while len(received) >= _FRAME.size:
            kind, size = _FRAME.unpack_from(received)
            if len(received) < _FRAME.size + size:
                break
            answer = bytes(received[_FRAME.size:_FRAME.size + size])
            del received[:_FRAME.size + size]
            if kind == _REVERSE:
                tally.merge(({}, {}, pickle.loads(answer), (), (), 0))
            elif kind == _STATE:
                tally.merge(pickle.loads(answer))
            elif kind == _ERROR:
                error, text = pickle.loads(answer)
                raise error if error is not None else FlowWorkerError(text)
            elif kind == _FINISHED:
                self._finished = True
        return self._finished

    def close(self):
        """Stop the process if it still runs, and reap it."""
        if self._process.poll() is None:
            self._process.kill()
        for stream in (self._process.stdin, self._process.stdout):
            try:
                stream.close()
            except BrokenPipeError:
                pass
        self._process.wait()
        self._errors.close()


def serve():
    """A worker: tally the objects framed on standard input, answering on standard output; returns the exit
    status."""
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    try:
        _answer(sink, _READY)
        try:
            kind, size = _read_frame(source)
            if kind != _SETTINGS:
                raise FlowWorkerError("a flow log worker was sent %r before its settings" % kind)
            settings, fields = pickle.loads(_read_exactly(source, size))
            tally = FlowTally(*settings)
            kind, size = _read_frame(source)
            while kind != _DONE:
                tally.feed_gzip(_object_chunks(source, kind, size), fields)
                reverse = tally.take_reverse_records()
                if reverse:
                    _answer(sink, _REVERSE, pickle.dumps(reverse, pickle.HIGHEST_PROTOCOL))
                kind, size = _read_frame(source)
            for piece in _pieces(tally.state()):
                _answer(sink, _STATE, pickle.dumps(piece, pickle.HIGHEST_PROTOCOL))
        except Exception as error:  # pylint: disable=broad-except
            text = traceback.format_exc()
            try:
                report = pickle.dumps((error, text), pickle.HIGHEST_PROTOCOL)
                pickle.loads(report)
            except Exception:  # pylint: disable=broad-except
                report = pickle.dumps((None, text), pickle.HIGHEST_PROTOCOL)
            _answer(sink, _ERROR, report)
            return 1
        _answer(sink, _FINISHED)
    except BrokenPipeError:
        # The parent is gone: nobody to tell.
        return 1
    return 0


def _answer(sink, kind, data=b""):
    sink.write(_FRAME.pack(kind, len(data)) + data)
    sink.flush()


def _pieces(state):
    """``state`` as partial states of at most ``_PIECE`` entries each."""
    flows, candidates, inbound, seen, skipped, unreadable = state
    yield {}, {}, (), seen, skipped, unreadable
    for entries, make in ((flows.items(), lambda part: (dict(part), {}, (), (), (), 0)),
                          (candidates.items(), lambda part: ({}, dict(part), (), (), (), 0)),
                          (inbound, lambda part: ({}, {}, part, (), (), 0))):
        entries = iter(entries)
        part = list(itertools.islice(entries, _PIECE))
        while part:
            yield make(part)
            part = list(itertools.islice(entries, _PIECE))


def _object_chunks(source, kind, size):
    while kind == _CHUNK:
        yield _read_exactly(source, size)
        kind, size = _read_frame(source)
    if kind != _END:
        raise FlowWorkerError("a flow log worker was sent %r within an object" % kind)


def _read_frame(source):
    return _FRAME.unpack(_read_exactly(source, _FRAME.size))


def _read_exactly(source, size):
    data = source.read(size)
    if len(data) != size:
        # The other side is gone or stopped this one.
        raise EOFError("a flow log worker's pipe ended early")
    return data
