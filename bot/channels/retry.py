"""Sending with retries: network errors, 5xx and 429 are retried with backoff (tenacity), waiting as
long as the service asked (``retry_after``); anything else is raised at once."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt, stop_after_delay

from bot import metrics

log = logging.getLogger(__name__)
T = TypeVar("T")

ATTEMPTS = 10
MAX_DELAY = 300.0  # seconds: past this an answer is stale; give up and say so in the log
BASE, CAP = 0.5, 15.0


async def send_retrying(
    send: Callable[[], Awaitable[T]],
    classify: Callable[[BaseException], float | None],
    what: str,
    attempts: int = ATTEMPTS,
) -> T:
    """``await send()`` until it works. ``classify(error)`` is None for errors not worth retrying,
    else the seconds the service asked to wait (0 when it did not say: exponential backoff)."""

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        asked = classify(error) if error else 0.0
        backoff = min(CAP, BASE * 2 ** (state.attempt_number - 1))
        return float(asked) + 0.1 if asked else backoff

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
            wait=wait,
            stop=stop_after_attempt(attempts) | stop_after_delay(MAX_DELAY),
            before_sleep=before_sleep,
            reraise=True,
        ):
            with attempt:
                return await send()
    except Exception:
        channel, _, method = what.partition(" ")
        metrics.count(metrics.CHANNEL_ERRORS, channel, method or "call")
        raise
    raise AssertionError("unreachable")  # pragma: no cover
