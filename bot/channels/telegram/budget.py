"""Telegram's send budget for the whole bot, however many processes send.

Telegram allows a bot about 30 messages per second overall and 20 per minute in one group
(https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this). PTB's
``AIORateLimiter`` keeps those windows in one process; three processes behind one webhook would send
three times the budget and collect 429s. This limiter keeps the same two windows in Redis
(:class:`bot.shared.Shared`) and leaves PTB's class to do the rest (its retry-after handling).
"""

from __future__ import annotations

import contextlib
from typing import Any

from limits import RateLimitItemPerMinute, RateLimitItemPerSecond
from telegram.constants import FloodLimit
from telegram.ext import AIORateLimiter

from bot.shared import Shared

PER_GROUP = RateLimitItemPerMinute(FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP)


class SharedSendBudget(AIORateLimiter):
    def __init__(self, shared: Shared, per_second: int, max_retries: int = 0) -> None:
        super().__init__(overall_max_rate=0, group_max_rate=0, max_retries=max_retries)  # windows: ours
        self.shared = shared
        self.overall = RateLimitItemPerSecond(per_second) if per_second else None

    async def process_request(self, callback, args, kwargs, endpoint, data: dict[str, Any], rate_limit_args):
        chat_id = data.get("chat_id")
        if chat_id is not None:
            with contextlib.suppress(ValueError, TypeError):
                chat_id = int(chat_id)
            # As PTB does: negative ids and @usernames are groups and channels.
            if (isinstance(chat_id, int) and chat_id < 0) or isinstance(chat_id, str):
                await self.shared.wait_for(PER_GROUP, "telegram-group", str(chat_id))
            if self.overall is not None:
                await self.shared.wait_for(self.overall, "telegram-send")
        return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)


def send_budget(shared: Shared, per_second: int) -> AIORateLimiter:
    """PTB's own limiter for one process; the Redis-backed one when processes share the budget."""
    if shared.distributed:
        return SharedSendBudget(shared, per_second)
    return AIORateLimiter(overall_max_rate=per_second, max_retries=0)
