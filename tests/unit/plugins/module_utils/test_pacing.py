"""The pacer's arithmetic, on a simulated clock and a simulated EC2 token bucket: no endpoint, no sleeping."""

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
    pacer = Pacer(clock=clock, sleep=clock.sleep)
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


def test_the_adaptive_pace_settles_near_the_refill_rate(clock):
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    bucket = Bucket(clock, capacity=200, refill=5)

    attempts = revoke_all(pacer, clock, bucket, 1000)

    lower_bound = (1000 - 200) / 5.0
    assert lower_bound <= clock.now <= lower_bound * 1.25
    assert attempts - 1000 <= 80, "throttled attempts stay few: %d" % (attempts - 1000)
    assert 4 <= pacer.rate <= 6


def test_the_adaptive_pace_slows_down_when_the_bucket_is_shared(clock):
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    bucket = Bucket(clock, capacity=50, refill=20)
    revoke_all(pacer, clock, bucket, 300)
    fast = pacer.rate
    bucket.refill = 4  # another tool now takes most of the refill

    revoke_all(pacer, clock, bucket, 200)

    assert fast > 15 and pacer.rate <= 5


def test_the_adaptive_pace_rises_again_when_the_bucket_refills_faster(clock):
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    bucket = Bucket(clock, capacity=10, refill=2)
    revoke_all(pacer, clock, bucket, 60)
    slow = pacer.rate
    bucket.refill = 20

    revoke_all(pacer, clock, bucket, 2000)

    assert slow <= 2.5 and pacer.rate > 10


def test_a_pace_never_stops(clock):
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    for _throttle in range(51):
        pacer.throttled()
        clock.sleep(1)
    assert pacer.rate >= 0.5
    assert pacer.throttled_calls == 51


def test_a_throttle_now_and_then_leaves_the_run_unpaced(clock):
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    for call in range(1000):
        pacer.wait()
        clock.sleep(0.005)
        if call % 20 == 7:  # another tool's burst takes the last token now and then
            pacer.throttled()
        else:
            pacer.succeeded()
    assert pacer.rate is None and pacer.throttled_calls == 50


def test_throttles_that_answer_calls_sent_before_a_change_do_not_change_it_again(clock):
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    for _call in range(40):
        pacer.succeeded()
        clock.sleep(0.01)
    while pacer.rate is None:
        pacer.throttled()
    first = pacer.rate
    for _throttle in range(7):
        pacer.throttled()
    assert pacer.rate == first


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


def paced_at_one(clock):
    """An adaptive pacer that measured 2.25 calls a second at t=1: 5 calls went through, then 3 were throttled."""
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    for moment in (0.0, 0.1, 0.2, 0.3, 0.4):
        at(clock, moment, pacer.succeeded)
    at(clock, 1.0, pacer.throttled, 3)
    assert pacer.rate == pytest.approx(2.25)
    return pacer


def test_throttles_from_half_a_second_after_a_change_count_and_the_floor_is_one_call_per_window(clock):
    pacer = paced_at_one(clock)
    at(clock, 1.5, pacer.throttled)
    assert pacer.rate == 0.5


def test_once_paced_one_throttle_is_left_to_botocore_and_two_measure_again(clock):
    pacer = paced_at_one(clock)
    at(clock, 3.5, pacer.throttled)
    assert pacer.rate == pytest.approx(2.25)
    at(clock, 3.5, pacer.throttled)
    assert pacer.rate == 0.5
