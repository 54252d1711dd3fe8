# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pacing revokes to EC2's token buckets, one pacer per account-region.

EC2 gives each account, in each region, a bucket of mutating calls that starts
full (a burst) and refills slowly. Calls go unpaced until EC2 throttles several
of the last few, which is when the burst is spent (a throttle now and then, another
tool's burst say, is left to botocore's retries); from then on they go at a
pace: the fixed ``revoke_rate``, or, by default, the rate at which EC2 let calls
through while it throttled (exactly the bucket's refill rate), re-measured
whenever EC2 throttles that much again and otherwise raised slowly in case the
bucket refills faster.

``Pacer`` is pure arithmetic over an injected clock; ``pace_revokes`` attaches one
to a botocore client with botocore's public event hooks, so every attempt,
botocore's retries included, waits for its turn.
"""

import threading
import time
from collections import deque

REVOKE_OPERATION = "RevokeSecurityGroupEgress"
# What AWS answers when a bucket is empty (EC2 says RequestLimitExceeded).
THROTTLING_CODES = ("RequestLimitExceeded", "Throttling", "ThrottlingException")
# Adaptive: the share of the measured refill rate to go at, so that the bucket is not emptied again at once.
MEASURED_SHARE = 0.9
# Adaptive: how fast the pace rises per second without throttling (a bucket may refill faster than measured).
RISE_PER_SECOND = 0.05
# Throttles that arrive within this many seconds of a change of pace answer calls sent before it.
SETTLE_SECONDS = 0.5
# How far back attempts are counted, to tell a spent bucket from a passing throttle and to measure its refill.
WINDOW_SECONDS = 2.0
# The burst is spent when this many of the last attempts in the window were throttled; once paced, two
# throttles since the last change of pace call for another.
SPENT_THROTTLES = 3
SPENT_SAMPLE = 10


class Pacer:
    """When each call of one account-region may be sent.

    ``rate``: a fixed pace once the burst is spent (calls per second), or None to
    measure it. ``clock`` and ``sleep`` are ``time.monotonic`` and ``time.sleep``
    unless a test gives others.
    """

    def __init__(self, rate=None, clock=time.monotonic, sleep=time.sleep):
        self.fixed_rate = rate
        self.rate = None
        self.throttled_calls = 0
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_at = None
        self._changed_at = None
        self._raised_at = None
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
        """A call went through: count it, and let an adaptive pace rise."""
        with self._lock:
            now = self._record(True)
            if self.rate is not None and self.fixed_rate is None:
                self.rate *= 1 + RISE_PER_SECOND * max(0.0, now - self._raised_at)
                self._raised_at = now

    def throttled(self):
        """EC2 throttled a call. When it throttles several of the last few, the burst is spent: pace from now on."""
        with self._lock:
            now = self._record(False)
            self.throttled_calls += 1
            if self._changed_at is not None and now - self._changed_at < SETTLE_SECONDS:
                return
            since = now - WINDOW_SECONDS if self._changed_at is None else max(self._changed_at, now - WINDOW_SECONDS)
            recent = [went_through for moment, went_through in self._attempts if moment >= since]
            throttles = recent.count(False)
            if self.rate is None and recent[-SPENT_SAMPLE:].count(False) < SPENT_THROTTLES:
                return
            if self.rate is not None and (self.fixed_rate is not None or throttles < 2):
                return
            if self.fixed_rate is not None:
                self.rate = float(self.fixed_rate)
            else:
                # While EC2 throttles, what goes through is what the bucket refills.
                measured = MEASURED_SHARE * (len(recent) - throttles) / max(now - since, SETTLE_SECONDS)
                # One call per window at the least, so that a run always moves on.
                self.rate = max(measured, 1.0 / WINDOW_SECONDS)
            self._changed_at = self._raised_at = now
            self._next_at = now + 1.0 / self.rate

    def _record(self, went_through):
        now = self._clock()
        self._attempts.append((now, went_through))
        while self._attempts[0][0] < now - WINDOW_SECONDS:
            self._attempts.popleft()
        return now


def pace_revokes(client, pacer):
    """Make every ``RevokeSecurityGroupEgress`` attempt of ``client`` wait for ``pacer`` and report to it."""
    service = client.meta.service_model.service_id.hyphenize()
    events = client.meta.events

    def before_send(**_kwargs):
        pacer.wait()

    def after_attempt(response=None, **_kwargs):
        if response is None:
            return
        code = response[1].get("Error", {}).get("Code")
        if code in THROTTLING_CODES:
            pacer.throttled()
        elif code is None:
            pacer.succeeded()

    events.register("before-send.%s.%s" % (service, REVOKE_OPERATION), before_send)
    events.register("needs-retry.%s.%s" % (service, REVOKE_OPERATION), after_attempt)
    return pacer
