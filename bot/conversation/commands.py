"""Every command, once: who may run it, where, and whether an edit runs it again."""

from __future__ import annotations

from bot.conversation import admin, ask, learning, quiz, texts, weblogin
from bot.conversation.actor import Actor, Incoming
from bot.conversation.core import ADMIN, OFFICER, Command
from bot.conversation.replies import Listing, Text, Turn


def help_(core, actor: Actor, message: Incoming, args: list[str]) -> Turn:
    docs = []
    for d in core.assistant.library.documents():
        docs.append(texts.HELP_DOC.format(name=d.name, questions=d.questions) if d.questions else d.name)
        docs.append(f"  {d.title if len(d.title) <= 160 else d.title[:159] + '…'}")
    how = [texts.HELP_PRIVATE, texts.HELP_GROUP, texts.HELP_QUIZ]
    return Turn(
        [
            Listing(
                title=texts.HELP_TITLE,
                sections=[(None, [texts.HELP_INTRO]), (texts.HELP_HOW, how), (texts.HELP_DOCS, docs)],
            )
        ]
    )


def hoi(core, actor: Actor, message: Incoming, args: list[str]) -> Turn:
    text = " ".join(args).strip()
    if not text:
        return Turn([Text(text=texts.HOI_USAGE)])
    return ask.ask(core, actor, text)


def whoami(core, actor: Actor, message: Incoming, args: list[str]) -> Turn:
    text = texts.YOUR_ID.format(user_id=actor.user_id, chat_id=actor.chat_id)
    return Turn([Text(text=text + "\n" + texts.YOUR_ID_HINT.format(user_id=actor.user_id))])


COMMANDS: dict[str, Command] = {
    "start": Command(help_),
    "help": Command(help_),
    "hoi": Command(hoi, on_edit=True),
    "id": Command(whoami),
    "bxh": Command(quiz.leaderboard),
    "quiz_on": Command(quiz.quiz_on, role=OFFICER),
    "quiz_off": Command(quiz.quiz_off, role=OFFICER),
    "quiz_now": Command(quiz.quiz_now, role=OFFICER),
    "quiz_preview": Command(quiz.quiz_preview, role=OFFICER),
    "quiz_skip": Command(quiz.quiz_skip, role=OFFICER),
    "quiz_stats": Command(quiz.quiz_stats, role=OFFICER),
    "officer_add": Command(admin.officer_add, role=ADMIN, refusal=texts.ADMIN_ONLY),
    "officer_remove": Command(admin.officer_remove, role=ADMIN, refusal=texts.ADMIN_ONLY),
    "docs": Command(admin.docs, role=ADMIN, private_only=True, refusal=texts.NOT_ADMIN_DOCS),
    "reindex": Command(admin.reindex, role=ADMIN, private_only=True, refusal=texts.NOT_ADMIN_DOCS),
    "rollback": Command(
        admin.rollback, role=ADMIN, private_only=True, refusal=texts.NOT_ADMIN_DOCS, run_confirmed=admin.rollback_now
    ),
    "remove": Command(
        admin.remove, role=ADMIN, private_only=True, refusal=texts.NOT_ADMIN_DOCS, run_confirmed=admin.remove_now
    ),
    "unanswered": Command(admin.unanswered, role=ADMIN, private_only=True),
    "review": Command(learning.review, role=ADMIN, private_only=True),
    "phrasings": Command(learning.phrasings, role=ADMIN, private_only=True),
    "unlink": Command(learning.unlink, role=ADMIN, private_only=True, run_confirmed=learning.unlink_now),
    "web": Command(weblogin.link, role=OFFICER, private_only=True),
}
