"""Replies as views for the HTML templates: plain data (every string still plain text; the
templates escape it), choices as the encoded actions their buttons post back."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.answer import format as wording
from bot.answer import tables
from bot.conversation import texts
from bot.conversation.actions import Feedback, QuizVote, encode
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
    Work,
)
from bot.quiz.model import LETTERS


@dataclass
class Button:
    label: str
    data: str  # actions.encode(...): posted back to /tap
    kind: str = "choice"  # choice | yes | feedback | letter


@dataclass
class View:
    """One bubble: ``kind`` picks the template block (quote, refusal, confirm, text, listing, note, quiz,
    preview)."""

    kind: str
    title: str | None = None
    context: str | None = None  # the official question a quote answers
    body: str | None = None  # quoted official text, or a message
    citation: str | None = None
    header: str | None = None  # "Có phải bạn muốn hỏi…"
    sections: list[tuple[str | None, list[str]]] = field(default_factory=list)
    footer: str | None = None
    buttons: list[Button] = field(default_factory=list)
    feedback: list[Button] = field(default_factory=list)  # 👍/👎, side by side
    options: list[str] = field(default_factory=list)  # quiz options (A–D) when not tappable
    alert: bool = False
    summary: object = None  # DocumentPreview's DocumentSummary
    parts: list = field(default_factory=list)  # a quote's lines and tables (bot.answer.tables.Part)


def _buttons(choices: tuple[Choice, ...]) -> tuple[list[Button], list[Button]]:
    main, feedback = [], []
    for c in choices:
        if isinstance(c.action, Feedback):
            feedback.append(Button(c.label, encode(c.action), "feedback"))
        elif isinstance(c.action, QuizVote):
            main.append(Button(c.label, encode(c.action), "letter"))
        else:
            main.append(Button(c.label, encode(c.action)))
    return main, feedback


def view(reply: Reply) -> View | None:
    """The view of one reply (None: nothing to show, e.g. a silent acknowledgement)."""
    buttons, feedback = _buttons(reply.choices)
    match reply:
        case Quote(answer=answer) if answer.kind == "meta" and answer.source is not None:
            return View(
                "quote",
                body=answer.answer,
                citation=texts.META_SOURCE.format(document=answer.source.document),
                buttons=buttons,
                feedback=feedback,
            )
        case Quote(answer=answer):
            return View(
                "quote",
                context=wording.context_line(answer),
                body=answer.answer,
                parts=tables.parts(answer.answer),
                citation=answer.source.citation if answer.source else None,
                buttons=buttons,
                feedback=feedback,
            )
        case Refusal(answer=answer):
            headline, header = wording.refusal_lines(answer)
            return View(
                "refusal",
                body=headline,
                header=(header or None) if buttons else None,
                footer=None if buttons else texts.NO_SUGGESTION,
                buttons=buttons,
            )
        case Confirm():
            if buttons:
                buttons[0].kind = "yes"
            return View(
                "confirm",
                header=texts.CONFIRM.format(question=reply.question),
                footer=texts.CONFIRM_OTHERS if len(buttons) > 1 else None,
                buttons=buttons,
            )
        case QuizPoll(question=q):
            return View(
                "quiz",
                title=texts.QUIZ_TODAY_TITLE,
                body=q.question,
                buttons=buttons,
                options=[] if buttons else [f"{LETTERS[i]}. {o}" for i, o in enumerate(q.options)],
            )
        case DocumentPreview():
            return View(
                "preview", title=reply.title, sections=[(None, reply.lines)], buttons=buttons, summary=reply.summary
            )
        case Listing():
            return View("listing", title=reply.title, sections=reply.sections, footer=reply.footer, buttons=buttons)
        case Toast(text=text):
            return View("note", body=text, alert=reply.alert) if text else None
        case Text(text=text, title=title):
            return View("text", title=title, body=text, buttons=buttons, feedback=feedback)
        case Work(title=title):
            return View("note", body=f"⏳ {title}…")
    return None


def views(replies) -> list[View]:
    return [v for v in (view(r) for r in replies) if v is not None]
