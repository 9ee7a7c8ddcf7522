"""Destructive commands asked in chat (/rollback, /remove, /unlink): the command first shows what
members would lose or gain (:mod:`bot.conversation.impact`, the dashboard's confirmation page) with
"✅ Xác nhận …" and "Hủy"; only the confirmation runs it.

The pending command is kept in the database like an upload (any process may receive the tap), for its
admin only, for :data:`~bot.conversation.admin.UPLOAD_TTL` seconds. Confirming runs the command again
through :meth:`~bot.conversation.core.Conversation.command` with ``confirmed=True``: the same role and
private-chat checks, and the command's own checks (the version or document may be gone meanwhile).
The dashboard, which has its own confirmation page, calls that path directly.
"""

from __future__ import annotations

import secrets

from bot.conversation import texts
from bot.conversation.actions import ActionDecision
from bot.conversation.actor import Actor
from bot.conversation.replies import Choice, Listing, Text, Toast, Turn
from bot.storage import repository

# What each confirmation button says; also the commands that ask first.
CONFIRM_LABELS = {
    "rollback": texts.CONFIRM_ROLLBACK,
    "remove": texts.CONFIRM_REMOVE,
    "unlink": texts.CONFIRM_UNLINK,
}


def ask(core, actor: Actor, command: str, args: list[str], impact: Turn) -> Turn:
    """The impact summary with the two buttons; an impact that is only a refusal or a mistake ("no
    such version") is returned as it is: there is nothing to confirm."""
    from bot.conversation.admin import UPLOAD_TTL

    listing = next((r for r in impact.replies if isinstance(r, Listing)), None)
    if listing is None:
        return impact
    token = secrets.token_urlsafe(12)
    repository.store_pending_action(core.db, token, actor.channel, actor.user_id, command, args, UPLOAD_TTL)
    listing.choices = (
        Choice(CONFIRM_LABELS[command], ActionDecision(token, True), key="1"),
        Choice(texts.CONFIRM_CANCEL, ActionDecision(token, False), key="2"),
    )
    return impact


def decide(core, actor: Actor, token: str, accept: bool) -> Turn:
    if not core.roles.is_admin(actor):
        return Turn([Toast(text=texts.NOT_ADMIN_DOCS, alert=True)])
    row = repository.peek_upload(core.db, token)
    if row is None or repository.pending_action(row) is None:
        return Turn([Toast(text=texts.CONFIRM_EXPIRED, alert=True)])
    # Peeked first: another admin's tap must not use up (or cancel) the asker's confirmation.
    if row.user_id != actor.user_id or row.channel != actor.channel:
        return Turn([Toast(text=texts.CONFIRM_NOT_YOURS, alert=True)])
    row = repository.take_upload(core.db, token)  # one tap wins, in any process; None once expired
    held = repository.pending_action(row) if row is not None else None
    if held is None:
        return Turn([Toast(text=texts.CONFIRM_EXPIRED, alert=True)])
    # An empty toast only stops the button's spinner (text channels drop it): the message that follows
    # says what happened, once — a toast with text would be a second, identical line on Zalo.
    if not accept:
        return Turn([Toast(text=""), Text(text=texts.CONFIRM_CANCELLED)])
    command, args = held
    turn = core.command(actor, command, args, confirmed=True)
    turn.replies.insert(0, Toast(text=""))
    return turn
