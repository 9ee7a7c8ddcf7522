"""One ordered outbox per chat: replies leave in the order they were made, and waiting for a chat's
send budget is that chat's own business.

Telegram lets a bot post 20 messages a minute in a group (:mod:`.budget`). When fifty members of a
group ask ten questions each within seconds, their answers wait for the group's budget here, in the
group's outbox — not in the update handlers, whose slots every other chat needs — and the group is
answered without breaking the limit:

- while the group's window has room, each reply goes out as it would anywhere, with its buttons;
- once answers pile up, the ones waiting are *merged*: one message carries several answers, each
  under a line naming the member (a mention) and their question, in asking order;
- an answer the group got less than ten minutes ago is not posted again: the member gets a line
  pointing to it (a link to the message in a supergroup);
- with the window half used, the outbox lingers a few seconds before each message so that it
  leaves full — twenty messages a minute carry a few hundred answers.

A private chat's outbox sends one reply after the other, nothing merged. Replies a core call sends
elsewhere (an officer's private chat), quiz polls, long jobs and answers longer than one message
are sent on their own, in their place in the order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from telegram import Message
from telegram.error import TelegramError

from bot.channels.telegram import render
from bot.channels.telegram.budget import PER_GROUP, SendBudget, is_group
from bot.conversation.actor import Actor
from bot.conversation.replies import Choice, Confirm, Listing, Quote, Refusal, Reply, Text, Turn
from bot.text.normalize import fold

log = logging.getLogger(__name__)

REPEAT_SECONDS = 600.0  # an answer posted this recently is pointed to, not posted again (when merging)
LINGER = 60.0 / PER_GROUP.amount  # seconds: the pace of a full window (3 s for 20 a minute)
MAX_BUTTONS = 20  # buttons of one merged message (one per confirmation or refusal in it)
SEPARATOR = "\n\n"
REMEMBERED_CHATS = 10_000


class ChatLost(Exception):
    """The bot can no longer post in that chat (kicked, blocked, chat gone)."""


@dataclass(eq=False)
class Parcel:
    """The replies of one core call, for one chat, and who is told when they were delivered."""

    chat_id: str
    actor: Actor | None
    replies: list[Reply]
    replying_to: Message | None
    asked: str | None  # what the member wrote: named above their answer when answers are merged
    turn: Turn | None
    claim: object | None = None  # a quiz's claim (renewed before each attempt to post it)
    left: int = 0
    ok: bool = True
    done: asyncio.Future | None = None

    def settle(self, ok: bool) -> None:
        """One reply sent (or given up)."""
        self.ok = self.ok and ok
        self.left -= 1
        if self.left <= 0:
            if self.turn is not None:
                self.turn.done(self.ok)
            if self.done is not None and not self.done.done():
                self.done.set_result(self.ok)


@dataclass(eq=False)
class Piece:
    reply: Reply
    parcel: Parcel
    html: str | None = None  # its one-message HTML, when it can share a message
    key: tuple | None = None  # what makes it "the same answer" as one posted earlier

    @property
    def name(self) -> str:
        actor = self.parcel.actor
        return actor.name.strip() if actor and actor.name.strip() else "Bạn"


@dataclass
class _Box:
    chat_id: str
    group: bool
    queue: deque[Piece] = field(default_factory=deque)
    task: asyncio.Task | None = None


def _key(piece: Piece) -> tuple | None:
    reply = piece.reply
    if isinstance(reply, Quote) and reply.answer.source is not None:
        src = reply.answer.source
        return ("quote", reply.answer.kind, src.doc_id, src.question_number, src.item, hash(reply.answer.answer))
    if isinstance(reply, Refusal | Confirm) and piece.parcel.asked:
        return ("asked", " ".join(fold(piece.parcel.asked).split()))
    return None


def _mergeable(piece: Piece) -> bool:
    reply = piece.reply
    own_chat = reply.to is None or (piece.parcel.actor is not None and reply.to == piece.parcel.actor.chat_id)
    return own_chat and isinstance(reply, Text | Listing | Quote | Refusal | Confirm) and piece.html is not None


class Outboxes:
    """The outboxes of one channel. ``send_one(chat_id, piece)`` sends a reply as the channel always
    does; ``post(chat_id, html, keyboard, replying_to)`` posts one merged message and returns it."""

    def __init__(
        self,
        budget: SendBudget,
        send_one: Callable[[str, Piece], Awaitable[Message | None]],
        post: Callable[[str, str, object, Message | None], Awaitable[Message]],
    ) -> None:
        self.budget = budget
        self._send_one = send_one
        self._post = post
        self._boxes: dict[str, _Box] = {}
        # chat -> answer key -> (message id or None, when): what each group got lately
        self._recent: OrderedDict[str, dict[tuple, tuple[int | None, float]]] = OrderedDict()
        self.linger = LINGER

    def pending(self, chat_id: str) -> int:
        box = self._boxes.get(str(chat_id))
        return len(box.queue) if box else 0

    async def deliver(
        self,
        chat_id: str,
        replies: list[Reply],
        actor: Actor | None = None,
        replying_to: Message | None = None,
        asked: str | None = None,
        turn: Turn | None = None,
        claim: object | None = None,
        wait: bool = True,
    ) -> bool:
        """Queue ``replies`` for ``chat_id``; with ``wait``, return once they were sent (True) or given
        up (False). ``turn`` is told either way (it logs the question as delivered or not)."""
        chat_id = str(chat_id)
        loop = asyncio.get_running_loop()
        parcel = Parcel(chat_id, actor, list(replies), replying_to, asked, turn, claim, len(replies))
        parcel.done = loop.create_future()
        if not replies:
            parcel.left = 1
            parcel.settle(False)
            return False
        box = self._boxes.get(chat_id)
        if box is None:
            box = self._boxes[chat_id] = _Box(chat_id, is_group(chat_id))
        for reply in replies:
            piece = Piece(reply, parcel)
            if box.group:
                piece.html = (
                    render.single(reply) if isinstance(reply, Text | Listing | Quote | Refusal | Confirm) else None
                )
                piece.key = _key(piece)
            box.queue.append(piece)
        if box.task is None:
            box.task = asyncio.ensure_future(self._drain(box))
        return await parcel.done if wait else True

    async def close(self, grace: float = 0.0) -> None:
        """Give the outboxes ``grace`` seconds to send what waits, then stop them."""
        tasks = [b.task for b in self._boxes.values() if b.task is not None]
        if tasks and grace > 0:
            await asyncio.wait(tasks, timeout=grace)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for box in list(self._boxes.values()):
            while box.queue:
                box.queue.popleft().parcel.settle(False)

    # --- the worker of one chat ---------------------------------------------------------------------
    async def _drain(self, box: _Box) -> None:
        try:
            while box.queue:
                head = box.queue[0]
                if not (box.group and _mergeable(head)):
                    box.queue.popleft()
                    await self._alone(box, head)
                    continue
                room = await self.budget.until_group_room(box.chat_id)
                if room <= PER_GROUP.amount // 2:
                    await self._fill(box)
                sections = self._sections(box)
                if len(sections) == 1:
                    await self._alone(box, sections[0][0])
                else:
                    await self._merged(box, sections)
        except Exception:  # a bug here must not strand the chat's members: say so, fail what is left
            log.exception("telegram: the outbox of %s stopped", box.chat_id)
            while box.queue:
                box.queue.popleft().parcel.settle(False)
        finally:
            box.task = None
            if not box.queue:
                self._boxes.pop(box.chat_id, None)

    async def _fill(self, box: _Box) -> None:
        """The window is half used: wait (up to the pace of a full window) for a message's worth."""
        deadline = time.monotonic() + self.linger
        while time.monotonic() < deadline and self._waiting_chars(box) < render.MESSAGE_LIMIT:
            await asyncio.sleep(0.1)

    def _waiting_chars(self, box: _Box) -> int:
        total = 0
        for piece in box.queue:
            if not _mergeable(piece):
                break
            total += render.shown_len(piece.html or "") + render.ASKED_CHARS + 40
        return total

    def _sections(self, box: _Box) -> list[tuple[Piece, str, Choice | None]]:
        """The mergeable pieces at the head of the queue that fit in one message (at least one), taken
        off the queue, each with its section's HTML and the one button it keeps (a confirmation, the
        first suggestion; a merged quote keeps its text, not its 👍/👎 or related questions)."""
        recent = self._recent_of(box.chat_id)
        out: list[tuple[Piece, str, Choice | None]] = []
        here: set[tuple] = set()
        size = tags = buttons = 0
        while box.queue and _mergeable(box.queue[0]):
            piece = box.queue[0]
            pointed = piece.key is not None and (piece.key in here or self._fresh(recent, piece.key))
            actor = piece.parcel.actor
            head = render.asked(actor.user_id if actor else None, piece.name, piece.parcel.asked)
            section = f"{head}\n{self._pointer(box, piece) if pointed else piece.html}"
            button = None
            if not pointed and not isinstance(piece.reply, Quote):
                button = next((c for c in piece.reply.choices if not c.buttons_only), None)
            cost = render.shown_len(section) + len(SEPARATOR)
            if out and (
                size + cost > render.MESSAGE_LIMIT
                or tags + render.entities(section) > render.ENTITIES
                or buttons + (button is not None) > MAX_BUTTONS
            ):
                break
            box.queue.popleft()
            out.append((piece, section, button))
            size, tags, buttons = size + cost, tags + render.entities(section), buttons + (button is not None)
            if piece.key is not None and not pointed:
                here.add(piece.key)
        return out

    def _recent_of(self, chat_id: str) -> dict[tuple, tuple[int | None, float]]:
        recent = self._recent.setdefault(chat_id, {})
        self._recent.move_to_end(chat_id)
        while len(self._recent) > REMEMBERED_CHATS:
            self._recent.popitem(last=False)
        now = time.monotonic()
        for key in [k for k, (_, at) in recent.items() if now - at > REPEAT_SECONDS]:
            del recent[key]
        return recent

    @staticmethod
    def _fresh(recent: dict, key: tuple) -> bool:
        return key in recent and time.monotonic() - recent[key][1] <= REPEAT_SECONDS

    def _pointer(self, box: _Box, piece: Piece) -> str:
        reply = piece.reply
        source = reply.answer.source if isinstance(reply, Quote) else None
        message_id = self._recent_of(box.chat_id).get(piece.key, (None, 0.0))[0]
        return render.earlier(source, render.message_link(box.chat_id, message_id))

    async def _alone(self, box: _Box, piece: Piece) -> None:
        try:
            sent = await self._send_one(box.chat_id, piece)
        except ChatLost as e:
            piece.parcel.settle(False)
            self._lost(box, e)
            return
        except TelegramError as e:
            log.warning("telegram: a reply to %s was not delivered: %s", box.chat_id, e)
            piece.parcel.settle(False)
            return
        if piece.key is not None:
            self._recent_of(box.chat_id)[piece.key] = (getattr(sent, "message_id", None), time.monotonic())
        piece.parcel.settle(True)

    async def _merged(self, box: _Box, sections: list[tuple[Piece, str, Choice | None]]) -> None:
        batch = [piece for piece, _, _ in sections]
        html = SEPARATOR.join(section for _, section, _ in sections)
        keyboard = render.merged_keyboard([(piece.name, button) for piece, _, button in sections if button])
        replying_to = next((p.parcel.replying_to for p in batch if p.parcel.replying_to is not None), None)
        recent = self._recent_of(box.chat_id)
        fresh = [p.key for p in batch if p.key is not None and not self._fresh(recent, p.key)]
        try:
            sent = await self._post(box.chat_id, html, keyboard, replying_to)
        except ChatLost as e:
            for piece in batch:
                piece.parcel.settle(False)
            self._lost(box, e)
            return
        except TelegramError as e:
            log.warning("telegram: %d merged replies to %s were not delivered: %s", len(batch), box.chat_id, e)
            for piece in batch:
                piece.parcel.settle(False)
            return
        now = time.monotonic()
        for key in fresh:
            recent[key] = (getattr(sent, "message_id", None), now)
        for piece in batch:
            piece.parcel.settle(True)

    def _lost(self, box: _Box, error: ChatLost) -> None:
        """Nothing more can reach the chat: what waits for it is given up now, not tried one by one."""
        log.warning("telegram: chat %s is lost (%s); %d waiting replies dropped", box.chat_id, error, len(box.queue))
        while box.queue:
            box.queue.popleft().parcel.settle(False)
