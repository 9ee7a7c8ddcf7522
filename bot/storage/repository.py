"""Queries the core needs: question log, feedback, confirmations, unanswered report, roles, chat state, uploads.

Every member-typed text goes through :func:`clean_text` before storage.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.answer.model import Answer
from bot.storage.clean import clean_text
from bot.storage.db import Database
from bot.storage.models import (
    ChatState,
    Confirmation,
    Feedback,
    QuestionLog,
    Role,
    Upload,
    WebLogin,
    WebSession,
    utcnow,
)
from bot.text.analysis import tokens
from bot.text.normalize import fold


def question_key(text: str) -> str:
    """What groups the same question asked differently: case, marks, spacing, punctuation ignored."""
    return fold(" ".join(tokens(text)))


def question_row(
    channel: str,
    chat_id: str,
    user_id: str | None,
    text: str,
    answer: Answer,
    ref: str | None = None,
    delivered: bool = True,
) -> QuestionLog:
    """The log row of a question and its outcome (text cleaned for storage)."""
    src = answer.source
    text = clean_text(text, 4000)
    return QuestionLog(
        channel=channel,
        chat_id=clean_text(str(chat_id), 64),
        user_id=clean_text(str(user_id), 64) if user_id is not None else None,
        text=text,
        normalized=clean_text(question_key(text), 4000),
        found=answer.found,
        kind=answer.kind,
        score=float(answer.score),
        doc_id=src.doc_id if src else None,
        question_number=src.question_number if src else None,
        item=src.item if src else None,
        index_version=answer.version,
        ref=ref,
        delivered=delivered,
        confirm=bool(answer.confirm),
    )


def log_question(
    db: Database,
    channel: str,
    chat_id: str,
    user_id: str | None,
    text: str,
    answer: Answer,
    ref: str | None = None,
    delivered: bool = True,
) -> int:
    """Store a question and the outcome; returns its id."""
    row = question_row(channel, chat_id, user_id, text, answer, ref, delivered)
    with db.session() as s:
        s.add(row)
        s.flush()
        return row.id


def question_by_ref(s: Session, ref: str) -> QuestionLog | None:
    return s.scalar(select(QuestionLog).where(QuestionLog.ref == ref))


def set_feedback(s: Session, question_id: int, channel: str, user_id: str, value: int) -> None:
    """A person's 👍 (+1) or 👎 (-1) on an answer; a new vote replaces the old one."""
    existing = s.scalar(
        select(Feedback).where(
            Feedback.question_id == question_id, Feedback.channel == channel, Feedback.user_id == str(user_id)
        )
    )
    if existing:
        existing.value = value
        existing.created_at = utcnow()
    else:
        s.add(Feedback(question_id=question_id, channel=channel, user_id=str(user_id), value=value))


def record_feedback(db: Database, question_id: int, channel: str, user_id: str, value: int) -> bool:
    """Store 👍 (+1) or 👎 (-1); a person's new vote replaces their old one. False if no such question."""
    with db.session() as s:
        if s.get(QuestionLog, question_id) is None:
            return False
        set_feedback(s, question_id, channel, user_id, value)
    return True


def confirmation_row(
    channel: str,
    chat_id: str,
    user_id: str,
    ref: str | None,
    asked: str,
    doc_id: str,
    number: int,
    official: str,
    origin: str = "confirm",
) -> Confirmation:
    return Confirmation(
        origin=origin,
        channel=channel,
        chat_id=clean_text(str(chat_id), 64),
        user_id=clean_text(str(user_id), 64),
        question_ref=ref,
        asked=clean_text(asked, 4000),
        doc_id=doc_id,
        question_number=number,
        official_question=clean_text(official, 4000),
    )


def confirmations(db: Database) -> list[Confirmation]:
    with db.session() as s:
        return list(s.scalars(select(Confirmation).order_by(Confirmation.id)))


@dataclass(frozen=True)
class UnansweredRow:
    question: str  # an example of how members asked it
    count: int
    last_asked: dt.datetime
    channels: str


