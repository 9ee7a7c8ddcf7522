"""Database tables (SQLAlchemy 2 typed ORM). Schema changes go through Alembic migrations.

Channels identify people and chats by strings ("telegram", "123456"), so the
same tables serve Telegram and Zalo.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    pass


class QuestionLog(Base):
    """Every question a member asked, and what the assistant answered."""

    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    normalized: Mapped[str] = mapped_column(Text)  # grouping key (see repository.question_key)
    found: Mapped[bool] = mapped_column(Boolean)
    kind: Mapped[str] = mapped_column(String(16))
    score: Mapped[float] = mapped_column(Float, default=0.0)
    doc_id: Mapped[str | None] = mapped_column(String(64))
    question_number: Mapped[int | None] = mapped_column(Integer)
    item: Mapped[int | None] = mapped_column(Integer)
    index_version: Mapped[str | None] = mapped_column(String(64))
    # Opaque reference put in feedback and confirmation buttons (never a guessable sequential id);
    # the row is written after the answer was delivered, so buttons cannot carry its id.
    ref: Mapped[str | None] = mapped_column(String(24))
    delivered: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    confirm: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # "Có phải…" offered
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, server_default=func.now())

    __table_args__ = (
        Index("ix_questions_found_created", "found", "created_at"),
        UniqueConstraint("ref", name="uq_questions_ref"),
    )


class Feedback(Base):
    """👍/👎 on an answer; one vote per person per answer (a new vote replaces the old)."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(64))
    value: Mapped[int] = mapped_column(Integer)  # +1 or -1
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, server_default=func.now())

    __table_args__ = (UniqueConstraint("question_id", "channel", "user_id", name="uq_feedback_vote"),)


class Confirmation(Base):
    """A member tapped "yes, that is what I meant" under a plausible answer: the best signal for learning."""

    __tablename__ = "confirmations"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    question_ref: Mapped[str | None] = mapped_column(String(24), index=True)  # questions.ref of what was asked
    asked: Mapped[str] = mapped_column(Text, default="")
    doc_id: Mapped[str] = mapped_column(String(64))
    question_number: Mapped[int] = mapped_column(Integer)
    official_question: Mapped[str] = mapped_column(Text)
    # "confirm": the one-tap "Có phải bạn muốn hỏi…?"; "suggestion": a suggestion tapped under a refusal.
    origin: Mapped[str] = mapped_column(String(16), default="confirm", server_default="confirm")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, server_default=func.now())


class Phrasing(Base):
    """A member's wording linked by an admin to an official answer (or item), or marked out of scope.

    ``status``: ``proposed`` (waiting in the review queue: from unanswered questions, confirmed
    taps, 👍/👎), ``active`` (used when answering), ``review`` (its official question changed: an
    admin must look again), ``retired`` (its document is gone), ``rejected`` (skipped in review),
    ``removed`` (undone). The official question and a hash of the answer are kept as they were when
    linked, so a later version of the document that changes them is noticed.
    """

    __tablename__ = "phrasings"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    key: Mapped[str] = mapped_column(String(255), index=True)  # repository.question_key(text)
    kind: Mapped[str] = mapped_column(String(16))  # "link" | "out_of_scope"
    status: Mapped[str] = mapped_column(String(16))
    origin: Mapped[str] = mapped_column(String(16))  # admin | unanswered | confirmation | suggestion | thumbs_down
    doc_id: Mapped[str | None] = mapped_column(String(64))
    doc_number: Mapped[str | None] = mapped_column(String(64))
    question_number: Mapped[int | None] = mapped_column(Integer)
    item: Mapped[int | None] = mapped_column(Integer)
    official_question: Mapped[str | None] = mapped_column(Text)
    answer_sha: Mapped[str | None] = mapped_column(String(16))
    signals: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    question_id: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), ForeignKey("questions.id", ondelete="SET NULL")
    )
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(80))
    decided_by: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, server_default=func.now())
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_phrasings_status", "status", "updated_at"),)


class AppState(Base):
    """Small values the application keeps for itself (the pseudonym key of exports)."""

    __tablename__ = "app_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Upload(Base):
    """A document an admin sent, waiting for "Cập nhật chỉ mục" (in the database so any process can confirm it)."""

    __tablename__ = "uploads"

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class WebLogin(Base):
    """A one-time dashboard login link sent by /web: its nonce, whom it logs in, until when, and when used."""

    __tablename__ = "web_logins"

    nonce: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255), default="", server_default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class WebSession(Base):
    """A dashboard session: the cookie holds a random token, this row (by the token's SHA-256) whose it
    is and until when. Logging out deletes it: the cookie is worth nothing from then on, anywhere."""

    __tablename__ = "web_sessions"
    __table_args__ = (Index("ix_web_sessions_user", "channel", "user_id"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255), default="", server_default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Role(Base):
    """A role granted to a person on a channel (officers run the quiz)."""

    __tablename__ = "roles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    granted_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, server_default=func.now())

    __table_args__ = (UniqueConstraint("channel", "user_id", "role", name="uq_role"),)


class ChatState(Base):
    """Small per-chat memory for text-only channels (the numbered suggestions last shown)."""

    __tablename__ = "chat_state"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class QuizQuestionRow(Base):
    """A quiz question: generated from the documents (verified) or imported by an officer."""

    __tablename__ = "quiz_questions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    question: Mapped[str] = mapped_column(Text)
    options: Mapped[list] = mapped_column(JSON)
    correct: Mapped[int] = mapped_column(Integer)
    explanation: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[dict] = mapped_column(JSON, default=dict)
    origin: Mapped[str] = mapped_column(String(16))  # generated | imported
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, server_default=func.now())


