"""Replies as Telegram messages: HTML (every text escaped), cut under 4,096 UTF-16 units with tags
closed and reopened across cuts, inline keyboards carrying encoded actions."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.answer import format as wording
from bot.channels.split import split_blocks
from bot.conversation import texts
from bot.conversation.actions import encode
from bot.conversation.replies import Choice, Confirm, DocumentPreview, Listing, Quote, Refusal, Reply, Text, Toast

MESSAGE_LIMIT = 4096
BUTTON_LABEL = 60


@dataclass
class Message:
    html: str
    keyboard: InlineKeyboardMarkup | None = None


def _short(text: str, limit: int = BUTTON_LABEL) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def keyboard(choices: tuple[Choice, ...], one_row: bool = False) -> InlineKeyboardMarkup | None:
    """One button per row, except 👍/👎 (and confirm/cancel) side by side."""
    rows: list[list[InlineKeyboardButton]] = []
    paired: list[InlineKeyboardButton] = []
    for c in choices:
        button = InlineKeyboardButton(_short(c.label), callback_data=encode(c.action))
        if c.buttons_only or one_row:
            paired.append(button)
        else:
            rows.append([button])
    if paired:
        rows.append(paired)
    return InlineKeyboardMarkup(rows) if rows else None


def blocks(reply: Reply) -> list[tuple]:
    """The reply as (tag, plain text[, separator]) blocks."""
    match reply:
        case Quote(answer=answer) if answer.kind == "meta" and answer.source is not None:
            return [(None, answer.answer), ("i", "📄 " + texts.META_SOURCE.format(document=answer.source.document))]
        case Quote(answer=answer):
            head = wording.context_line(answer)
            out = [("b", head)] if head else []
            out.append(("blockquote", answer.answer))
            out.append((None, "📄 " + answer.source.citation))
            return out
        case Refusal():
            tail = ("b", texts.SUGGEST_HEADER) if reply.choices else (None, texts.NO_SUGGESTION)
            return [(None, texts.NOT_FOUND), tail]
        case Confirm():
            return [("b", texts.CONFIRM.format(question=reply.question))]
        case DocumentPreview():
            return [("b", reply.title), (None, "\n".join(reply.lines), "\n")]
        case Listing():
            out = [("b", reply.title)]
            for name, rows in reply.sections:
                if name:
                    out.append(("b", name, "\n\n"))
                out.append((None, "\n".join(rows), "\n" if name else "\n\n"))
            if reply.footer:
                out.append(("i", reply.footer))
            return out
        case Toast(text=text):
            return [(None, text)] if text else []
        case Text(text=text, title=title):
            return ([("b", title)] if title else []) + [(None, text)]
    return []


def messages(reply: Reply) -> list[Message]:
    """The HTML messages of a reply; its keyboard rides on the last one."""
    parts = split_blocks(blocks(reply), MESSAGE_LIMIT)
    if not parts:
        return []
    out = [Message(p) for p in parts]
    out[-1].keyboard = keyboard(reply.choices, one_row=isinstance(reply, DocumentPreview))
    return out
