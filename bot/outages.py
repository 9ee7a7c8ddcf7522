"""Failures of what the bot depends on (Redis, the database), counted every time and logged once a minute.

While Redis is down every request would otherwise log the same warning (835 lines in 20 s were
measured, burying everything else). Each failure is counted in ``hoidap_dependency_errors_total``;
the first one of a minute is logged as a warning, with how many were left unlogged since the last.
When the dependency works again after a logged failure, one line says so — once: a dependency that
flaps (one call failing, the next working) still gives at most a warning and a recovery a minute.

This is the one place that does it: the Redis fallbacks of :mod:`bot.shared`, the durable intake,
the index follower and the readiness checks all report here.
"""

from __future__ import annotations

import logging
import threading
import time

from bot import metrics

log = logging.getLogger("bot.dependencies")
EVERY = 60.0  # seconds between two warnings about one dependency

_lock = threading.Lock()
_last: dict[str, float] = {}  # dependency -> when its last warning was logged
_quiet: dict[str, int] = {}  # dependency -> failures not logged since then
_down: set[str] = set()  # dependencies whose last line said "unavailable"


def failure(dependency: str, what: str, error: BaseException | str, every: float | None = None) -> None:
    """``dependency`` ("redis", "database") failed while doing ``what``; never raises. ``what`` names
    no key or id (they hold members' ids); ``every`` defaults to :data:`EVERY`."""
    metrics.count(metrics.DEPENDENCY_ERRORS, dependency)
    every = EVERY if every is None else every
    now = time.monotonic()
    with _lock:
        last = _last.get(dependency)
        if last is not None and now - last < every:
            _quiet[dependency] = _quiet.get(dependency, 0) + 1
            return
        _last[dependency] = now
        _down.add(dependency)  # only a logged failure is answered by a recovery line
        skipped = _quiet.pop(dependency, 0)
    more = f" ({skipped} more since the last warning)" if skipped else ""
    log.warning("%s unavailable, %s: %s%s", dependency, what, error, more)


def recovered(dependency: str) -> None:
    """A call on ``dependency`` worked: if a failure was logged and nothing said since that it works,
    say so now (cheap when nothing failed: it is called on every successful call)."""
    if dependency not in _down:  # the usual case: no lock taken
        return
    with _lock:
        if dependency not in _down:
            return
        _down.discard(dependency)
        skipped = _quiet.pop(dependency, 0)
    more = f" ({skipped} failures since the last warning)" if skipped else ""
    log.warning("%s reachable again%s", dependency, more)


def reset() -> None:
    """Forget what was logged (tests)."""
    with _lock:
        _last.clear()
        _quiet.clear()
        _down.clear()
