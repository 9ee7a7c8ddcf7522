"""Replies as plain text for channels without markup or buttons (Zalo, the terminal): choices
become numbered lines, and the member answers with the number."""

from __future__ import annotations

from dataclasses import replace

from bot.answer import format as wording
from bot.conversation import texts
from bot.conversation.actions import encode
from bot.conversation.replies import (
    Choice,
    Confirm,
    DocumentPreview,
    Listing,
    QuizPoll,
    Quote,
    Refusal,
    Reply,
    Text,
    Toast,
)
from bot.quiz.model import LETTERS


class Numbering:
    """Numbers for the choices of one turn: fixed keys ("0", "1") first, then the next free ones."""

    def __init__(self) -> None:
        self.actions: dict[str, str] = {}
        self._next = 1

    def number(self, choice: Choice) -> str:
        key = choice.key if choice.key is not None and choice.key not in self.actions else None
        if key is None:
            while str(self._next) in self.actions:
                self._next += 1
            key = str(self._next)
        self.actions[key] = encode(choice.action)
        return key

    def lines(self, choices) -> list[str]:
        return [f"{self.number(c)}. {c.label}" for c in choices if not c.buttons_only]


def quiz_text(question) -> str:
    last = LETTERS[len(question.options) - 1]
    hint = texts.QUIZ_LETTERS.format(first=LETTERS[0], last=last)
    return f"{texts.QUIZ_TITLE}\n{question.as_text()}\n\n{hint}"


def listing_text(title: str, sections, footer: str | None = None) -> str:
    lines = [title]
    for name, rows in sections:
        lines.append(f"\n{name}:" if name else "")
        lines += rows
    if footer:
        lines.append(f"\n{footer}")
    return "\n".join(line for i, line in enumerate(lines) if line or i)


def render(reply: Reply, numbering: Numbering) -> str | None:
    """The plain text of one reply (None for what has no text: an empty acknowledgement)."""
    match reply:
        case Quote(answer=answer):
            body = wording.format_plain(replace(answer, more=[]))
            full = [c for c in reply.choices if c.key == "0"]
            others = [c for c in reply.choices if c.key != "0" and not c.buttons_only]
            lines = [body]
            if full:
                numbering.number(full[0])
                lines.append("\n" + texts.FULL_ANSWER_HINT)
            if others:
                lines.append("\n" + texts.RELATED_HINT)
                lines += numbering.lines(others)
            return "\n".join(lines)
        case Refusal(answer=answer):
            headline, header = wording.refusal_lines(answer)
            if not reply.choices:
                return f"{headline}\n{texts.NO_SUGGESTION}"
            return "\n".join(
                [headline, *([header] if header else []), *numbering.lines(reply.choices), texts.CHOOSE_HINT]
            )
        case Confirm():
            first, *others = reply.choices
            numbering.number(first)
            lines = [texts.CONFIRM.format(question=reply.question), reply.hint]
            if others:
                lines += [texts.CONFIRM_OTHERS, *numbering.lines(others)]
            return "\n".join(lines)
        case QuizPoll(question=question):
            return quiz_text(question)
        case DocumentPreview():
            return "\n".join([reply.title, *reply.lines, "", *numbering.lines(reply.choices)])
        case Listing():
            body = listing_text(reply.title, reply.sections, reply.footer)
            # A question before a destructive command ("✅ Xác nhận …" / "Hủy") is answered by number.
            numbered = numbering.lines(reply.choices)
            return "\n".join([body, "", *numbered]) if numbered else body
        case Toast(text=text):
            return text or None
        case Text(text=text, title=title):
            return f"{title}\n\n{text}" if title else text
    return None
