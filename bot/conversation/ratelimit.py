"""Per-member limit on incoming questions (sliding window), applied by the core for every channel."""

from __future__ import annotations

import threading
import time
from collections import deque


class UserRateLimiter:
    """Allows ``limit`` questions per ``window`` seconds per user."""

    def __init__(self, limit: int, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque[float]] = {}
        self._warned: dict[str, float] = {}
        self._lock = threading.Lock()

    def allow(self, user: str) -> bool:
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(user, deque())
            while hits and now - hits[0] > self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            if len(self._hits) > 10_000:  # forget idle users
                for key in [k for k, v in self._hits.items() if not v or now - v[-1] > self.window]:
                    del self._hits[key]
            return True

    def should_warn(self, user: str) -> bool:
        """Warn a throttled user once per window, then stay quiet."""
        now = time.monotonic()
        with self._lock:
            last = self._warned.get(user)
            if last is not None and now - last < self.window:
                return False
            self._warned[user] = now
            return True
