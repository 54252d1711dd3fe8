"""EC2's request throttling as a model for the fault proxy: token buckets per account, region and API class.

The sizes and refill rates are those of the EC2 API reference's "Request throttling" page; ``scale``
speeds time up, refilling ``scale`` times faster (bucket sizes stay), so that a run that takes minutes
against AWS takes seconds here while the model, not the 2 cores, sets the pace. An empty bucket answers
``RequestLimitExceeded`` with HTTP 503, as EC2 does.
"""

import re
import threading
import time

# API class: (bucket size, refill per second), as EC2 publishes them.
PUBLISHED_BUCKETS = {
    "mutating": (200, 5.0),
    "non-mutating": (100, 20.0),
    "unfiltered non-mutating": (50, 10.0),
}
_CREDENTIAL = re.compile(r"Credential=([^/]+)/[^/]+/([^/]+)/")


def api_class(parameters):
    """The bucket a request draws from: Describe* calls without a filter or IDs are the unfiltered ones."""
    action = parameters.get("Action", "")
    if not action.startswith("Describe"):
        return "mutating"
    narrowed = any(key.startswith(("Filter.", "GroupId.", "VpcId", "SecurityGroupRuleId.")) for key in parameters)
    return "non-mutating" if narrowed else "unfiltered non-mutating"


class ThrottlingModel:
    """Token buckets keyed by (access key, region, API class); an account is known by its access key."""

    def __init__(self, scale, buckets=None, clock=time.monotonic):
        self.scale = scale
        self.buckets = dict(buckets or PUBLISHED_BUCKETS)
        self.clock = clock
        self._state = {}
        self._lock = threading.Lock()
        self.admitted = {}
        self.throttled = {}

    def refill_rate(self, kind="mutating"):
        """Tokens per real second."""
        return self.buckets[kind][1] * self.scale

    def lower_bound(self, calls, kind="mutating"):
        """The fewest seconds ``calls`` of one account-region can take: the bucket's size at once, then its refill."""
        return max(0, calls - self.buckets[kind][0]) / self.refill_rate(kind)

    def admit(self, parameters, headers):
        """Take a token for this request; False when its bucket is empty."""
        match = _CREDENTIAL.search(headers.get("Authorization", ""))
        account, region = match.groups() if match else ("anonymous", "unknown")
        kind = api_class(parameters)
        key = (account, region, kind)
        size, refill = self.buckets[kind]
        with self._lock:
            now = self.clock()
            tokens, at = self._state.get(key, (float(size), now))
            tokens = min(size, tokens + (now - at) * refill * self.scale)
            admitted = tokens >= 1
            self._state[key] = (tokens - 1 if admitted else tokens, now)
            counts = self.admitted if admitted else self.throttled
            counts[key] = counts.get(key, 0) + 1
        return admitted

    def throttled_calls(self):
        return sum(self.throttled.values())
