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


class ChatTyping:
    """One "typing…" loop per chat, however many of its messages are being answered at once: a busy
    group gets one chat action every few seconds, not one per question (each is a call that counts
    against the bot's 30 a second)."""

    def __init__(self, send: Callable[[str], Awaitable[object]]) -> None:
        self._send = send  # send(chat_id): one chat action
        self._busy: dict[str, tuple[int, asyncio.Event, asyncio.Task]] = {}

    @contextlib.asynccontextmanager
    async def shown(self, chat_id: str, delay: float):
        """While the body runs, "typing…" shows in ``chat_id`` (after ``delay`` seconds)."""
        entry = self._busy.get(chat_id)
        if entry is None:
            done = asyncio.Event()
            task = asyncio.ensure_future(show_typing(lambda: self._send(chat_id), delay, done))
            entry = (0, done, task)
        count, done, task = entry
        self._busy[chat_id] = (count + 1, done, task)
        try:
            yield
        finally:
            count, done, task = self._busy[chat_id]
            if count == 1:
                del self._busy[chat_id]
                done.set()
            else:
                self._busy[chat_id] = (count - 1, done, task)