def unanswered(
    db: Database,
    since: dt.datetime | None = None,
    limit: int = 50,
    until: dt.datetime | None = None,
    channel: str | None = None,
) -> list[UnansweredRow]:
    """Most frequent questions that found no official answer (greetings and empty messages excluded).

    Variants of one question (case, diacritics, punctuation) count together; the
    wording shown is the one members used most.
    """
    missed = [QuestionLog.found.is_(False), QuestionLog.kind == "none"]
    if since is not None:
        missed.append(QuestionLog.created_at >= since)
    if until is not None:
        missed.append(QuestionLog.created_at < until)
    if channel:
        missed.append(QuestionLog.channel == channel)
    with db.session() as s:
        groups = s.execute(
            select(
                QuestionLog.normalized,
                func.count(),
                func.max(QuestionLog.created_at),
                func.count(func.distinct(QuestionLog.channel)),
                func.min(QuestionLog.channel),
            )
            .where(*missed)
            .group_by(QuestionLog.normalized)
            .order_by(func.count().desc(), func.max(QuestionLog.created_at).desc())
            .limit(limit)
        ).all()
        rows = []
        for key, count, last, n_channels, channel in groups:
            wording = s.execute(
                select(QuestionLog.text)
                .where(*missed, QuestionLog.normalized == key)
                .group_by(QuestionLog.text)
                .order_by(func.count().desc(), func.max(QuestionLog.created_at).desc())
                .limit(1)
            ).scalar_one()
            rows.append(UnansweredRow(wording, count, last, channel if n_channels == 1 else "nhiều kênh"))
    return rows


def channels_asked(db: Database, keys: list[str]) -> dict[str, set[str]]:
    """The channels each question (by :func:`question_key`) was asked on: what filters a list by channel."""
    out: dict[str, set[str]] = {}
    with db.session() as s:
        for start in range(0, len(keys), 500):  # bounded IN lists
            rows = s.execute(
                select(QuestionLog.normalized, QuestionLog.channel)
                .where(QuestionLog.normalized.in_(keys[start : start + 500]))
                .group_by(QuestionLog.normalized, QuestionLog.channel)
            ).all()
            for key, channel in rows:
                out.setdefault(key, set()).add(channel)
    return out


def feedback_counts(db: Database, question_id: int) -> tuple[int, int]:
    with db.session() as s:
        rows = dict(
            s.execute(
                select(Feedback.value, func.count()).where(Feedback.question_id == question_id).group_by(Feedback.value)
            ).all()
        )
    return rows.get(1, 0), rows.get(-1, 0)


# --- roles ----------------------------------------------------------------------
def grant_role(db: Database, channel: str, user_id: str, role: str, granted_by: str | None) -> bool:
    """True if granted now, False if the person already had it."""
    try:
        with db.session() as s:
            s.add(Role(channel=channel, user_id=str(user_id), role=role, granted_by=granted_by))
        return True
    except IntegrityError:
        return False


def revoke_role(db: Database, channel: str, user_id: str, role: str) -> bool:
    with db.session() as s:
        result = s.execute(delete(Role).where(Role.channel == channel, Role.user_id == str(user_id), Role.role == role))
        return result.rowcount > 0


def has_role(db: Database, channel: str, user_id: str, role: str) -> bool:
    with db.session() as s:
        return (
            s.scalar(
                select(func.count()).where(Role.channel == channel, Role.user_id == str(user_id), Role.role == role)
            )
            > 0
        )


def list_roles(db: Database, role: str) -> list[tuple[str, str]]:
    with db.session() as s:
        return [tuple(r) for r in s.execute(select(Role.channel, Role.user_id).where(Role.role == role)).all()]


# --- chat state (text channels) -------------------------------------------------
def get_chat_state(db: Database, channel: str, chat_id: str) -> dict:
    with db.session() as s:
        row = s.get(ChatState, (channel, str(chat_id)))
        return dict(row.data) if row else {}


def put_chat_state(s: Session, channel: str, chat_id: str, data: dict) -> None:
    row = s.get(ChatState, (channel, str(chat_id)))
    if row is None:
        s.add(ChatState(channel=channel, chat_id=str(chat_id), data=data, updated_at=utcnow()))
    else:
        row.data = data
        row.updated_at = utcnow()


def set_chat_state(db: Database, channel: str, chat_id: str, data: dict) -> None:
    with db.session() as s:
        put_chat_state(s, channel, chat_id, data)


def move_chat_state(db: Database, channel: str, old: str, new: str) -> None:
    with db.session() as s:
        row = s.get(ChatState, (channel, str(old)))
        if row is not None:
            put_chat_state(s, channel, new, dict(row.data))
            s.delete(row)


