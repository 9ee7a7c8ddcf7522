"""The daily quiz, independent of any chat platform.

Channels call these methods: subscribe a chat, pick the next question (no
repeat in a chat until its bank is exhausted), record a delivery, score an
answer once per member, and read leaderboards and participation statistics.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, cast, func, select, update
from sqlalchemy.exc import IntegrityError

from bot.errors import PermissionDenied, QuizError
from bot.quiz.model import QuizQuestion
from bot.storage import repository
from bot.storage.db import Database
from bot.storage.models import QuizAnswer, QuizDelivery, QuizQuestionRow, QuizSubscription, utcnow

OFFICER = "officer"
NOT_OFFICER = (
    "Lệnh này chỉ dành cho cán bộ tuyên giáo được giao quản lý câu đố. "
    "Hãy nhờ quản trị viên cấp quyền: /officer_add <mã người dùng>."
)
PERIODS = ("today", "week", "all")


@dataclass(frozen=True)
class Subscription:
    id: int
    channel: str
    chat_id: str
    chat_type: str
    time: str
    days: str
    active: bool
    created_by: str | None


@dataclass(frozen=True)
class AnswerResult:
    delivery_id: int
    correct: bool
    question: QuizQuestion


@dataclass(frozen=True)
class LeaderRow:
    user_id: str
    name: str
    points: int
    answered: int
    streak: int


@dataclass(frozen=True)
class DayStats:
    date: dt.date
    chat_id: str
    deliveries: int
    participants: int
    answers: int
    correct: int

    @property
    def correct_rate(self) -> float:
        return self.correct / self.answers if self.answers else 0.0


def _sub(row: QuizSubscription) -> Subscription:
    return Subscription(row.id, row.channel, row.chat_id, row.chat_type, row.time, row.days, row.active, row.created_by)


def _row(q: QuizQuestion, origin: str) -> QuizQuestionRow:
    return QuizQuestionRow(
        id=q.id,
        kind=q.kind,
        question=q.question,
        options=q.options,
        correct=q.correct,
        explanation=q.explanation,
        source=q.source,
        origin=origin,
        active=True,
    )


def _question(row: QuizQuestionRow) -> QuizQuestion:
    return QuizQuestion(
        row.kind, row.question, list(row.options), row.correct, row.explanation, dict(row.source), row.id
    )


class QuizService:
    def __init__(self, db: Database, timezone: str, admins: dict[str, set[str]]) -> None:
        self.db = db
        self.tz = ZoneInfo(timezone)
        self.admins = admins  # channel -> admin user ids (from configuration)
        self._synced: str | None = None
        self._lock = threading.Lock()

    # --- roles ---------------------------------------------------------------------
    def is_admin(self, channel: str, user_id: str) -> bool:
        return str(user_id) in self.admins.get(channel, set())

    def is_officer(self, channel: str, user_id: str) -> bool:
        return self.is_admin(channel, user_id) or repository.has_role(self.db, channel, str(user_id), OFFICER)

    def require_officer(self, channel: str, user_id: str) -> None:
        if not self.is_officer(channel, user_id):
            raise PermissionDenied(NOT_OFFICER)

    def require_admin(self, channel: str, user_id: str) -> None:
        if not self.is_admin(channel, user_id):
            raise PermissionDenied("Lệnh này chỉ dành cho quản trị viên.")

    def grant_officer(self, channel: str, admin_id: str, user_id: str) -> bool:
        self.require_admin(channel, admin_id)
        return repository.grant_role(self.db, channel, str(user_id), OFFICER, str(admin_id))

    def revoke_officer(self, channel: str, admin_id: str, user_id: str) -> bool:
        self.require_admin(channel, admin_id)
        return repository.revoke_role(self.db, channel, str(user_id), OFFICER)

    # --- bank ----------------------------------------------------------------------
    def sync_bank(self, version_name: str, generate) -> int:
        """Store the bank generated for an index version (once per version); returns its size."""
        with self._lock:
            if self._synced == version_name:
                return -1
            bank = generate()
            ids = {q.id for q in bank}
            with self.db.session() as s:
                existing = {
                    r.id: r for r in s.scalars(select(QuizQuestionRow).where(QuizQuestionRow.origin == "generated"))
                }
                for q in bank:
                    row = existing.get(q.id)
                    if row is None:
                        s.add(_row(q, "generated"))
                    elif not row.active:
                        row.active = True
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

    def active_questions(self) -> list[QuizQuestion]:
        with self.db.session() as s:
            rows = s.scalars(
                select(QuizQuestionRow).where(QuizQuestionRow.active.is_(True)).order_by(QuizQuestionRow.id)
            )
            return [_question(r) for r in rows]

    def question(self, question_id: str) -> QuizQuestion | None:
        with self.db.session() as s:
            row = s.get(QuizQuestionRow, question_id)
            return _question(row) if row else None

    # --- subscriptions ---------------------------------------------------------------
    def subscribe(
        self, channel: str, chat_id: str, chat_type: str, title: str | None, time: str, days: str, user_id: str
    ) -> Subscription:
        self.require_officer(channel, user_id)
        with self.db.session() as s:
            row = s.scalar(
                select(QuizSubscription).where(
                    QuizSubscription.channel == channel, QuizSubscription.chat_id == str(chat_id)
                )
            )
            if row is None:
                row = QuizSubscription(
                    channel=channel,
                    chat_id=str(chat_id),
                    chat_type=chat_type,
                    title=title,
                    time=time,
                    days=days,
                    active=True,
                    created_by=str(user_id),
                )
                s.add(row)
            else:
                row.time, row.days, row.active, row.chat_type = time, days, True, chat_type
                row.title = title or row.title
                row.created_by = row.created_by or str(user_id)
            s.flush()
            return _sub(row)

    def unsubscribe(self, channel: str, chat_id: str, user_id: str) -> bool:
        self.require_officer(channel, user_id)
        with self.db.session() as s:
            result = s.execute(
                update(QuizSubscription)
                .where(
                    QuizSubscription.channel == channel,
                    QuizSubscription.chat_id == str(chat_id),
                    QuizSubscription.active.is_(True),
                )
                .values(active=False)
            )
            return result.rowcount > 0

    def subscription(self, channel: str, chat_id: str) -> Subscription | None:
        with self.db.session() as s:
            row = s.scalar(
                select(QuizSubscription).where(
                    QuizSubscription.channel == channel, QuizSubscription.chat_id == str(chat_id)
                )
            )
            return _sub(row) if row else None

    def subscription_by_id(self, sub_id: int) -> Subscription | None:
        with self.db.session() as s:
            row = s.get(QuizSubscription, sub_id)
            return _sub(row) if row else None

    def active_subscriptions(self, channel: str) -> list[Subscription]:
        with self.db.session() as s:
            rows = s.scalars(
                select(QuizSubscription).where(QuizSubscription.channel == channel, QuizSubscription.active.is_(True))
            )
            return [_sub(r) for r in rows]

    # --- choosing questions ----------------------------------------------------------
    def _candidates(self, channel: str, chat_id: str, exclude: set[str] = frozenset()) -> list[QuizQuestion]:
        """Active questions, least-sent in this chat first, in a per-chat shuffled order."""
        questions = [q for q in self.active_questions() if q.id not in exclude]
        if not questions:
            raise QuizError("Ngân hàng câu đố đang trống: hãy xây dựng chỉ mục (hoidap build) hoặc nhập câu hỏi.")
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

    def skip(self, channel: str, chat_id: str, user_id: str) -> QuizQuestion:
        """Replace the previewed question with the following one."""
        self.require_officer(channel, user_id)
        sub = self.subscription(channel, chat_id)
        if sub is None:
            raise QuizError("Nhóm này chưa đăng ký câu đố hằng ngày (/quiz_on 07:30).")
        current = self.next_question(channel, chat_id)
        q = self._candidates(channel, chat_id, exclude={current.id})[0]
        self._pin(sub.id, q.id)
        return q

    def _pin(self, sub_id: int, question_id: str | None) -> None:
        with self.db.session() as s:
            s.execute(
                update(QuizSubscription).where(QuizSubscription.id == sub_id).values(next_question_id=question_id)
            )

    # --- deliveries and answers ------------------------------------------------------
    def today(self) -> dt.date:
        return dt.datetime.now(self.tz).date()

    def record_delivery(
        self,
        channel: str,
        chat_id: str,
        question: QuizQuestion,
        poll_id: str | None,
        message_id: str | None,
        anonymous: bool,
        subscription_id: int | None = None,
    ) -> int:
        with self.db.session() as s:
            row = QuizDelivery(
                channel=channel,
                chat_id=str(chat_id),
                question_id=question.id,
                subscription_id=subscription_id,
                poll_id=poll_id,
                message_id=message_id,
                local_date=self.today(),
                sent_at=utcnow(),
                anonymous=anonymous,
                correct=question.correct,
                closed=False,
                total_votes=0,
                correct_votes=0,
            )
            s.add(row)
            if subscription_id is not None:  # the pinned preview has been used
                s.execute(
                    update(QuizSubscription).where(QuizSubscription.id == subscription_id).values(next_question_id=None)
                )
            s.flush()
            return row.id

    def open_deliveries(self, channel: str, chat_id: str) -> list[tuple[int, str | None, str | None]]:
        """(delivery id, poll id, message id) of the chat's polls still open."""
        with self.db.session() as s:
            return [
                tuple(r)
                for r in s.execute(
                    select(QuizDelivery.id, QuizDelivery.poll_id, QuizDelivery.message_id).where(
                        QuizDelivery.channel == channel,
                        QuizDelivery.chat_id == str(chat_id),
                        QuizDelivery.closed.is_(False),
                    )
                ).all()
            ]

    def close_delivery(self, delivery_id: int) -> None:
        with self.db.session() as s:
            s.execute(update(QuizDelivery).where(QuizDelivery.id == delivery_id).values(closed=True))

    def latest_open_delivery(self, channel: str, chat_id: str) -> int | None:
        with self.db.session() as s:
            return s.scalar(
                select(QuizDelivery.id)
                .where(
                    QuizDelivery.channel == channel,
                    QuizDelivery.chat_id == str(chat_id),
                    QuizDelivery.closed.is_(False),
                )
                .order_by(QuizDelivery.id.desc())
                .limit(1)
            )

    def record_answer(
        self,
        channel: str,
        user_id: str,
        user_name: str,
        option: int | None,
        poll_id: str | None = None,
        delivery_id: int | None = None,
    ) -> AnswerResult | None:
        """Score a member's first answer; None for unknown polls, retracted votes and repeats."""
        if option is None:
            return None  # a retracted vote scores nothing and undoes nothing
        with self.db.session() as s:
            if delivery_id is None:
                delivery = s.scalar(
                    select(QuizDelivery).where(QuizDelivery.channel == channel, QuizDelivery.poll_id == poll_id)
                )
            else:
                delivery = s.get(QuizDelivery, delivery_id)
            if delivery is None or delivery.anonymous:
                return None
            row = s.get(QuizQuestionRow, delivery.question_id)
            question = _question(row)
            d_id, correct = delivery.id, option == delivery.correct
        try:
            with self.db.session() as s:
                s.add(
                    QuizAnswer(
                        delivery_id=d_id,
                        user_id=str(user_id),
                        user_name=(user_name or "")[:255],
                        option=option,
                        correct=correct,
                        answered_at=utcnow(),
                    )
                )
        except IntegrityError:
            return None  # already answered: a changed vote does not score twice
        return AnswerResult(d_id, correct, question)

    def knows_poll(self, channel: str, poll_id: str) -> bool:
        with self.db.session() as s:
            return (
                s.scalar(select(func.count()).where(QuizDelivery.channel == channel, QuizDelivery.poll_id == poll_id))
                > 0
            )

    def record_poll_counts(self, channel: str, poll_id: str, total: int, per_option: list[int]) -> None:
        """Anonymous polls (Telegram channels): keep the counts Telegram reports."""
        with self.db.session() as s:
            delivery = s.scalar(
                select(QuizDelivery).where(QuizDelivery.channel == channel, QuizDelivery.poll_id == poll_id)
            )
            if delivery is not None:
                delivery.total_votes = total
                delivery.correct_votes = per_option[delivery.correct] if delivery.correct < len(per_option) else 0

    # --- results ---------------------------------------------------------------------
    def leaderboard(self, channel: str, chat_id: str, period: str = "all", limit: int = 10) -> list[LeaderRow]:
        if period not in PERIODS:
            raise QuizError(f"Khoảng thời gian không hợp lệ: {period}")
        today = self.today()
        q = (
            select(
                QuizAnswer.user_id,
                func.max(QuizAnswer.user_name),
                func.sum(cast(QuizAnswer.correct, Integer)),
                func.count(),
                func.min(QuizAnswer.answered_at),
            )
            .join(QuizDelivery, QuizDelivery.id == QuizAnswer.delivery_id)
            .where(QuizDelivery.channel == channel, QuizDelivery.chat_id == str(chat_id))
            .group_by(QuizAnswer.user_id)
        )
        if period == "today":
            q = q.where(QuizDelivery.local_date == today)
        elif period == "week":
            q = q.where(QuizDelivery.local_date >= today - dt.timedelta(days=today.weekday()))
        with self.db.session() as s:
            rows = s.execute(q).all()
        ranked = sorted(rows, key=lambda r: (-(r[2] or 0), r[3], r[4]))[:limit]
        streaks = self._streaks(channel, chat_id, [r[0] for r in ranked])
        return [LeaderRow(r[0], r[1] or r[0], int(r[2] or 0), int(r[3]), streaks.get(r[0], 0)) for r in ranked]

    def streak(self, channel: str, chat_id: str, user_id: str) -> int:
        """Consecutive quiz days (latest first) this member answered correctly in this chat."""
        return self._streaks(channel, chat_id, [str(user_id)]).get(str(user_id), 0)

    def _streaks(self, channel: str, chat_id: str, user_ids: list[str]) -> dict[str, int]:
        """Streaks of several members with two queries (leaderboards list many members)."""
        if not user_ids:
            return {}
        with self.db.session() as s:
            dates = [
                d
                for (d,) in s.execute(
                    select(QuizDelivery.local_date)
                    .distinct()
                    .where(QuizDelivery.channel == channel, QuizDelivery.chat_id == str(chat_id))
                    .order_by(QuizDelivery.local_date.desc())
                ).all()
            ]
            good: dict[str, set] = {}
            for user, day in s.execute(
                select(QuizAnswer.user_id, QuizDelivery.local_date)
                .join(QuizAnswer, QuizAnswer.delivery_id == QuizDelivery.id)
                .where(
                    QuizDelivery.channel == channel,
                    QuizDelivery.chat_id == str(chat_id),
                    QuizAnswer.user_id.in_(user_ids),
                    QuizAnswer.correct.is_(True),
                )
            ).all():
                good.setdefault(user, set()).add(day)
        today = self.today()
        out = {}
        for user in user_ids:
            days = good.get(user, set())
            # Today's quiz may still be answered: it does not break a streak yet.
            seq = dates[1:] if dates and dates[0] == today and today not in days else dates
            streak = 0
            for d in seq:
                if d not in days:
                    break
                streak += 1
            out[user] = streak
        return out

    def stats(self, channel: str, chat_ids: list[str], days: int = 14) -> list[DayStats]:
        """Participation and correct rate per day and chat, most recent first."""
        since = self.today() - dt.timedelta(days=days - 1)
        in_period = (
            QuizDelivery.channel == channel,
            QuizDelivery.chat_id.in_(chat_ids),
            QuizDelivery.local_date >= since,
        )
        out = []
        with self.db.session() as s:
            deliveries = s.execute(
                select(
                    QuizDelivery.local_date,
                    QuizDelivery.chat_id,
                    func.count(),
                    func.sum(QuizDelivery.total_votes),
                    func.sum(QuizDelivery.correct_votes),
                )
                .where(*in_period)
                .group_by(QuizDelivery.local_date, QuizDelivery.chat_id)
            ).all()
            answers = {
                (r[0], r[1]): r[2:]
                for r in s.execute(
                    select(
                        QuizDelivery.local_date,
                        QuizDelivery.chat_id,
                        func.count(func.distinct(QuizAnswer.user_id)),
                        func.count(),
                        func.sum(cast(QuizAnswer.correct, Integer)),
                    )
                    .join(QuizAnswer, QuizAnswer.delivery_id == QuizDelivery.id)
                    .where(*in_period)
                    .group_by(QuizDelivery.local_date, QuizDelivery.chat_id)
                ).all()
            }
        for date, chat, n, anon_total, anon_correct in deliveries:
            people, total, correct = answers.get((date, chat), (0, 0, 0))
            total = int(total or 0) + int(anon_total or 0)
            correct = int(correct or 0) + int(anon_correct or 0)
            out.append(DayStats(date, chat, int(n), int(people or 0) + int(anon_total or 0), total, correct))
        return sorted(out, key=lambda d: (d.date, d.chat_id), reverse=True)

    def chats_of(self, channel: str, user_id: str) -> list[str]:
        """Chats whose quiz this officer set up (admins: every subscribed chat)."""
        with self.db.session() as s:
            q = select(QuizSubscription.chat_id).where(QuizSubscription.channel == channel)
            if not self.is_admin(channel, user_id):
                q = q.where(QuizSubscription.created_by == str(user_id))
            return [c for (c,) in s.execute(q).all()]
