"""The quiz bank in the database: generated questions synced per index version, officers' imports,
and which question a chat gets next (no repeat until the bank is exhausted, previews pinned)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select, update

from bot.errors import QuizError
from bot.quiz.model import QuizQuestion
from bot.storage.db import Database, insert
from bot.storage.models import QuizDelivery, QuizQuestionRow, QuizSubscription

EMPTY_BANK = "Ngân hàng câu đố đang trống: hãy xây dựng chỉ mục (hoidap build) hoặc nhập câu hỏi."


def _values(q: QuizQuestion, origin: str) -> dict:
    return {
        "id": q.id,
        "kind": q.kind,
        "question": q.question,
        "options": q.options,
        "correct": q.correct,
        "explanation": q.explanation,
        "source": q.source,
        "origin": origin,
        "active": True,
    }


def _row(q: QuizQuestion, origin: str) -> QuizQuestionRow:
    return QuizQuestionRow(**_values(q, origin))


@dataclass(frozen=True)
class BankEntry:
    """A question as officers manage it: in service or turned off by one of them (and by whom)."""

    question: QuizQuestion
    origin: str  # generated | imported
    active: bool
    disabled_by: str | None = None
    replaced_by: str | None = None


def disabled(row: QuizQuestionRow) -> bool:
    """Turned off by an officer (kept in ``source`` so no schema change: the version sync must not turn it back on)."""
    return bool((row.source or {}).get("disabled_by"))


def _entry(row: QuizQuestionRow) -> BankEntry:
    src = row.source or {}
    return BankEntry(question_of(row), row.origin, row.active, src.get("disabled_by"), src.get("replaced_by"))


def question_of(row: QuizQuestionRow) -> QuizQuestion:
    return QuizQuestion(
        row.kind, row.question, list(row.options), row.correct, row.explanation, dict(row.source), row.id
    )


class QuizBank:
    db: Database

    def __init__(self) -> None:
        self._synced: str | None = None
        self._sync_lock = threading.Lock()

    def sync_bank(self, version_name: str, generate: Callable[[], list[QuizQuestion]]) -> int:
        """Store the bank generated for an index version (once per version); returns its size (-1: already)."""
        with self._sync_lock:
            if self._synced == version_name:
                return -1
            bank = generate()
            ids = {q.id for q in bank}
            with self.db.session() as s:
                existing = {
                    r.id: r for r in s.scalars(select(QuizQuestionRow).where(QuizQuestionRow.origin == "generated"))
                }
                fresh = [q for q in bank if q.id not in existing]
                if fresh:
                    # Several processes may sync the same new version at once: the first insert of a
                    # question wins, the others skip it (same id = same question, generated alike).
                    s.execute(
                        insert(s, QuizQuestionRow)
                        .values([_values(q, "generated") for q in fresh])
                        .on_conflict_do_nothing(index_elements=["id"])
                    )
                for q in bank:
                    row = existing.get(q.id)
                    if row is not None and not row.active and not disabled(row):
                        row.active = True  # its text is back (an officer's "off" stays off)
                for qid, row in existing.items():
                    if qid not in ids and row.active:
                        row.active = False  # its source text is gone from the documents
            self._synced = version_name
            return len(bank)

    def import_questions(self, questions: list[QuizQuestion]) -> tuple[int, int]:
        """Store officers' questions; returns (added, already present)."""
        added = dup = 0
        with self.db.session() as s:
            for q in questions:
                if s.get(QuizQuestionRow, q.id) is not None:
                    dup += 1
                    continue
                s.add(_row(q, "imported"))
                added += 1
        return added, dup

    def save_question(self, q: QuizQuestion, origin: str, by: str, replaces: str | None = None) -> QuizQuestion:
        """Store an officer's written or edited question (in service at once). An edit is a new
        question (its id is its content) and the old one is turned off, pointing to it: answers
        already given stay with the wording members saw."""
        with self.db.session() as s:
            row = s.get(QuizQuestionRow, q.id)
            if row is None:
                s.add(_row(q, origin))
            else:  # the same wording, options and answer: the explanation may have changed
                row.active, row.explanation = True, q.explanation
                row.source = {k: v for k, v in (row.source or {}).items() if k not in ("disabled_by", "replaced_by")}
            old = s.get(QuizQuestionRow, replaces) if replaces and replaces != q.id else None
            if old is not None:
                old.active = False
                old.source = {**(old.source or {}), "disabled_by": by, "replaced_by": q.id}
        return q

    def set_active(self, question_id: str, active: bool, by: str) -> BankEntry | None:
        """Turn one question off (or back on); None if there is no such question."""
        with self.db.session() as s:
            row = s.get(QuizQuestionRow, question_id)
            if row is None:
                return None
            source = {k: v for k, v in (row.source or {}).items() if k not in ("disabled_by", "replaced_by")}
            row.source = source if active else {**source, "disabled_by": by}
            row.active = active
            s.flush()
            return _entry(row)

    def entry(self, question_id: str) -> BankEntry | None:
        with self.db.session() as s:
            row = s.get(QuizQuestionRow, question_id)
            return _entry(row) if row else None

    def managed_questions(self) -> list[BankEntry]:
        """Questions in service and those officers turned off (not the ones an edit replaced, nor
        generated ones whose text left the documents)."""
        with self.db.session() as s:
            rows = s.scalars(select(QuizQuestionRow).order_by(QuizQuestionRow.created_at.desc(), QuizQuestionRow.id))
            entries = [_entry(r) for r in rows]
        return [e for e in entries if e.active or (e.disabled_by and not e.replaced_by)]

    def active_questions(self) -> list[QuizQuestion]:
        with self.db.session() as s:
            rows = s.scalars(
                select(QuizQuestionRow).where(QuizQuestionRow.active.is_(True)).order_by(QuizQuestionRow.id)
            )
            return [question_of(r) for r in rows]

    def question(self, question_id: str) -> QuizQuestion | None:
        with self.db.session() as s:
            row = s.get(QuizQuestionRow, question_id)
            return question_of(row) if row else None

    def _candidates(self, channel: str, chat_id: str, exclude: frozenset[str] = frozenset()) -> list[QuizQuestion]:
        """Active questions, least-sent in this chat first, in a per-chat shuffled order."""
        questions = [q for q in self.active_questions() if q.id not in exclude]
        if not questions:
            raise QuizError(EMPTY_BANK)
        with self.db.session() as s:
            counts = dict(
                s.execute(
                    select(QuizDelivery.question_id, func.count())
                    .where(QuizDelivery.channel == channel, QuizDelivery.chat_id == str(chat_id))
                    .group_by(QuizDelivery.question_id)
                ).all()
            )

        def order(q: QuizQuestion):
            mix = hashlib.sha1(f"{channel}:{chat_id}:{q.id}".encode()).hexdigest()
            return counts.get(q.id, 0), mix

        return sorted(questions, key=order)

    def next_question(self, channel: str, chat_id: str, pin: bool = False) -> QuizQuestion:
        """The question the chat gets next (a pinned preview wins); ``pin`` keeps it for the schedule."""
        with self.db.session() as s:
            row = s.scalar(
                select(QuizSubscription).where(
                    QuizSubscription.channel == channel, QuizSubscription.chat_id == str(chat_id)
                )
            )
            sub_id, pinned = (row.id, row.next_question_id) if row else (None, None)
        if pinned:
            q = self.question(pinned)
            if q is not None:
                return q
        q = self._candidates(channel, chat_id)[0]
        if pin and sub_id is not None:
            self._pin(sub_id, q.id)
        return q

    def skip(self, channel: str, chat_id: str) -> QuizQuestion:
        """Replace the previewed question with the following one (the chat must be subscribed)."""
        with self.db.session() as s:
            sub_id = s.scalar(
                select(QuizSubscription.id).where(
                    QuizSubscription.channel == channel, QuizSubscription.chat_id == str(chat_id)
                )
            )
        if sub_id is None:
            raise QuizError("Nhóm này chưa đăng ký câu đố hằng ngày (/quiz_on 07:30).")
        current = self.next_question(channel, chat_id)
        q = self._candidates(channel, chat_id, exclude=frozenset({current.id}))[0]
        self._pin(sub_id, q.id)
        return q

    def _pin(self, sub_id: int, question_id: str | None) -> None:
        with self.db.session() as s:
            s.execute(
                update(QuizSubscription).where(QuizSubscription.id == sub_id).values(next_question_id=question_id)
            )
