"""ClientRateLimiter against a fake clock: every window holds, keys are independent, waits are reported."""

from __future__ import annotations

import threading
import time

import pytest

from tiktok_api.ratelimit import ClientRateLimiter, scaled_time

MARGIN = 0.05
MINUTE = 60 * (1 + MARGIN)
SECOND = 1 * (1 + MARGIN)


class FakeTime:
    """A clock that only moves when someone sleeps; remembers per thread what clock() last returned."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []
        self._lock = threading.Lock()
        self._last = threading.local()

    def clock(self) -> float:
        with self._lock:
            self._last.value = self.now
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            self.now += seconds

    def last(self) -> float:
        """The clock() value the limiter recorded for this thread's latest acquire."""
        return self._last.value


def limiter(fake: FakeTime, **kwargs) -> ClientRateLimiter:
    return ClientRateLimiter(window_margin=MARGIN, clock=fake.clock, sleep=fake.sleep, **kwargs)


def max_in_window(times: list[float], window: float) -> int:
    """The largest number of calls in any half-open window (t - window, t]."""
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - window + 1e-9:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_one_key_never_exceeds_40_per_widened_minute() -> None:
    fake = FakeTime()
    rl = limiter(fake, app_per_minute=10_000, app_per_second=10_000)
    times = []
    for _ in range(200):
        rl.acquire("acct", "/business/video/list/")
        times.append(fake.last())
    assert max_in_window(times, MINUTE) == 40
    # 200 calls at 40 per window need four full extra windows, not more.
    assert times[-1] - times[0] == pytest.approx(4 * MINUTE)


def test_waits_are_returned() -> None:
    fake = FakeTime()
    rl = limiter(fake, per_account_endpoint=3, app_per_minute=10_000, app_per_second=10_000)
    assert [rl.acquire("a", "/e/") for _ in range(3)] == [0.0, 0.0, 0.0]
    fake.now += 10.0
    assert rl.acquire("a", "/e/") == pytest.approx(MINUTE - 10.0)
    assert sum(fake.slept) == pytest.approx(MINUTE - 10.0)


def test_app_per_second_limit_across_keys() -> None:
    fake = FakeTime()
    rl = limiter(fake)
    times = []
    for i in range(35):
        rl.acquire(f"acct{i}", "/business/get/")
        times.append(fake.last())
    assert max_in_window(times, SECOND) == 10
    assert max_in_window(times, MINUTE) <= 600


def test_app_per_minute_limit_across_keys() -> None:
    fake = FakeTime()
    rl = limiter(fake, app_per_minute=50, app_per_second=1_000)
    times = []
    for i in range(120):
        rl.acquire(f"acct{i % 7}", f"/endpoint{i % 3}/")
        times.append(fake.last())
    assert max_in_window(times, MINUTE) == 50


def test_token_calls_count_toward_app_limits_only() -> None:
    fake = FakeTime()
    rl = limiter(fake, per_account_endpoint=1, app_per_second=3)
    assert rl.acquire(None, "/tt_user/oauth2/refresh_token/") == 0.0
    assert rl.acquire(None, "/tt_user/oauth2/refresh_token/") == 0.0  # no per-key limit of 1
    assert rl.acquire("a", "/e/") == 0.0
    assert rl.acquire("b", "/e/") == pytest.approx(SECOND)  # the app second is full


def test_different_keys_are_independent() -> None:
    fake = FakeTime()
    rl = limiter(fake, app_per_minute=10_000, app_per_second=10_000)
    for _ in range(40):
        assert rl.acquire("a", "/business/video/list/") == 0.0
    # The same account on another endpoint, and another account on the same endpoint, go at once.
    assert rl.acquire("a", "/business/comment/list/") == 0.0
    assert rl.acquire("b", "/business/video/list/") == 0.0
    assert fake.slept == []
    assert rl.acquire("a", "/business/video/list/") == pytest.approx(MINUTE)


def test_thread_safety_with_several_threads() -> None:
    fake = FakeTime()
    rl = limiter(fake, app_per_minute=10_000, app_per_second=10_000)
    times: list[float] = []
    times_lock = threading.Lock()

    def worker() -> None:
        for _ in range(50):
            rl.acquire("shared", "/business/video/list/")
            with times_lock:
                times.append(fake.last())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(times) == 200
    assert max_in_window(times, MINUTE) <= 40


def test_sleeping_does_not_hold_the_lock() -> None:
    fake = FakeTime()
    release = threading.Event()
    sleeping = threading.Event()

    def blocking_sleep(seconds: float) -> None:
        sleeping.set()
        release.wait(timeout=5)
        fake.sleep(seconds)

    rl = ClientRateLimiter(per_account_endpoint=1, clock=fake.clock, sleep=blocking_sleep)
    rl.acquire("a", "/e/")
    waiter = threading.Thread(target=rl.acquire, args=("a", "/e/"))
    waiter.start()
    assert sleeping.wait(timeout=5)
    started = time.monotonic()
    assert rl.acquire("b", "/e/") == 0.0  # another key proceeds while "a" sleeps
    assert time.monotonic() - started < 1.0
    release.set()
    waiter.join(timeout=5)
    assert not waiter.is_alive()


def test_scaled_time_runs_faster() -> None:
    clock, sleep = scaled_time(1000.0)
    start_api, start_real = clock(), time.monotonic()
    sleep(50.0)  # 50 API seconds = 0.05 real seconds
    assert clock() - start_api >= 50.0
    assert time.monotonic() - start_real < 1.0
    with pytest.raises(ValueError):
        scaled_time(0)
