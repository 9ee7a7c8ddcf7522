"""Officers manage the quiz from the dashboard: write, edit, turn off and on one question; set a
group's time, days and on/off. Roles are checked here (officers and admins), as for every chat
command; the web only renders the replies."""

from __future__ import annotations

from bot.conversation import audit, texts
from bot.conversation.actor import Actor
from bot.conversation.replies import Listing, Text, Turn
from bot.errors import UserInputError
from bot.quiz.schedule import describe_days, parse_days, parse_time

FIELDS = ("question", "correct", "explanation", "doc_number", "question_number", "item")


def _by(actor: Actor) -> str:
    return f"{actor.channel}:{actor.user_id}"


def question_data(form: dict) -> dict:
    """The form's fields as the importer's row: the same columns (question, A…, correct, …)."""
    from bot.quiz.model import LETTERS

    options = [str(form.get(letter) or "").strip() for letter in LETTERS]
    return {
        "question": str(form.get("question") or "").strip(),
        "options": [o for o in options if o],
        "correct": str(form.get("correct") or "").strip(),
        "explanation": str(form.get("explanation") or "").strip(),
        "source": {k: str(form.get(k) or "").strip() for k in ("doc_number", "question_number", "item")},
    }


def save_question(core, actor: Actor, form: dict, replaces: str | None = None) -> Turn:
    """A new question, or an edit of ``replaces``: checked like an imported row (and an edited
    generated one against the official text); refused with every problem listed."""
    if not core.roles.is_officer(actor):
        return Turn([Text(text=texts.NOT_OFFICER)])
    original = None
    if replaces:
        entry = core.assistant.quizzes.quiz_entry(replaces)
        if entry is None:
            return Turn([Text(text=texts.QUIZ_QUESTION_GONE)])
        original = entry.question
    question, problems = core.assistant.quizzes.check_quiz_question(question_data(form), original)
    if problems:
        return Turn([Listing(title=texts.QUIZ_NOT_SAVED, sections=[(None, problems)], footer=texts.QUIZ_FIX)])
    core.assistant.quizzes.save_quiz_question(question, _by(actor), replaces)
    audit.record(core, actor, "quiz_edit", question.question[:120], "sửa" if original is not None else "viết mới")
    done = texts.QUIZ_EDITED if original is not None else texts.QUIZ_WRITTEN
    return Turn([Text(text=done.format(question=question.question[:120]))])


def set_question_active(core, actor: Actor, question_id: str, active: bool) -> Turn:
    if not core.roles.is_officer(actor):
        return Turn([Text(text=texts.NOT_OFFICER)])
    entry = core.assistant.quizzes.set_quiz_question_active(question_id, active, _by(actor))
    if entry is None:
        return Turn([Text(text=texts.QUIZ_QUESTION_GONE)])
    audit.record(core, actor, "quiz_edit", entry.question.question[:120], "bật" if active else "tắt")
    done = texts.QUIZ_QUESTION_ON if active else texts.QUIZ_QUESTION_OFF
    return Turn([Text(text=done.format(question=entry.question.question[:120]))])


def set_schedule(core, actor: Actor, sub_id: int, time: str, days: list[str], active: bool) -> Turn:
    """A group's time and days (the same words as /quiz_on: 07:30, T2…CN) and whether it is on."""
    if not core.roles.is_officer(actor):
        return Turn([Text(text=texts.NOT_OFFICER)])
    sub = core.assistant.quizzes.quiz_subscription(sub_id)
    if sub is None:
        return Turn([Text(text=texts.QUIZ_GROUP_GONE)])
    if not days:
        raise UserInputError(texts.QUIZ_NO_DAYS)
    sub = core.assistant.quizzes.set_quiz_schedule(sub_id, parse_time(time), parse_days([",".join(days)]), active)
    title = sub.title or sub.chat_id
    audit.record(
        core, actor, "quiz_schedule", str(title), f"{sub.time} {describe_days(sub.days)}" if sub.active else "tắt"
    )
    if not sub.active:
        return Turn([Text(text=texts.QUIZ_GROUP_OFF.format(title=title))])
    return Turn([Text(text=texts.QUIZ_GROUP_ON.format(title=title, time=sub.time, days=describe_days(sub.days)))])
