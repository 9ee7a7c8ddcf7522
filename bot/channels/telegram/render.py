"""Telegram message bodies (HTML, every piece of user and document text escaped) and keyboards."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.answer import format as wording
from bot.answer.model import Answer, Suggestion
from bot.channels.split import split_message

MESSAGE_LIMIT = 4096
BUTTON_LABEL = 60


def _short(text: str, limit: int = BUTTON_LABEL) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def answer_html(answer: Answer) -> list[str]:
    """The reply as one or more HTML messages under Telegram's 4096-character limit."""
    if answer.found and answer.source is not None:
        if answer.kind == "meta":
            body = f"{escape(answer.answer)}\n\n📄 <i>Theo tiêu đề văn bản:</i> {escape(answer.source.document)}"
            return split_message(body, MESSAGE_LIMIT)
        head = wording.context_line(answer)
        quote = escape(answer.answer)
        cite = f"📄 {escape(answer.source.citation)}"
        parts = [f"<b>{escape(head)}</b>"] if head else []
        pieces = split_message(quote, MESSAGE_LIMIT - 200)
        if len(pieces) == 1:
            parts.append(f"<blockquote>{pieces[0]}</blockquote>")
            parts.append(cite)
            return split_message("\n\n".join(parts), MESSAGE_LIMIT)
        # A long official answer: each piece quoted on its own, the citation at the end.
        messages = []
        for i, piece in enumerate(pieces):
            prefix = "\n\n".join(parts) + "\n\n" if i == 0 and parts else ""
            suffix = "\n\n" + cite if i == len(pieces) - 1 else ""
            messages.append(f"{prefix}<blockquote>{piece}</blockquote>{suffix}")
        return messages
    if answer.kind == "empty":
        return [escape(wording.EMPTY)]
    if answer.kind == "smalltalk":
        return [escape(wording.SMALLTALK)]
    text = escape(wording.NOT_FOUND)
    text += "\n\n" + (
        f"<b>{escape(wording.SUGGEST_HEADER)}</b>" if answer.suggestions else escape(wording.NO_SUGGESTION)
    )
    return [text]


def question_button(s: Suggestion, prefix: str = "") -> InlineKeyboardButton:
    label = f"Câu {s.question_number}: {s.question}" if s.question_number is not None else s.question
    return InlineKeyboardButton(_short(prefix + label), callback_data=f"a|{s.doc_id}|{s.question_number}")


def answer_keyboard(answer: Answer, question_id: int | None) -> InlineKeyboardMarkup | None:
    """Full-answer button for an item, related questions, feedback; or the suggestions."""
    rows: list[list[InlineKeyboardButton]] = []
    if answer.found and answer.source is not None and answer.kind != "meta":
        src = answer.source
        if answer.kind == "item" and src.question_number is not None:
            rows.append(
                [
                    InlineKeyboardButton(
                        "📖 Xem toàn văn câu trả lời", callback_data=f"a|{src.doc_id}|{src.question_number}"
                    )
                ]
            )
        rows.extend([question_button(s, "↪ ")] for s in answer.related[:2] if s.question_number is not None)
        if question_id is not None:
            rows.append(
                [
                    InlineKeyboardButton("👍 Hữu ích", callback_data=f"f|{question_id}|1"),
                    InlineKeyboardButton("👎 Chưa đúng", callback_data=f"f|{question_id}|-1"),
                ]
            )
    elif answer.suggestions:
        rows.extend([question_button(s)] for s in answer.suggestions if s.question_number is not None)
    return InlineKeyboardMarkup(rows) if rows else None


def help_html(documents) -> str:
    lines = [
        "<b>Trợ lý Hỏi–Đáp văn bản của Tỉnh ủy</b>",
        "Tôi trả lời bằng <b>nguyên văn</b> câu trả lời chính thức, kèm nguồn (văn bản, câu hỏi, mục).",
        "",
        "<b>Cách hỏi</b>",
        "• Nhắn tin riêng: gõ câu hỏi, có dấu hay không dấu đều được.",
        "• Trong nhóm: <code>/hoi câu hỏi</code>, hoặc nhắc tên tôi, hoặc trả lời tin nhắn của tôi.",
        "",
        "<b>Văn bản tôi đang trả lời</b>",
    ]
    for d in documents:
        lines.append(f"• {escape(d.name)} — {d.questions} câu hỏi–đáp" if d.questions else f"• {escape(d.name)}")
        lines.append(f"  <i>{escape(_short(d.title, 160))}</i>")
    return "\n".join(lines)
