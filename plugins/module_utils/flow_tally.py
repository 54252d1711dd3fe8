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
_ACCEPT, _NODATA, _SKIPDATA, _EGRESS, _ABSENT = b"ACCEPT", b"NODATA", b"SKIPDATA", b"egress", b"-"
# Decompressed bytes handed to the parser at a time.
CHUNK = 1 << 20


class FlowTally:
    """Flows per interface over ``[since, until)`` (seconds since the epoch) for ``interfaces``, ``{interface ID:
    its own addresses}``; records of other interfaces are skipped.

    After feeding: ``flows()``; ``seen`` (interfaces with any record in the window, ``NODATA`` included),
    ``skipped`` (interfaces with ``SKIPDATA`` in the window), ``unreadable`` (lines that are no record of the
    format). ``state()`` and ``merge()`` carry a partial tally between processes.
    """

    def __init__(self, interfaces, since, until):
        self.local = dict((interface.encode(), frozenset(address.encode() for address in addresses))
                          for interface, addresses in interfaces.items())
        # Seconds since the epoch have 10 digits from 2001 to 2286: compared as text, in the loop.
        self.since, self.until = b"%d" % since, b"%d" % until
        self._flows, self._candidates, self._inbound = {}, {}, set()
        self.seen, self.skipped = set(), set()
        self.unreadable = 0

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
        since, until, local = self.since, self.until, self.local
        flows, candidates, inbound = self._flows, self._candidates, self._inbound
        seen, skipped = self.seen, self.skipped
        service, responder, initiator = _SERVICE_PORTS, _RESPONDER_FLAGS, _INITIATOR_FLAGS
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
            addresses = local.get(interface)
            if addresses is None:
                continue
            if action != _ACCEPT:
                seen.add(interface)
                if status == _SKIPDATA:
                    skipped.add(interface)
                continue
            if not (direction == _EGRESS if directed else source in addresses or destination not in addresses):
                # An inbound connection to a service port, kept to recognise the replies to it.
                if port in service and source_port not in service:
                    inbound.add((interface, protocol, destination, port, source, source_port))
                else:
                    seen.add(interface)
                continue
            if flagged and flags in responder:
                seen.add(interface)
                continue
            if source_port in service and port not in service and not (flagged and flags in initiator):
                key, into = (interface, protocol, source, source_port, destination, port), candidates
            else:
                key, into = (interface, protocol, destination, port), flows
            tally = into.get(key)
            if tally is None:
                into[key] = [int(packets), int(size), start, end]
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
            text = rest + piece
            cut = text.rfind(b"\n") + 1
            if not cut:
                rest = text
                continue
            lines = text[:cut].split(b"\n")
            rest = text[cut:]
            if first:
                first = False
                named = header_fields(lines[0].decode("utf-8", "replace"))
                if named is not None:
                    fields = named
                    lines = lines[1:]
            self.feed(lines, fields)
        if rest:
            if first:
                named = header_fields(rest.decode("utf-8", "replace"))
                if named is not None:
                    return
            self.feed([rest], fields)

    def flows(self):
        """Every ``Flow``, replies left out."""
        merged = dict(self._flows)
        inbound = self._inbound
        for (interface, protocol, local, local_port, remote, remote_port), tally in self._candidates.items():
            if (interface, protocol, local, local_port, remote, remote_port) in inbound:
                continue
            key = (interface, protocol, remote, remote_port)
            _merge_into(merged, key, tally)
        return [Flow(interface.decode(), int(protocol), destination.decode(), int(port), tally[0], tally[1],
                     int(tally[2]), int(tally[3]))
                for (interface, protocol, destination, port), tally in merged.items()
                if protocol.isdigit() and port.isdigit()]

    def interfaces_seen(self):
        """The interfaces with any record in the window, ``NODATA`` and ``SKIPDATA`` included."""
        found = set(self.seen)
        for tallies in (self._flows, self._candidates):
            found.update(key[0] for key in tallies)
        found.update(key[0] for key in self._inbound)
        return set(interface.decode() for interface in found)

    def state(self):
        return (self._flows, self._candidates, self._inbound, self.seen, self.skipped, self.unreadable)

    def merge(self, state):
        flows, candidates, inbound, seen, skipped, unreadable = state
        for key, tally in flows.items():
            _merge_into(self._flows, key, tally)
        for key, tally in candidates.items():
            _merge_into(self._candidates, key, tally)
        self._inbound.update(inbound)
        self.seen.update(seen)
        self.skipped.update(skipped)
        self.unreadable += unreadable


def _merge_into(tallies, key, tally):
    mine = tallies.get(key)
    if mine is None:
        tallies[key] = list(tally)
        return
    mine[0] += tally[0]
    mine[1] += tally[1]
    mine[2] = min(mine[2], tally[2])
    mine[3] = max(mine[3], tally[3])


def decompressed(chunks):
    """The bytes of a gzip stream given in compressed ``chunks`` (several members, as ``cat a.gz b.gz``, too)."""
    inflater = zlib.decompressobj(31)
    for chunk in chunks:
        while chunk:
            out = inflater.decompress(chunk, CHUNK)
            if out:
                yield out
            chunk = inflater.unconsumed_tail
            if inflater.eof:
                chunk = inflater.unused_data
                inflater = zlib.decompressobj(31)
    out = inflater.flush()
    if out:
        yield out