# --- uploads waiting for confirmation ---------------------------------------------
def store_upload(db: Database, token: str, channel: str, user_id: str, filename: str, data: bytes, ttl: float) -> None:
    now = utcnow()
    with db.session() as s:
        s.execute(delete(Upload).where(Upload.expires_at < now))  # forget abandoned ones
        s.add(
            Upload(
                token=token,
                channel=channel,
                user_id=str(user_id),
                filename=clean_text(filename, 255),
                data=data,
                created_at=now,
                expires_at=now + dt.timedelta(seconds=ttl),
            )
        )


def take_upload(db: Database, token: str) -> Upload | None:
    """Remove and return a pending upload (None when unknown or expired): a tap is handled once, even
    when two processes get a double tap at the same moment (one DELETE … RETURNING wins)."""
    with db.session() as s:
        row = s.execute(delete(Upload).where(Upload.token == token).returning(Upload)).scalar()
        if row is None:
            return None
        expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=dt.UTC)
        return row if expires >= utcnow() else None


def peek_upload(db: Database, token: str) -> Upload | None:
    with db.session() as s:
        return s.get(Upload, token)


# --- the pages of a photo album, gathered until the album is complete --------------------------------
# Telegram delivers an album of page photos as one update per photo, possibly to different processes.
# Each page waits in the uploads table (any process sees it) under a name that is neither a document
# nor a pending action ("album:<group>:<message>.jpg"), until no page has come for a moment.
ALBUM_PREFIX = "album:"


def is_album_page(row: Upload) -> bool:
    return row.filename.startswith(ALBUM_PREFIX)


def store_album_page(
    db: Database, channel: str, user_id: str, group_id: str, message_id: int, data: bytes, ttl: float
) -> None:
    token = hashlib.sha256(f"{channel}:{user_id}:{group_id}:{message_id}".encode()).hexdigest()[:32]
    name = f"{ALBUM_PREFIX}{clean_text(group_id, 64)}:{int(message_id)}.jpg"
    with db.session() as s:
        if s.get(Upload, token) is not None:  # a redelivered update: the page is already there
            return
    store_upload(db, token, channel, user_id, name, data, ttl)


def take_album(db: Database, channel: str, user_id: str, group_id: str, quiet: float) -> list[bytes] | None:
    """The album's pages in order, removed, once none has arrived for ``quiet`` seconds; None while pages
    may still come, or when another process took them (one DELETE … RETURNING wins)."""
    prefix = f"{ALBUM_PREFIX}{clean_text(group_id, 64)}:"
    with db.session() as s:
        mine = (
            (Upload.channel == channel)
            & (Upload.user_id == str(user_id))
            & Upload.filename.startswith(prefix, autoescape=True)
        )
        newest = s.scalar(select(func.max(Upload.created_at)).where(mine))
        if newest is None:
            return None
        if _utc(newest) > utcnow() - dt.timedelta(seconds=quiet):
            return None  # a later page's own wait will take them
        rows = s.execute(delete(Upload).where(mine).returning(Upload.filename, Upload.data)).all()
    if not rows:
        return None
    rows.sort(key=lambda r: int(r[0].rsplit(":", 1)[1].split(".")[0]))  # Telegram's message order
    return [bytes(data) for _, data in rows]


# --- destructive commands asked in chat, waiting for "✅ Xác nhận" ------------------------
# Kept in the uploads table (same token, owner, expiry and one-tap-wins DELETE … RETURNING) rather than
# a table of their own. Told apart by their name: "action:<command>" has no dot, and every real upload
# has a file suffix (check_upload refuses names without one), so neither is ever taken for the other.
ACTION_PREFIX = "action:"


def is_pending_action(row: Upload) -> bool:
    return row.filename.startswith(ACTION_PREFIX) and "." not in row.filename


def store_pending_action(
    db: Database, token: str, channel: str, user_id: str, command: str, args: list[str], ttl: float
) -> None:
    data = json.dumps({"command": command, "args": list(args)}, ensure_ascii=False).encode("utf-8")
    store_upload(db, token, channel, user_id, ACTION_PREFIX + command, data, ttl)


def pending_action(row: Upload) -> tuple[str, list[str]] | None:
    """The command and arguments a pending row holds; None for an upload or a garbled row."""
    if not is_pending_action(row):
        return None
    try:
        held = json.loads(row.data.decode("utf-8"))
        return str(held["command"]), [str(a) for a in held["args"]]
    except (ValueError, KeyError, TypeError):
        return None


