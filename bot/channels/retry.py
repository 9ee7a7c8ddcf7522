"""Sending with retries: network errors, 5xx and 429 are retried with backoff (tenacity), waiting as
long as the service asked (``retry_after``); anything else is raised at once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception

from bot import metrics

log = logging.getLogger(__name__)
T = TypeVar("T")

ATTEMPTS = 10  # failures (network errors, 5xx) before giving up
RATE_LIMITED = 30  # 429s before giving up: each waited as long as asked; they are not failures
MAX_DELAY = 300.0  # seconds: past this an answer is stale; give up and say so in the log
BASE, CAP = 0.5, 15.0


async def send_retrying(
    send: Callable[[], Awaitable[T]],
    classify: Callable[[BaseException], float | None],
    what: str,
    attempts: int = ATTEMPTS,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """``await send()`` until it works. ``classify(error)`` is None for errors not worth retrying,
    else the seconds the service asked to wait (0 when it did not say: exponential backoff).

    The two are counted apart: a 429 ("too many requests, retry after N") is the service pacing us,
    not a failure — waiting what it asked is all there is to do, and it neither uses up the
    ``attempts`` nor lengthens the backoff of a real failure that follows (a 502 after five 429s
    waits half a second, not fifteen)."""
    tally = {"failed": 0, "limited": 0}

    def count(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        tally["limited" if error is not None and classify(error) else "failed"] += 1

    def stop(state: RetryCallState) -> bool:
        return (
            tally["failed"] >= attempts
            or tally["limited"] >= RATE_LIMITED
            or (state.seconds_since_start or 0.0) >= MAX_DELAY
        )

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        asked = classify(error) if error else 0.0
        if asked:
            return float(asked) + 0.1
        return min(CAP, BASE * 2 ** max(tally["failed"] - 1, 0))

    def before_sleep(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        log.warning(
            "%s failed (%s: %s); retry %d in %.1fs",
            what,
            type(error).__name__,
            error,
            state.attempt_number,
            state.next_action.sleep if state.next_action else 0,
        )

    try:
        async for attempt in AsyncRetrying(
            retry=retry_if_exception(lambda e: classify(e) is not None),
            after=count,
            wait=wait,
            stop=stop,
            before_sleep=before_sleep,
            sleep=sleep,
            reraise=True,
        ):
            with attempt:
                return await send()
    except Exception:
        channel, _, method = what.partition(" ")
        metrics.count(metrics.CHANNEL_ERRORS, channel, method or "call")
        raise
    raise AssertionError("unreachable")  # pragma: no cover
