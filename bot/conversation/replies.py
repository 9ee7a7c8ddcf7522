"""Typed, channel-free replies. The core returns them; each channel renders them its own way
(Telegram: HTML, inline buttons, quiz polls; Zalo and the terminal: plain text, numbered choices,
A–D letters; web: HTML). Every string in a reply is plain text: renderers escape it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.answer.model import Answer
from bot.conversation.actions import Action
from bot.progress import Progress
from bot.quiz.model import QuizQuestion

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Choice:
    """One tap away: a button, or a number to type. ``key`` fixes the number on text channels
    ("0" = the whole answer); ``buttons_only`` choices (👍/👎) are left out where there are no buttons."""

    label: str
    action: Action
    key: str | None = None
    buttons_only: bool = False


@dataclass(kw_only=True)
class Reply:
    # Another chat of the same channel (an officer's private chat); None: the chat the message came from.
    to: str | None = None
    choices: tuple[Choice, ...] = ()
    # Said in the current chat when sending to ``to`` fails (the person never opened a private chat)…
    fallback: Reply | None = None
    # …or once it was delivered there ("sent to your private chat").
    receipt: Reply | None = None


@dataclass(kw_only=True)
class Text(Reply):
    text: str
    title: str | None = None


@dataclass(kw_only=True)
class Listing(Reply):
    """A title, sections of lines (leaderboards, statistics, document lists), an optional footer."""

    title: str
    sections: list[tuple[str | None, list[str]]]
    footer: str | None = None


@dataclass(kw_only=True)
class Quote(Reply):
    """One official answer, quoted word for word with its citation (``answer.found`` is true)."""

    answer: Answer


@dataclass(kw_only=True)
class Refusal(Reply):
    """No official answer close enough: the polite message, and suggestions as choices."""

    answer: Answer


@dataclass(kw_only=True)
class Confirm(Reply):
    """A plausible official question: "Có phải bạn muốn hỏi: …?" with a one-tap way to its quote."""

    question: str
    hint: str  # how to take it on text channels ("Gõ 1 …")


@dataclass(kw_only=True)
class QuizPoll(Reply):
    """A quiz question to post: a native quiz poll where the channel has them, else text with letters."""

    question: QuizQuestion
    delivery_id: int
    anonymous: bool = False
    open_period: int | None = None
    close: tuple[str, ...] = ()  # message ids of earlier quiz polls in this chat, to close first


@dataclass(kw_only=True)
class DocumentPreview(Reply):
    """What adding an uploaded document would do; the choices confirm or cancel it."""

    summary: object  # bot.knowledge.DocumentSummary, for renderers that show more (web)
    title: str
    lines: list[str]


@dataclass(kw_only=True)
class Work(Reply):
    """Something long (a rebuild): the channel shows ``title`` with progress while ``run`` works in a
    thread, then renders what it returns."""

    title: str
    run: Callable[[Progress], list[Reply]]


@dataclass(kw_only=True)
class Toast(Reply):
    """A short acknowledgement of a tap (Telegram: the callback answer; elsewhere: a line of text)."""

    text: str
    alert: bool = False


@dataclass
class Turn:
    """What the core answers to one input: the replies, and what to record once they were delivered."""

    replies: list[Reply] = field(default_factory=list)
    _after: list[Callable[[bool], None]] = field(default_factory=list, repr=False)

    def after(self, record: Callable[[bool], None]) -> None:
        self._after.append(record)

    def done(self, delivered: bool) -> None:
        """Call once the replies were sent (``delivered``) or given up. Recording never raises."""
        for record in self._after:
            try:
                record(delivered)
            except Exception:
                log.exception("recording a delivered turn failed")
        self._after.clear()

    def __iter__(self):
        return iter(self.replies)

    def __len__(self) -> int:
        return len(self.replies)
