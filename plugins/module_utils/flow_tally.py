# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The flows each interface sent, tallied from flow log records in one pass, in memory bounded by distinct flows.

Pure and standard library only, so that a reader process can import it alone. A
reader hands over records as lines of bytes in a known field order (``feed``); the
tally keeps, per (interface, protocol, destination, port), packets, bytes, first
start and last end of the accepted records the interface sent in the window, and
leaves out replies to connections that started inbound:

- ``tcp-flags``, where logged and decisive: SYN with ACK is the responder's record
  (a reply), SYN alone the initiator's (sent);
- else the ports: a record whose local port is a service port (below 32768) and
  whose remote port is ephemeral (32768-65535: Linux's range, which holds the
  49152-65535 of other systems) is a reply if its reverse record (remote to local,
  same protocol and ports) was accepted too. The reverse of an outbound
  connection's record is on the local *ephemeral* port, so it never makes an
  outbound record look like a reply;
- anything else counts as sent: keeping a rule is the safe error.

Direction comes from ``flow-direction`` where logged; otherwise a record is
inbound when its destination is one of the interface's own addresses and its
source is not, and sent in every other case (again the safe side).
"""

import zlib
from collections import namedtuple
from operator import itemgetter

from ansible_collections.netguard.aws.plugins.module_utils.flow_format import TALLY_FIELDS, header_fields

Flow = namedtuple("Flow", ["interface", "protocol", "destination", "port", "packets", "bytes", "first", "last"])
Flow.__doc__ = """Accepted records an interface sent to one destination address and port: ``protocol`` is the IANA
number, ``first`` and ``last`` the earliest start and latest end, in seconds since the epoch."""

EPHEMERAL_START = 32768
_SERVICE_PORTS = frozenset(b"%d" % port for port in range(EPHEMERAL_START))
_SYN, _ACK = 2, 16
_RESPONDER_FLAGS = frozenset(b"%d" % flags for flags in range(256) if flags & (_SYN | _ACK) == _SYN | _ACK)
_INITIATOR_FLAGS = frozenset(b"%d" % flags for flags in range(256) if flags & (_SYN | _ACK) == _SYN)
_ACCEPT, _SKIPDATA, _EGRESS, _ABSENT = b"ACCEPT", b"SKIPDATA", b"egress", b"-"
# Decompressed bytes handed to the parser at a time.
CHUNK = 1 << 20


class FlowTally:
    """Flows per interface over ``[since, until)`` (seconds since the epoch) for ``interfaces``, ``{interface ID:
    its own addresses}``; records of other interfaces are skipped.

    After feeding: ``flows()``; ``seen`` (interfaces with any record in the window, ``NODATA`` included),
    ``skipped`` (interfaces with ``SKIPDATA`` in the window), ``unreadable`` (lines that are no record of the
    format); interface IDs in ``seen`` and ``skipped`` are bytes. ``state()`` and ``merge()`` carry a partial
    tally between processes; ``settings()`` makes an empty tally like this one elsewhere (``FlowTally(*settings)``).
    """

    def __init__(self, interfaces, since, until):
        self._settings = (dict((interface, tuple(addresses)) for interface, addresses in interfaces.items()),
                          since, until)
        self.local = dict((interface.encode(), frozenset(address.encode() for address in addresses))
                          for interface, addresses in interfaces.items())
        # Seconds since the epoch have 10 digits from 2001 to 2286: compared as text, in the loop.
        self.since, self.until = b"%d" % since, b"%d" % until
        # Sent records by (interface, protocol, destination, port): [packets, bytes, first start, last end]. The
        # parts of a new key are taken from ``_atoms``, one object for each value: many flows share an interface,
        # a port, a destination.
        self._flows, self._atoms = {}, {}
        # Records that are replies if their reverse record turns up, and the reverse records that did, both keyed
        # by b"interface protocol local-address local-port remote-address remote-port": one bytes object each, the
        # least memory for what grows with the connections to the interfaces' services. A candidate whose reverse
        # record is known is dropped at once, so only unanswered ones are kept.
        self._candidates, self._inbound = {}, set()
        self.seen, self.skipped = set(), set()
        # The addresses of the interfaces in ``seen``: the one lookup of a record's interface, once it was seen,
        # also finds that it was.
        self._seen_local = {}
        self.unreadable = 0

    def settings(self):
        """The arguments of this tally's constructor."""
        return self._settings

    def feed(self, lines, fields):
        """Tally records: ``lines``, an iterable of lines (bytes) in the format ``fields`` (field names)."""
        width = len(fields)
        # A field the format lacks reads as a pad appended to each record ("-", or "0" for a count); direction and
        # flags are only read where logged.
        pads = (_ABSENT, b"0")
        indexes = []
        for name in TALLY_FIELDS:
            if name in fields:
                indexes.append(fields.index(name))
            elif name in ("flow-direction", "tcp-flags"):
                indexes.append(0)
            else:
                indexes.append(width + (1 if name in ("packets", "bytes") else 0))
        padded = max(indexes) >= width
        picked = itemgetter(*indexes)
        directed, flagged = "flow-direction" in fields, "tcp-flags" in fields
        since, until, local, seen_local = self.since, self.until, self.local, self._seen_local
        flows, candidates, inbound = self._flows, self._candidates, self._inbound
        seen, skipped, atom = self.seen, self.skipped, self._atoms.setdefault
        service, responder, initiator = _SERVICE_PORTS, _RESPONDER_FLAGS, _INITIATOR_FLAGS
        join = b" ".join
        unreadable = 0
        for line in lines:
            record = line.split()
            if len(record) != width:
                if record:
                    unreadable += 1
                continue
            if padded:
                record += pads
            (interface, source, destination, source_port, port, protocol, packets, size, start, end, action,
             status, direction, flags) = picked(record)
            # Times of 10 digits (2001 to 2286) compare as text.
            if end < since or start >= until:
                continue
            addresses = seen_local.get(interface)
            if addresses is None:
                addresses = local.get(interface)
                if addresses is None:
                    continue
                seen_local[interface] = addresses
                seen.add(interface)
            if action != _ACCEPT:
                if status == _SKIPDATA:
                    skipped.add(interface)
                continue
            # A direction of "-" (not known for this record) is decided by the addresses, as without the field.
            if (direction != _EGRESS if directed and direction != _ABSENT
                    else destination in addresses and source not in addresses):
                # An inbound connection to a service port: its reverse record is a reply.
                if port in service and source_port not in service:
                    key = join((interface, protocol, destination, port, source, source_port))
                    inbound.add(key)
                    if key in candidates:
                        del candidates[key]
                continue
            if flagged and flags in responder:
                continue
            if source_port in service and port not in service and not (flagged and flags in initiator):
                key = join((interface, protocol, source, source_port, destination, port))
                tally = candidates.get(key)
                if tally is None:
                    if key not in inbound:
                        candidates[key] = [int(packets), int(size), start, end]
                    continue
            else:
                key = (interface, protocol, destination, port)
                tally = flows.get(key)
                if tally is None:
                    flows[atom(interface, interface), atom(protocol, protocol), atom(destination, destination),
                          atom(port, port)] = [int(packets), int(size), start, end]
                    continue
            tally[0] += int(packets)
            tally[1] += int(size)
            if start < tally[2]:
                tally[2] = start
            if end > tally[3]:
                tally[3] = end
        self.unreadable += unreadable

    def feed_gzip(self, chunks, fields, header=True):
        """Tally a gzip file given as an iterable of compressed ``chunks``; with ``header``, its first line may be
        a header of field names (as in S3 text files), which then gives the format."""
        self.feed_text(decompressed(chunks), fields, header)

    def feed_text(self, pieces, fields, header=False):
        """Tally text given as an iterable of ``pieces`` of bytes, cut anywhere."""
        rest = b""
        first = header
        for piece in pieces:
            lines = (rest + piece).split(b"\n")
            # The last line is unfinished until a newline ends it.
            rest = lines.pop()
            if not lines:
                continue
            if first:
                first = False
                named = header_fields(lines[0].decode("utf-8", "replace"))
                if named is not None:
                    fields = named
                    del lines[0]
            self.feed(lines, fields)
        if rest:
            if first and header_fields(rest.decode("utf-8", "replace")) is not None:
                return
            self.feed([rest], fields)

    def flows(self):
        """Every ``Flow``, replies left out."""
        merged = dict(self._flows)
        inbound = self._inbound
        for key, tally in self._candidates.items():
            if key in inbound:
                continue
            interface, protocol, _local, _local_port, remote, remote_port = key.split(b" ")
            _merge_into(merged, (interface, protocol, remote, remote_port), tally)
        return [Flow(interface.decode(), int(protocol), destination.decode(), int(port), tally[0], tally[1],
                     int(tally[2]), int(tally[3]))
                for (interface, protocol, destination, port), tally in merged.items()
                if protocol.isdigit() and port.isdigit()]

    def interfaces_seen(self):
        """The interfaces with any record in the window, ``NODATA`` and ``SKIPDATA`` included."""
        return set(interface.decode() for interface in self.seen)

    def take_reverse_records(self):
        """The reverse records kept to recognise replies (keys, as in ``state()``), taken out of this tally to be
        merged into another one as the inbound part of a state. This tally itself then recognises the replies to
        them no more, until merged with them again."""
        inbound, self._inbound = self._inbound, set()
        return inbound

    def state(self):
        """What ``merge`` takes: plain containers of bytes and numbers, for ``pickle`` or ``marshal``."""
        return (self._flows, self._candidates, self._inbound, self.seen, self.skipped, self.unreadable)

    def merge(self, state):
        """Add a partial tally's ``state()`` (of the same interfaces and window) to this one."""
        flows, candidates, inbound, seen, skipped, unreadable = state
        mine, atom = self._flows, self._atoms.setdefault
        for key, tally in flows.items():
            ours = mine.get(key)
            if ours is None:
                mine[tuple(atom(part, part) for part in key)] = list(tally)
            else:
                _add(ours, tally)
        mine = self._candidates
        if mine:
            for key in inbound:
                if key in mine:
                    del mine[key]
        self._inbound.update(inbound)
        for key, tally in candidates.items():
            if key not in self._inbound:
                _merge_into(mine, key, tally)
        self.seen.update(seen)
        self.skipped.update(skipped)
        self.unreadable += unreadable


def _merge_into(tallies, key, tally):
    mine = tallies.get(key)
    if mine is None:
        tallies[key] = list(tally)
    else:
        _add(mine, tally)


def _add(mine, tally):
    mine[0] += tally[0]
    mine[1] += tally[1]
    mine[2] = min(mine[2], tally[2])
    mine[3] = max(mine[3], tally[3])


def decompressed(chunks):
    """The bytes of a gzip stream given in compressed ``chunks`` (several members, as ``cat a.gz b.gz``, too);
    ``zlib.error`` if it is corrupt or ends within a member (a truncated object must not read as a quiet one)."""
    inflater = zlib.decompressobj(31)
    pending = False
    for chunk in chunks:
        while chunk:
            pending = True
            out = inflater.decompress(chunk, CHUNK)
            if out:
                yield out
            chunk = inflater.unconsumed_tail
            if inflater.eof:
                chunk = inflater.unused_data
                inflater = zlib.decompressobj(31)
                pending = False
    if pending:
        out = inflater.flush()
        if out:
            yield out
        if not inflater.eof:
            raise zlib.error("the gzip stream ends within a member: the object is truncated")
