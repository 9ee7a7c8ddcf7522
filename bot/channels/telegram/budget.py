"""Telegram's send budget for the whole bot, however many processes send.

Telegram allows a bot about 30 messages per second overall and 20 per minute in one group
(https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this); beyond that it
answers 429 and holds the bot back. Both are *moving* windows here (the ``limits`` library, in
:class:`bot.shared.Shared`: this process's memory, or Redis when several processes send), so no 60
seconds ever hold more than 20 messages to a group — a leaky bucket lets a burst of 20 and then 20
more through within one minute, which Telegram refuses.

The two windows are taken at different places, so that waiting never blocks other chats:

- the bot-wide window, by PTB's rate-limiter hook (:class:`OverallLimiter`) on every call that names
  a chat — a wait of at most a second;
- a group's window, by the group's own outbox (:mod:`bot.channels.telegram.outbox`) before each
  attempt to post there — a wait of up to a minute that only that group's outbox sits through.
"""

from __future__ import annotations

import asyncio
from typing import Any

from limits import RateLimitItemPerSecond
from telegram.constants import FloodLimit
from telegram.ext import BaseRateLimiter

from bot.shared import Shared

# 20 per 61 s: Telegram counts when a message arrives, we count when it leaves; a second of margin
# keeps network delays from squeezing a 21st message into Telegram's 60 seconds.
PER_GROUP = RateLimitItemPerSecond(FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP, 61)
ROOM_POLL = 0.25  # seconds between looks at a full group window


def is_group(chat_id: object) -> bool:
    """As PTB decides: negative ids and @usernames are groups and channels (private chats are positive)."""
    if isinstance(chat_id, str):
        try:
            chat_id = int(chat_id)
        except ValueError:
            return True  # "@kenh"
    return isinstance(chat_id, int) and chat_id < 0


class SendBudget:
    """The bot-wide window (``per_second``; 0: none) and one window per group, kept in ``shared``."""

    def __init__(self, shared: Shared, per_second: int) -> None:
        self.shared = shared
        # One permit kept in hand, as the group window keeps a second: permits are taken when a request
        # leaves, Telegram counts when it arrives, and the time between varies by some milliseconds.
        self.overall = RateLimitItemPerSecond(max(per_second - 1, 1)) if per_second else None

    async def send(self) -> None:
        """One permit of the bot-wide window (waits up to a second when it is full)."""
        if self.overall is not None:
            await self.shared.wait_for(self.overall, "telegram-send")

    async def group(self, chat_id: str) -> None:
        """One permit of ``chat_id``'s window: waits, as long as it takes, until the window has room."""
        await self.shared.wait_for(PER_GROUP, "telegram-group", str(chat_id))

    async def group_room(self, chat_id: str) -> int:
        """Permits left in ``chat_id``'s window now (none taken). Redis out of reach: the full window."""
        return await self.shared.remaining(PER_GROUP, "telegram-group", str(chat_id))

    async def until_group_room(self, chat_id: str) -> int:
        """Wait (taking nothing) until ``chat_id``'s window has room; the permits left then."""
        while (room := await self.group_room(chat_id)) <= 0:
            await asyncio.sleep(ROOM_POLL)
        return room


class OverallLimiter(BaseRateLimiter[int]):
    """PTB's hook: every call that names a chat takes a permit of the bot-wide window first. (PTB's own
    ``AIORateLimiter`` keeps its windows in one process and lets a group burst past 20 a minute.)"""

    def __init__(self, budget: SendBudget) -> None:
        self.budget = budget

    async def initialize(self) -> None:
        """Nothing to set up: the windows live in :class:`~bot.shared.Shared`."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(self, callback, args, kwargs, endpoint, data: dict[str, Any], rate_limit_args):
        if data.get("chat_id") is not None:
            await self.budget.send()
        return await callback(*args, **kwargs)
