"""Replies as Telegram messages: HTML (every text escaped), cut under 4,096 UTF-16 units with tags
closed and reopened across cuts, inline keyboards carrying encoded actions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape, unescape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import MessageLimit

from bot.answer import format as wording
from bot.answer.model import Source
from bot.answer.tables import rows_as_lines
from bot.channels.split import split_blocks, utf16_len
from bot.conversation import texts
from bot.conversation.actions import encode
from bot.conversation.replies import Choice, Confirm, DocumentPreview, Listing, Quote, Refusal, Reply, Text, Toast

MESSAGE_LIMIT = 4096
_TAG = re.compile(r"<[^>]*>")
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
            out.append(("blockquote", rows_as_lines(answer.answer)))  # a table: one line per row
            out.append((None, "📄 " + answer.source.citation))
            return out
        case Refusal(answer=answer):
            headline, header = wording.refusal_lines(answer)
            if not reply.choices:
                return [(None, headline), (None, texts.NO_SUGGESTION)]
            return [(None, headline)] + ([("b", header)] if header else [])
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


# --- several answers in one message (a busy group) ------------------------------------------------
ASKED_CHARS = 60  # of the member's own question, in the line that names them
ENTITIES = MessageLimit.MESSAGE_ENTITIES  # Telegram shows no formatting past the 100th entity


def single(reply: Reply) -> str | None:
    """The reply's HTML when it fits in one message (buttons left out), else None."""
    parts = split_blocks(blocks(reply), MESSAGE_LIMIT)
    return parts[0] if len(parts) == 1 else None


def shown_len(html: str) -> int:
    """What Telegram counts against 4,096: the text once tags and entities are parsed (UTF-16)."""
    return utf16_len(unescape(_TAG.sub("", html)))


def entities(html: str) -> int:
    return html.count("</")


def asked(user_id: str | None, name: str, question: str | None) -> str:
    """``💬 <mention>Lan</mention> hỏi: “…”`` — a mention notifies the member the answer is for them."""
    who = escape(name or "Bạn", quote=False)
    if user_id and user_id.isdigit():
        who = f'<a href="tg://user?id={user_id}">{who}</a>'
    if not question:
        return f"💬 {who}"
    short = question if len(question) <= ASKED_CHARS else question[: ASKED_CHARS - 1].rstrip() + "…"
    return texts.MERGED_ASKED.format(name=who, question=f"<i>{escape(short, quote=False)}</i>")


def earlier(source: Source | None, link: str | None) -> str:
    """A pointer to an answer already posted in the chat (linked when Telegram has links for it)."""
    if source is None:
        return escape(texts.MERGED_EARLIER_SAME, quote=False)
    where = source.citation.split(" — ")[0] if source.question_number is not None else source.citation_name
    if source.doc_number and source.question_number is not None:
        where = f"{where} — {source.doc_number}"
    shown = escape(where, quote=False)
    if link:
        shown = f'<a href="{escape(link)}">{shown}</a>'
    return texts.MERGED_EARLIER.format(citation=shown)


def message_link(chat_id: str, message_id: int | None) -> str | None:
    """``https://t.me/c/…/42`` for a message of a supergroup (members can open it); None for others."""
    if message_id is None or not chat_id.startswith("-100"):
        return None
    return f"https://t.me/c/{chat_id[4:]}/{message_id}"


def merged_keyboard(owned: list[tuple[str, Choice]]) -> InlineKeyboardMarkup | None:
    """The choices of several replies in one keyboard, each labelled with whose it is."""
    rows = [
        [
            InlineKeyboardButton(
                _short(texts.MERGED_BUTTON.format(name=name, label=c.label)), callback_data=encode(c.action)
            )
        ]
        for name, c in owned
    ]
    return InlineKeyboardMarkup(rows) if rows else None
