"""One quiz scheduler for every channel of a process.

Each tick reads the schedules from the database (so /quiz_on and /quiz_off made anywhere take effect
at the next tick, without a restart), claims what is due — a late tick still delivers within the
misfire grace — and hands each claim to the channel that sends it. Claims are rows in the database,
so several processes ticking at once send each quiz once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)
# Quizzes in flight at once: enough that a group whose budget a flood used up holds back only its own
# quiz, few enough that a process killed mid-burst leaves few quizzes between Telegram's acceptance and
# our record of it (each of those is sent again by the process that takes its claim over).
SENDING_AT_ONCE = 4


class QuizScheduler:
    def __init__(self, conversation, interval: float = 20.0) -> None:
        self.conversation = conversation
        self.interval = interval
        self._senders: dict[str, Callable[[object, object], Awaitable[None]]] = {}
        self._task: asyncio.Task | None = None

    def register(self, channel: str, send: Callable[[object, object], Awaitable[None]]) -> None:
        """``send(claim, quiz_poll)`` posts a claimed quiz on ``channel`` (and reports how it went)."""
        self._senders[channel] = send

    async def tick(self, now=None) -> int:
        """Claim and send what is due now; returns how many quizzes this process sent or tried."""
        if not self._senders:
            return 0
        claims = await asyncio.to_thread(self.conversation.due_quizzes, set(self._senders), now)
        slots = asyncio.Semaphore(SENDING_AT_ONCE)

        async def send(claim, poll) -> None:
            async with slots:
                try:
                    claim = await asyncio.to_thread(self.conversation.renew_claim, claim)
                    if claim is None:  # waited too long in our queue: another process took it over
                        return
                    await self._senders[claim.channel](claim, poll)
                except Exception:
                    log.exception("quiz for %s/%s could not be sent", claim.channel, claim.chat_id)

        # A few at once, not one after the other: a group whose budget is used up by a flood of questions
        # holds back its own quiz, not every other chat's.
        await asyncio.gather(*(send(claim, poll) for claim, poll in claims))
        return len(claims)

    async def _run(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:  # the database may be briefly unreachable: try again next tick
                log.exception("quiz scheduler tick failed")
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="quiz-scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
