"""Per-member limit on incoming questions (moving window), applied by the core for every channel.

The counters live where :class:`bot.shared.Shared` keeps them: in Redis when several processes serve
the bot (a member's tenth question counts the same whichever process got it), else in memory.
"""

from __future__ import annotations

from limits import RateLimitItemPerSecond

from bot.shared import Shared


class UserRateLimiter:
    """Allows ``limit`` questions per ``window`` seconds per user."""

    def __init__(self, limit: int, shared: Shared, window: int = 60) -> None:
        self._item = RateLimitItemPerSecond(limit, window)
        self._warn = RateLimitItemPerSecond(1, window)
        self._shared = shared

    def allow(self, user: str) -> bool:
        return self._shared.allow(self._item, "questions", user)

    def should_warn(self, user: str) -> bool:
        """Warn a throttled user once per window, then stay quiet."""
        return self._shared.allow(self._warn, "slow-down", user)
