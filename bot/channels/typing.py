"""“typing…” while an answer is being looked for, shared by the channels.

Shown only when the answer takes longer than a moment (most take milliseconds, and each chat action
counts against the send budget), repeated while it lasts, and never cut off mid-request: the loop
stops between actions when the answer is ready.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)
REPEAT = 4.5  # seconds: a chat action shows for about five


async def show_typing(send: Callable[[], Awaitable[object]], delay: float, done: asyncio.Event) -> None:
    """Call ``send()`` after ``delay`` seconds and every few seconds, until ``done`` is set."""
    wait = delay
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), wait)
        if done.is_set():
            return
        try:
            await send()
        except Exception as e:  # cosmetic: never let it disturb the answer
            log.debug("typing action failed: %s", e)
        wait = REPEAT
