"""Process updates concurrently across members and chats, in order for one member in one chat.

A slow question from one member must not hold up the others, but one member's own updates in a
chat (a question, then its edit; a vote, then a changed vote) must be handled — and answered — in
the order Telegram sent them. An update holds its key's lock until its replies were delivered, so a
member's next question in that chat waits for the previous answer, whichever process handles it;
the same member asking elsewhere (a private chat while their group is flooded) does not wait.

PTB's own limit on concurrent updates is no fairness tool: an update waiting for its member's lock
or for a group's send budget would sit on one of its slots, and a flood in one group would fill them
all. So that limit is set high enough never to bind (a waiting update costs one coroutine); what is
scarce — answering, which takes CPU — is shared out per chat by the channel itself.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.shared import KeyedLocks, Shared

NEVER_BINDING = 1_000_000


def update_key(update: object) -> object:
    """Whose updates must stay in order: a member in a chat; a poll answer's member (it names no chat)."""
    if isinstance(update, Update):
        if update.poll_answer is not None and update.poll_answer.user is not None:
            return ("user", update.poll_answer.user.id)
        user, chat = update.effective_user, update.effective_chat
        if user is not None:
            return ("member", chat.id if chat is not None else None, user.id)
        if chat is not None:
            return ("chat", chat.id)
    return ("update", id(update))


class PerMemberUpdateProcessor(BaseUpdateProcessor):
    """Every update at once, except that updates sharing a key (:func:`update_key`) run one after another."""

    def __init__(self, shared: Shared | None = None) -> None:
        super().__init__(NEVER_BINDING)
        self._locks = KeyedLocks(shared)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        async with self._locks.hold(update_key(update)):
            await coroutine

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""
