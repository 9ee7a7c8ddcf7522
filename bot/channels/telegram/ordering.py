"""Process updates concurrently across members, in order for each member.

A slow question from one member must not hold up the others, but one member's
own updates (a vote, then a changed vote; a question, then its edit) must be
handled in the order Telegram sent them.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.shared import KeyedLocks, Shared


def _key(update: object) -> object:
    if isinstance(update, Update):
        if update.poll_answer is not None and update.poll_answer.user is not None:
            return ("user", update.poll_answer.user.id)
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
        if update.effective_chat is not None:
            return ("chat", update.effective_chat.id)
    return ("update", id(update))


class PerMemberUpdateProcessor(BaseUpdateProcessor):
    """Up to ``max_concurrent_updates`` at once; updates sharing a member run one after another."""

    def __init__(self, max_concurrent_updates: int = 64, shared: Shared | None = None) -> None:
        super().__init__(max_concurrent_updates)
        self._locks = KeyedLocks(shared)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        async with self._locks.hold(_key(update)):
            await coroutine

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""
