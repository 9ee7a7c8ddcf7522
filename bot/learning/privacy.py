"""What is kept about members, for how long, and how it leaves the system.

Question logs (what a member asked, in which chat, what was answered) exist to improve the
answers: the unanswered report, the review queue, feedback. Vietnam's Decree 13/2023/NĐ-CP on
personal data asks that personal data be kept no longer than its purpose needs, so logs older
than ``HOIDAP_QUESTION_RETENTION_DAYS`` (default 180) are deleted — except a question an admin
linked to an answer or marked out of scope, which has become part of what the bot knows.
Confirmations and feedback go with them. Exports never show a member's chat id: each is replaced
by a pseudonym, a keyed hash (HMAC-SHA-256) that is stable (the same member is recognisable
across rows) but cannot be turned back into the id without the key, kept in the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from sqlalchemy import delete, select

from bot.storage.db import Database
from bot.storage.models import AppState, Confirmation, Phrasing, QuestionLog, utcnow

PSEUDONYM_KEY = "pseudonym_key"


def purge(db: Database, days: int, now: dt.datetime | None = None) -> dict[str, int]:
    """Delete question logs (and their confirmations) older than ``days`` days, except linked ones."""
    with db.session() as s:
        return purge_in(s, days, now)


def purge_in(s, days: int, now: dt.datetime | None = None) -> dict[str, int]:
    """:func:`purge` inside the caller's session (the background journal's)."""
    cutoff = (now or utcnow()) - dt.timedelta(days=days)
    kept = select(Phrasing.question_id).where(Phrasing.question_id.is_not(None))
    linked_refs = select(QuestionLog.ref).where(QuestionLog.id.in_(kept), QuestionLog.ref.is_not(None))
    confirmations = s.execute(
        delete(Confirmation).where(
            Confirmation.created_at < cutoff,
            (Confirmation.question_ref.is_(None)) | Confirmation.question_ref.not_in(linked_refs),
        )
    ).rowcount
    questions = s.execute(
        delete(QuestionLog).where(QuestionLog.created_at < cutoff, QuestionLog.id.not_in(kept))
    ).rowcount
    return {"questions": questions or 0, "confirmations": confirmations or 0}


def _key(db: Database) -> bytes:
    """The pseudonym key, created once (two processes creating it at once: the first one wins)."""
    from sqlalchemy.exc import IntegrityError

    for _ in range(2):
        try:
            with db.session() as s:
                row = s.get(AppState, PSEUDONYM_KEY)
                if row is None:
                    row = AppState(key=PSEUDONYM_KEY, value=secrets.token_hex(32))
                    s.add(row)
                return bytes.fromhex(row.value)
        except IntegrityError:
            continue
    raise RuntimeError("pseudonym key could not be created")


class Pseudonyms:
    """``pseudonym("telegram", "123456")`` → ``"tv-3f9a1c0b2e"``: the same member, the same name."""

    def __init__(self, db: Database) -> None:
        self._key = _key(db)

    def __call__(self, channel: str | None, user_id: str | None) -> str:
        if not user_id:
            return ""
        digest = hmac.new(self._key, f"{channel}:{user_id}".encode(), hashlib.sha256).hexdigest()[:10]
        return f"tv-{digest}"
