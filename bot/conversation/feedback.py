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

    core.journal.submit("feedback", write)
    return Turn([Toast(text=texts.FEEDBACK_THANKS)])
