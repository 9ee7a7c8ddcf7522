"""👍/👎 on an answer: only by the member who asked, stored in the background."""

from __future__ import annotations

import logging

from bot.conversation import texts
from bot.conversation.actor import Actor
from bot.conversation.replies import Toast, Turn
from bot.storage import repository

log = logging.getLogger(__name__)


def record(core, actor: Actor, ref: str, value: int) -> Turn:
    owner = core.asker(ref)
    if owner is None:
        return Turn([Toast(text=texts.STALE_BUTTON, alert=True)])
    if owner != actor.user_id:
        return Turn([Toast(text=texts.FEEDBACK_NOT_YOURS, alert=True)])

    def write(s) -> None:
        # The question's own log may still have been queued when the tap came: it is written first
        # (one writer, in order), so it is there now; check the asker again.
        row = repository.question_by_ref(s, ref)
        if row is None or row.user_id != actor.user_id:
            log.info("feedback on %s dropped: no such question from this member", ref)
            return
        repository.set_feedback(s, row.id, actor.channel, actor.user_id, 1 if value > 0 else -1)
        _propose(s, row, value)

    core.journal.submit("feedback", write)
    return Turn([Toast(text=texts.FEEDBACK_THANKS)])


def _propose(s, row, value: int) -> None:
    """Votes feed the review queue (never applied without an admin): 👍 on an answer a member reached
    through a suggestion proposes linking their question to it; 👎 on an answer asks for a look."""
    from sqlalchemy import select

    from bot.learning.store import Target, propose
    from bot.storage.models import Confirmation

    if value > 0 and not row.found:
        tap = s.scalars(
            select(Confirmation)
            .where(Confirmation.question_ref == row.ref, Confirmation.origin == "suggestion")
            .order_by(Confirmation.id.desc())
        ).first()
        if tap is not None:
            propose(s, row.text, Target(tap.doc_id, tap.question_number), "suggestion", question_id=row.id)
    elif value < 0 and row.found and row.doc_id and row.question_number is not None:
        target = Target(row.doc_id, row.question_number, row.item)
        propose(s, row.text, target, "thumbs_down", question_id=row.id, note="👎")