class QuizSubscription(Base):
    """A chat that receives the daily quiz at ``time`` (HH:MM, local) on ``days`` (0=CN … 6=T7)."""

    __tablename__ = "quiz_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    chat_type: Mapped[str] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(String(255))
    time: Mapped[str] = mapped_column(String(5))
    days: Mapped[str] = mapped_column(String(7))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str | None] = mapped_column(String(64))
    next_question_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, server_default=func.now())
    # When time/days last changed: a slot earlier than this is not owed (subscribing at 10:00 for 07:30
    # does not send today's quiz at once).
    schedule_changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    stopped_reason: Mapped[str | None] = mapped_column(String(64))  # why it went inactive (kicked, blocked…)

    __table_args__ = (UniqueConstraint("channel", "chat_id", name="uq_quiz_subscription_chat"),)


class QuizDelivery(Base):
    """One quiz question sent to one chat (a Telegram quiz poll, or a text quiz on Zalo).

    A scheduled delivery is *claimed* (inserted, unique per subscription, local date and slot) before
    anything is sent; only the process whose insert succeeded sends it.
    """

    __tablename__ = "quiz_deliveries"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    question_id: Mapped[str] = mapped_column(ForeignKey("quiz_questions.id"))
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("quiz_subscriptions.id", ondelete="SET NULL"))
    poll_id: Mapped[str | None] = mapped_column(String(64))
    message_id: Mapped[str | None] = mapped_column(String(64))
    local_date: Mapped[dt.date] = mapped_column(Date)
    slot: Mapped[str | None] = mapped_column(String(5))  # "07:30" for scheduled ones; None for /quiz_now
    status: Mapped[str] = mapped_column(String(16), default="sent", server_default="sent")  # claimed|sent|failed
    kind: Mapped[str] = mapped_column(String(8), default="poll", server_default="poll")  # poll | text
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    correct: Mapped[int] = mapped_column(Integer)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    total_votes: Mapped[int] = mapped_column(Integer, default=0)  # anonymous polls: counted, not attributed
    correct_votes: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        UniqueConstraint("channel", "poll_id", name="uq_quiz_delivery_poll"),
        UniqueConstraint("subscription_id", "local_date", "slot", name="uq_quiz_delivery_slot"),
        Index("ix_quiz_deliveries_chat_date", "channel", "chat_id", "local_date"),
    )


class QuizAnswer(Base):
    """A member's first answer to a delivered question (scored once, never twice)."""

    __tablename__ = "quiz_answers"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("quiz_deliveries.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(64))
    user_name: Mapped[str] = mapped_column(String(255), default="")
    option: Mapped[int] = mapped_column(Integer)
    correct: Mapped[bool] = mapped_column(Boolean)
    answered_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (UniqueConstraint("delivery_id", "user_id", name="uq_quiz_answer_once"),)


class IntakeUpdate(Base):
    """A webhook update stored before its 200 (the durable intake, bot/channels/intake.py).

    ``status`` new → done (its body dropped: the row only remembers the key, so a redelivery is
    recognised) or failed (it took down ``attempts`` processes). ``owner``/``lease_until``: the
    process handling it and until when; a row whose lease ran out is taken over by another process.
    """

    __tablename__ = "intake"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(64))  # the update's own id: a redelivery is the same row
    member: Mapped[str | None] = mapped_column(String(96))  # one member's updates are handled in order
    body: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), default="new", server_default="new")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("channel", "key", name="uq_intake_key"),
        Index("ix_intake_new", "status", "id"),
        Index("ix_intake_member", "member", "status", "id"),
    )


class Blob(Base):
    """Bytes stored by content (sha256 of the whole): documents' source files and index version archives.
    The bytes are split into ``blob_chunks`` so that no row (and no read) is larger than a chunk."""

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class BlobChunk(Base):
    __tablename__ = "blob_chunks"

    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class StoredVersion(Base):
    """An index version kept in the database: its folder as one archive blob, and its manifest."""

    __tablename__ = "index_versions"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    archive: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    manifest: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class KnowledgeFile(Base):
    """A file of the knowledge set (its path inside the knowledge folder) and its content."""

    __tablename__ = "knowledge_files"

    path: Mapped[str] = mapped_column(String(255), primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditEntry(Base):
    """One thing an admin or officer did (an upload, a rollback, a link, a role granted…): who, when,
    from which channel, what, on what. Written by the conversation core; never changed afterwards."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_at", "at"), Index("ix_audit_actor", "channel", "actor_id", "at"))

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    channel: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str] = mapped_column(String(64))
    actor_name: Mapped[str] = mapped_column(String(255), default="", server_default="")
    action: Mapped[str] = mapped_column(String(32), index=True)
    target: Mapped[str] = mapped_column(String(255), default="", server_default="")
    detail: Mapped[str] = mapped_column(Text, default="", server_default="")
