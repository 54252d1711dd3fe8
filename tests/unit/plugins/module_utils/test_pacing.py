"""The fixed pace of revoke_rate, on a simulated clock and a simulated EC2 token bucket: no endpoint, no
sleeping."""

import pytest

from ansible_collections.netguard.aws.plugins.module_utils.pacing import Pacer


class Clock:
    """A clock that only moves when something sleeps."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        assert seconds >= 0
        self.now += seconds


class Bucket:
    """EC2's token bucket: ``capacity`` tokens, refilled at ``refill`` a second; an empty bucket throttles."""

    def __init__(self, clock, capacity, refill):
        self.clock = clock
        self.capacity = capacity
        self.refill = refill
        self.tokens = float(capacity)
        self.at = clock()

    def admit(self):
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.refill)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


def revoke_all(pacer, clock, bucket, calls, call_seconds=0.005, backoff_seconds=0.05):
    """Send ``calls`` revokes one at a time, each retried until admitted; return the attempts made.

    A short backoff stands for many calls in flight: a bucket that refills slowly throttles most of them.
    """
    attempts = 0
    for _call in range(calls):
        while True:
            pacer.wait()
            clock.sleep(call_seconds)
            attempts += 1
            if bucket.admit():
                pacer.succeeded()
                break
            pacer.throttled()
            clock.sleep(backoff_seconds)
    return attempts


@pytest.fixture
def clock():
    return Clock()


def test_unthrottled_calls_are_never_delayed(clock):
    pacer = Pacer(5, clock=clock, sleep=clock.sleep)
    for _call in range(500):
        pacer.wait()
        pacer.succeeded()
    assert clock.now == 0.0 and pacer.rate is None


def test_a_fixed_rate_starts_at_the_first_throttle_and_holds(clock):
    pacer = Pacer(rate=5, clock=clock, sleep=clock.sleep)
    bucket = Bucket(clock, capacity=200, refill=5)

    attempts = revoke_all(pacer, clock, bucket, 1000)

    # The burst (200) goes at once; the other 800 at 5 a second: 160 s, the bucket's own lower bound.
    assert 160 <= clock.now <= 160 * 1.05
    assert pacer.rate == 5.0
    assert attempts - 1000 <= 5, "a few throttles spend the burst; the fixed pace then never empties the bucket"


def test_a_throttle_now_and_then_leaves_the_run_unpaced(clock):
    pacer = Pacer(5, clock=clock, sleep=clock.sleep)
    for call in range(1000):
        pacer.wait()
        clock.sleep(0.005)
        if call % 20 == 7:  # another tool's burst takes the last token now and then
            pacer.throttled()
        else:
            pacer.succeeded()
    assert pacer.rate is None and pacer.throttled_calls == 50


def test_a_fixed_rate_waits_for_the_burst_to_be_spent(clock):
    pacer = Pacer(rate=5, clock=clock, sleep=clock.sleep)
    pacer.throttled()
    pacer.throttled()
    assert pacer.rate is None, "two throttles are botocore's to retry"
    pacer.throttled()
    assert pacer.rate == 5.0


class Sleeps(Clock):
    """A clock that also records each sleep, to tell waiting from not waiting."""

    def __init__(self):
        super().__init__()
        self.sleeps = []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        super().sleep(seconds)


def at(clock, moment, call, times=1):
    clock.now = moment
    for _time in range(times):
        call()


def test_a_call_whose_turn_has_come_is_sent_without_waiting():
    clock = Sleeps()
    pacer = Pacer(rate=5, clock=clock, sleep=clock.sleep)
    at(clock, 0.0, pacer.throttled, 3)
    at(clock, 0.2, pacer.wait)
    at(clock, 0.3, pacer.wait)
    assert clock.sleeps == [pytest.approx(0.1)]


def throttles(pacer, clock, moments):
    for moment in moments:
        at(clock, moment, pacer.throttled)


def test_throttles_older_than_the_window_do_not_spend_the_burst():
    clock = Sleeps()
    pacer = Pacer(5, clock=clock, sleep=clock.sleep)
    throttles(pacer, clock, [0.0, 1.0, 2.01])
    assert pacer.rate is None, "the first throttle is more than 2 s old"
    throttles(pacer, clock, [2.5])
    assert pacer.rate == 5.0


def test_three_throttles_within_the_window_spend_the_burst_even_at_its_edge():
    clock = Sleeps()
    pacer = Pacer(5, clock=clock, sleep=clock.sleep)
    throttles(pacer, clock, [0.0, 1.0, 2.0])
    assert pacer.rate == 5.0


@pytest.mark.parametrize("successes, spent", [(7, True), (8, False)])
def test_only_the_last_ten_attempts_count(successes, spent):
    # Two throttles, some successes, a third throttle: spent only when all three are among the last ten.
    clock = Sleeps()
    pacer = Pacer(5, clock=clock, sleep=clock.sleep)
    pacer.throttled()
    pacer.throttled()
    for _call in range(successes):
        pacer.succeeded()
    pacer.throttled()
    assert (pacer.rate == 5.0) is spent and pacer.throttled_calls == 3


def test_once_paced_further_throttles_neither_change_the_pace_nor_delay_the_next_turn():
    clock = Sleeps()
    pacer = Pacer(2, clock=clock, sleep=clock.sleep)
    at(clock, 0.0, pacer.throttled, 3)
    at(clock, 0.5, pacer.wait)
    at(clock, 5.0, pacer.throttled, 10)
    at(clock, 5.0, pacer.wait)
    at(clock, 5.0, pacer.wait)
    assert pacer.rate == 2.0 and pacer.throttled_calls == 13
    # Turns at 0.5 and 5.0 came without waiting; the one after 5.0 is half a second later.
    assert clock.sleeps == [pytest.approx(0.5)]


def test_the_first_paced_call_waits_one_interval_after_the_throttle_that_spent_the_burst():
    clock = Clock()
    pacer = Pacer(4, clock=clock, sleep=clock.sleep)
    for _throttle in range(3):
        pacer.throttled()
    pacer.wait()
    assert clock.now == 0.25
