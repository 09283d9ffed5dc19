"""The simulator's settable clock: simulated now = base + real elapsed x speed."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


class SimClock:
    def __init__(self, now: float | None = None, speed: float = 1.0):
        self._lock = threading.Lock()
        self._base = time.time() if now is None else now
        self._mono = time.monotonic()
        self.speed = speed

    def now(self) -> float:
        with self._lock:
            return self._base + (time.monotonic() - self._mono) * self.speed

    def set(self, now: float | None = None, speed: float | None = None) -> None:
        with self._lock:
            current = self._base + (time.monotonic() - self._mono) * self.speed
            self._base = current if now is None else now
            self._mono = time.monotonic()
            if speed is not None:
                self.speed = speed

    def advance(self, seconds: float) -> None:
        self.set(now=self.now() + seconds)

    def iso(self) -> str:
        return datetime.fromtimestamp(self.now(), UTC).isoformat()