# --- one-time web login links -------------------------------------------------------
def store_web_login(db: Database, nonce: str, channel: str, user_id: str, name: str, ttl: float) -> None:
    now = utcnow()
    with db.session() as s:
        s.execute(delete(WebLogin).where(WebLogin.expires_at < now - dt.timedelta(days=1)))  # forget old ones
        s.add(
            WebLogin(
                nonce=nonce,
                channel=channel,
                user_id=str(user_id),
                name=clean_text(name, 255),
                created_at=now,
                expires_at=now + dt.timedelta(seconds=ttl),
            )
        )


def use_web_login(db: Database, nonce: str) -> WebLogin | None:
    """Mark a link used and return it; None when unknown, expired or already used (one click wins,
    in any process: a compare-and-set update)."""
    now = utcnow()
    with db.session() as s:
        taken = s.execute(
            update(WebLogin)
            .where(WebLogin.nonce == nonce, WebLogin.used_at.is_(None), WebLogin.expires_at >= now)
            .values(used_at=now)
        ).rowcount
        return s.get(WebLogin, nonce) if taken else None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_web_session(db: Database, token: str, channel: str, user_id: str, name: str, ttl: float) -> None:
    """A dashboard session for ``token`` (kept as its hash: the database alone cannot log anyone in)."""
    now = utcnow()
    with db.session() as s:
        s.execute(delete(WebSession).where(WebSession.expires_at < now))  # forget ended ones
        s.add(
            WebSession(
                token_hash=_token_hash(token),
                channel=channel,
                user_id=str(user_id),
                name=clean_text(name, 255),
                created_at=now,
                expires_at=now + dt.timedelta(seconds=ttl),
            )
        )


def web_session(db: Database, token: str) -> WebSession | None:
    """The session ``token`` opens; None when it was never started, has ended or was revoked."""
    with db.session() as s:
        row = s.get(WebSession, _token_hash(token))
        return row if row is not None and _utc(row.expires_at) >= utcnow() else None


def end_web_session(db: Database, token: str) -> bool:
    """Revoke the session (logout): True if there was one."""
    with db.session() as s:
        return bool(s.execute(delete(WebSession).where(WebSession.token_hash == _token_hash(token))).rowcount)


# --- dashboard --------------------------------------------------------------------------
@dataclass(frozen=True)
class QuestionOutcome:
    """One logged question as the dashboard counts it."""

    created_at: dt.datetime
    found: bool
    confirm: bool
    kind: str


def question_outcomes(db: Database, since: dt.datetime, until: dt.datetime | None = None) -> list[QuestionOutcome]:
    """What each question from ``since`` (to ``until``) got (answered, confirmation offered, refused), oldest first."""
    with db.session() as s:
        q = select(QuestionLog.created_at, QuestionLog.found, QuestionLog.confirm, QuestionLog.kind).where(
            QuestionLog.created_at >= since
        )
        if until is not None:
            q = q.where(QuestionLog.created_at < until)
        rows = s.execute(q.order_by(QuestionLog.id)).all()
    return [QuestionOutcome(_utc(c), bool(f), bool(k), kind) for c, f, k, kind in rows]


def confirmation_times(
    db: Database, since: dt.datetime, until: dt.datetime | None = None
) -> list[tuple[dt.datetime, str]]:
    """When members took an official question for theirs, and how: ``confirm`` (the "Có phải bạn muốn
    hỏi…?" button) or ``suggestion`` (a suggestion tapped under a refusal)."""
    q = select(Confirmation.created_at, Confirmation.origin).where(Confirmation.created_at >= since)
    if until is not None:
        q = q.where(Confirmation.created_at < until)
    with db.session() as s:
        return [(_utc(c), origin or "confirm") for c, origin in s.execute(q)]


def top_answers(
    db: Database, since: dt.datetime, limit: int = 10, until: dt.datetime | None = None
) -> list[tuple[str, int, int]]:
    """The official answers quoted most from ``since`` (to ``until``): (doc_id, question number, times)."""
    conditions = [
        QuestionLog.found.is_(True),
        QuestionLog.created_at >= since,
        QuestionLog.doc_id.is_not(None),
        QuestionLog.question_number.is_not(None),
    ]
    if until is not None:
        conditions.append(QuestionLog.created_at < until)
    with db.session() as s:
        rows = s.execute(
            select(QuestionLog.doc_id, QuestionLog.question_number, func.count())
            .where(*conditions)
            .group_by(QuestionLog.doc_id, QuestionLog.question_number)
            .order_by(func.count().desc())
            .limit(limit)
        ).all()
    return [(d, int(n), int(c)) for d, n, c in rows]


def _utc(value: dt.datetime) -> dt.datetime:
    """SQLite returns naive datetimes for timezone-aware columns; they are UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
