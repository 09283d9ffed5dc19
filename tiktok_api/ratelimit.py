"""Client-side sliding-window rate limiting, so the server's 40100 (a 5-minute penalty) stays rare.

Times are "API seconds": the real clock for the real service, a faster clock for the simulator
(see ``scaled_time``). Hand-written rather than pyrate-limiter: see docs/decisions.md.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from tiktok_api import contract

Clock = Callable[[], float]
Sleep = Callable[[float], None]
_EPSILON = 1e-9


def scaled_time(speed: float) -> tuple[Clock, Sleep]:
    """A clock and sleep in API seconds for a simulator whose clock runs ``speed`` times faster."""
    if speed <= 0:
        raise ValueError("speed must be positive")

    def clock() -> float:
        return time.monotonic() * speed

    def sleep(seconds: float) -> None:
        time.sleep(max(0.0, seconds) / speed)

    return clock, sleep


class _Window:
    """Timestamps of the calls in the last ``length`` seconds, at most ``limit`` of them allowed."""

    __slots__ = ("limit", "length", "times")

    def __init__(self, limit: int, length: float) -> None:
        if limit < 1:
            raise ValueError("a rate limit must allow at least one call")
        self.limit, self.length, self.times = limit, length, deque[float]()

    def wait(self, now: float) -> float:
        """Seconds until one more call fits (0 if it fits now); drops calls that left the window."""
        times = self.times
        # The epsilon keeps float rounding from producing an endless series of tiny waits.
        while times and times[0] + self.length - now <= _EPSILON:
            times.popleft()
        if len(times) < self.limit:
            return 0.0
        # The call `limit` places from the end must leave the window before another may start.
        return times[len(times) - self.limit] + self.length - now


class ClientRateLimiter:
    """At most ``per_account_endpoint`` calls per (account, endpoint) and ``app_per_minute`` calls in
    total in any window of 60*(1+margin) s, and ``app_per_second`` per 1*(1+margin) s.

    The margin widens every window because the server counts arrival times, which network jitter
    shifts: calls spaced exactly 60 s apart here may land 59.9 s apart there. ``jitter_allowance``
    (API seconds) is added on top: against a simulator whose clock runs N times faster, a few real
    milliseconds of jitter are N times as many API seconds, which matters for the 1-second window.
    """

    def __init__(
        self,
        per_account_endpoint: int = contract.PER_ACCOUNT_ENDPOINT_PER_MINUTE,
        app_per_minute: int = contract.APP_PER_MINUTE,
        app_per_second: int = contract.APP_PER_SECOND,
        window_margin: float = 0.05,
        jitter_allowance: float = 0.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.per_account_endpoint = per_account_endpoint
        self.minute = 60.0 * (1 + window_margin) + jitter_allowance
        second = 1.0 * (1 + window_margin) + jitter_allowance
        self.clock, self.sleep = clock, sleep
        self._lock = threading.Lock()
        self._keys: dict[tuple[str, str], _Window] = {}
        self._app = (_Window(app_per_minute, self.minute), _Window(app_per_second, second))

    def acquire(self, business_id: str | None, endpoint: str) -> float:
        """Block until a call is allowed, record it, and return the API seconds waited.

        ``business_id=None`` (token calls) counts toward the app-wide limits only.
        """
        start = self.clock()
        while True:
            with self._lock:
                now = self.clock()
                windows = list(self._app)
                if business_id is not None:
                    key = (business_id, endpoint)
                    if key not in self._keys:
                        self._keys[key] = _Window(self.per_account_endpoint, self.minute)
                    windows.append(self._keys[key])
                wait = max(w.wait(now) for w in windows)
                if wait <= 0:
                    for window in windows:
                        window.times.append(now)
                    return max(0.0, now - start)
            # Sleep outside the lock so calls on other keys proceed meanwhile; re-check afterwards
            # because another thread may have taken the freed slot.
            self.sleep(wait)
