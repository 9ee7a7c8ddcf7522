"""Failures of what the bot depends on (Redis, the database), counted every time and logged once a minute.

While Redis is down every request would otherwise log the same warning (hundreds of lines a second
under load, burying everything else). Each failure is counted in ``hoidap_dependency_errors_total``;
the first one of a minute is logged as a warning, with how many were left unlogged since the last.
"""

from __future__ import annotations

import logging
import threading
import time

from bot import metrics

log = logging.getLogger("bot.dependencies")
EVERY = 60.0  # seconds between two warnings about one dependency

_lock = threading.Lock()
_last: dict[str, float] = {}
_quiet: dict[str, int] = {}


def failure(dependency: str, what: str, error: BaseException | str, every: float = EVERY) -> None:
    """``dependency`` ("redis", "database") failed while doing ``what``; never raises."""
    metrics.count(metrics.DEPENDENCY_ERRORS, dependency)
    now = time.monotonic()
    with _lock:
        last = _last.get(dependency)
        if last is not None and now - last < every:
            _quiet[dependency] = _quiet.get(dependency, 0) + 1
            return
        _last[dependency] = now
        skipped = _quiet.pop(dependency, 0)
    more = f" ({skipped} more failures not logged in the last minute)" if skipped else ""
    log.warning("%s unavailable, %s: %s%s", dependency, what, error, more)


def reset() -> None:
    """Forget what was logged (tests)."""
    with _lock:
        _last.clear()
        _quiet.clear()
