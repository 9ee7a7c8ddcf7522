"""Answering slots shared out per chat.

Answering takes CPU (a worker thread per question). Without a share per chat, a group where fifty
members ask ten questions each fills every worker thread, and a member asking in a private chat
waits behind five hundred questions that are not theirs. Each chat may have ``per_chat`` questions
being answered at once; the rest of its questions wait for its own slots, so whoever asks elsewhere
finds a worker free.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Hashable

PER_CHAT = 2  # on 2 cores: a flooded group answers ~40 questions a second and leaves a core to the others


class ChatSlots:
    def __init__(self, per_chat: int = PER_CHAT) -> None:
        self.per_chat = per_chat
        self._slots: dict[Hashable, tuple[asyncio.Semaphore, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, chat: Hashable) -> AsyncIterator[None]:
        semaphore, users = self._slots.get(chat) or (asyncio.Semaphore(self.per_chat), 0)
        self._slots[chat] = (semaphore, users + 1)
        try:
            async with semaphore:
                yield
        finally:
            semaphore, users = self._slots[chat]
            if users == 1:
                del self._slots[chat]  # nobody waits: forget the chat
            else:
                self._slots[chat] = (semaphore, users - 1)
