"""Who is talking, where, and what they sent: what every channel maps its updates to."""

from __future__ import annotations

from dataclasses import dataclass

PRIVATE, GROUP, CHANNEL = "private", "group", "channel"


@dataclass(frozen=True)
class Actor:
    """A person in a chat. ``chat_kind`` is "private", "group" (groups and supergroups) or "channel"."""

    channel: str  # "telegram" | "zalo" | "terminal" | "web"
    user_id: str
    chat_id: str
    chat_kind: str = PRIVATE
    display_name: str = ""
    chat_title: str | None = None

    @property
    def private(self) -> bool:
        return self.chat_kind == PRIVATE

    @property
    def name(self) -> str:
        return self.display_name or self.user_id


@dataclass(frozen=True)
class Incoming:
    """A text message (or a caption) as the core needs it.

    ``addressed``: the bot was mentioned, or the message replies to the bot (private chats are always
    addressed). ``reply_to_bot``: it replies to one of the bot's messages; ``reply_to_quiz``: to a quiz.
    ``reply_to_user``: the id of the person whose message it replies to (``/officer_add`` by reply).
    ``edited``: an edit of an earlier message (questions are answered again; nothing else is redone).
    """

    text: str
    addressed: bool = False
    mentioned: bool = False
    reply_to_bot: bool = False
    reply_to_quiz: bool = False
    reply_to_user: str | None = None
    edited: bool = False
