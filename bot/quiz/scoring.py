"""Scoring quiz answers once per member per delivery, leaderboards with streaks, participation stats."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.exc import IntegrityError

from bot.errors import QuizError
from bot.quiz.bank import question_of
from bot.quiz.model import QuizQuestion
from bot.storage.clean import clean_text
from bot.storage.db import Database, insert
from bot.storage.models import QuizAnswer, QuizDelivery, QuizQuestionRow, utcnow

PERIODS = ("today", "week", "all")


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


@dataclass(frozen=True)
class DeliveryResult:
    """One quiz sent to one chat and how it was answered (anonymous poll counts included)."""

    delivery_id: int
    channel: str
    chat_id: str
    question_id: str
    local_date: dt.date
    sent_at: dt.datetime | None  # UTC
    answers: int
    correct: int


class QuizScoring:
    db: Database
    tz: ZoneInfo

    def today(self) -> dt.date:
        return dt.datetime.now(self.tz).date()

    def record_answer(
        self,
        channel: str,
        user_id: str,
        user_name: str,
        option: int | None,
        poll_id: str | None = None,
        delivery_id: int | None = None,
    ) -> AnswerResult | None:
        """Score a member's first answer; None for unknown polls, anonymous ones, retracted votes and repeats."""
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
            question = question_of(s.get(QuizQuestionRow, delivery.question_id))
            d_id, correct = delivery.id, option == delivery.correct
        try:
            with self.db.session() as s:
                s.add(
                    QuizAnswer(
                        delivery_id=d_id,
                        user_id=str(user_id),
                        user_name=clean_text(user_name, 255),
                        option=option,
                        correct=correct,
                        answered_at=utcnow(),
                    )
                )
        except IntegrityError:
            return None  # already answered: a changed vote does not score twice
        return AnswerResult(d_id, correct, question)

    def record_kept(
        self,
        s,
        channel: str,
        user_id: str,
        user_name: str,
        option: int | None,
        poll_id: str | None = None,
        delivery_id: int | None = None,
        chat_id: str | None = None,
    ) -> None:
        """An answer taken while the database was out, written once it is back (the journal's session):
        the delivery found by poll, by id, or as the chat's open text quiz; scored as
        :meth:`record_answer` scores; a member's second answer changes nothing."""
        if option is None:
            return
        if poll_id is not None:
            delivery = s.scalar(
                select(QuizDelivery).where(QuizDelivery.channel == channel, QuizDelivery.poll_id == poll_id)
            )
        elif delivery_id is not None:
            delivery = s.get(QuizDelivery, delivery_id)
        else:
            delivery = s.scalar(
                select(QuizDelivery)
                .where(
                    QuizDelivery.channel == channel,
                    QuizDelivery.chat_id == str(chat_id),
                    QuizDelivery.kind == "text",
                    QuizDelivery.closed.is_(False),
                )
                .order_by(QuizDelivery.id.desc())
                .limit(1)
            )
        if delivery is None or delivery.anonymous or delivery.channel != channel:
            return
        s.execute(
            insert(s, QuizAnswer)
            .values(
                delivery_id=delivery.id,
                user_id=str(user_id),
                user_name=clean_text(user_name, 255),
                option=option,
                correct=option == delivery.correct,
                answered_at=utcnow(),
            )
            .on_conflict_do_nothing()
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
            QuizDelivery.status != "failed",
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

    def delivery_results(self, since: dt.date, until: dt.date | None = None) -> list[DeliveryResult]:
        """Every quiz sent from local day ``since`` (to ``until``, inclusive), with its answers, oldest first."""
        conditions = [QuizDelivery.local_date >= since, QuizDelivery.status != "failed"]
        if until is not None:
            conditions.append(QuizDelivery.local_date <= until)
        with self.db.session() as s:
            answered = {
                r[0]: (int(r[1]), int(r[2] or 0))
                for r in s.execute(
                    select(QuizAnswer.delivery_id, func.count(), func.sum(cast(QuizAnswer.correct, Integer)))
                    .join(QuizDelivery, QuizDelivery.id == QuizAnswer.delivery_id)
                    .where(*conditions)
                    .group_by(QuizAnswer.delivery_id)
                ).all()
            }
            rows = s.execute(
                select(
                    QuizDelivery.id,
                    QuizDelivery.channel,
                    QuizDelivery.chat_id,
                    QuizDelivery.question_id,
                    QuizDelivery.local_date,
                    QuizDelivery.sent_at,
                    QuizDelivery.claimed_at,
                    QuizDelivery.total_votes,
                    QuizDelivery.correct_votes,
                )
                .where(*conditions)
                .order_by(QuizDelivery.local_date, QuizDelivery.id)
            ).all()
        out = []
        for d_id, channel, chat, qid, day, sent, claimed, anon_total, anon_correct in rows:
            answers, correct = answered.get(d_id, (0, 0))
            when = sent or claimed
            if when is not None and when.tzinfo is None:
                when = when.replace(tzinfo=dt.UTC)  # SQLite keeps UTC without its zone
            out.append(
                DeliveryResult(
                    d_id,
                    channel,
                    chat,
                    qid,
                    day,
                    when,
                    answers + int(anon_total or 0),
                    correct + int(anon_correct or 0),
                )
            )
        return out
