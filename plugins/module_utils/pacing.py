# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""``revoke_rate``: a fixed pace for the write calls of one account-region, once EC2's burst is spent.

EC2 gives each account, in each region, a bucket of mutating calls that starts
full (a burst) and refills slowly. Writes go unpaced until EC2 throttles several
of the last few, which is when the burst is spent (a throttle now and then, another
tool's burst say, is left to botocore's retries); from then on they go at the
user's rate. Without ``revoke_rate`` there is no ``Pacer``: botocore's own retry mode
(``adaptive`` unless the user chose another) paces the client.

``Pacer`` is pure arithmetic over an injected clock; ``ec2.py`` attaches one to a
client with botocore's public event hooks, so every attempt, botocore's retries
included, waits for its turn.
"""

import threading
import time
from collections import deque

# What AWS answers when a bucket is empty (EC2 says RequestLimitExceeded).
THROTTLING_CODES = ("RequestLimitExceeded", "Throttling", "ThrottlingException")
# How far back attempts are counted, to tell a spent bucket from a passing throttle.
WINDOW_SECONDS = 2.0
# The burst is spent when this many of the last attempts in the window were throttled.
SPENT_THROTTLES = 3
SPENT_SAMPLE = 10


class Pacer:
    """When each write of one account-region may be sent: at once until the burst is spent, then ``rate`` a second.

    ``clock`` and ``sleep`` are ``time.monotonic`` and ``time.sleep`` unless a test gives others.
    """

    def __init__(self, rate, clock=time.monotonic, sleep=time.sleep):
        self.fixed_rate = rate
        self.rate = None
        self.throttled_calls = 0
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_at = None
        self._attempts = deque()

    def wait(self):
        """Block until the next call may be sent."""
        with self._lock:
            if self.rate is None:
                return
            now = self._clock()
            start = max(now, self._next_at)
            self._next_at = start + 1.0 / self.rate
        if start > now:
            self._sleep(start - now)

    def succeeded(self):
        """A call went through."""
        with self._lock:
            self._record(True)

    def throttled(self):
        """EC2 throttled a call. When it throttles several of the last few, the burst is spent: pace from now on."""
        with self._lock:
            now = self._record(False)
            self.throttled_calls += 1
            if self.rate is not None:
                return
            recent = [went_through for _moment, went_through in self._attempts]
            if recent[-SPENT_SAMPLE:].count(False) < SPENT_THROTTLES:
                return
            self.rate = float(self.fixed_rate)
            self._next_at = now + 1.0 / self.rate

    def _record(self, went_through):
        now = self._clock()
        self._attempts.append((now, went_through))
        while self._attempts[0][0] < now - WINDOW_SECONDS:
            self._attempts.popleft()
        return now
