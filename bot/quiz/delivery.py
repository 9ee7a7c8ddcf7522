"""Quiz subscriptions and deliveries: what is due, who sends it, what happened to it.

A scheduled delivery is *claimed* before anything is sent: a row unique per (subscription, local
date, slot) inserted with ``INSERT … ON CONFLICT DO NOTHING RETURNING``. Only the process whose
insert returned a row sends; a claim never marked sent (its process died) is taken over after a
timeout by a compare-and-set update. This works the same on SQLite and PostgreSQL, with one
process or many.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select, update

from bot.quiz.bank import question_of
from bot.quiz.model import QuizQuestion
from bot.storage.db import Database, insert
from bot.storage.models import ChatState, QuizDelivery, QuizQuestionRow, QuizSubscription, utcnow


@dataclass(frozen=True)
class Subscription:
    id: int
    channel: str
    chat_id: str
    chat_type: str
    title: str | None
    time: str
    days: str
    active: bool
    created_by: str | None
    stopped_reason: str | None = None


@dataclass(frozen=True)
class Claim:
    """A delivery this process owns and must send now."""

    delivery_id: int
    channel: str
    chat_id: str
    chat_type: str
    question: QuizQuestion
    subscription_id: int | None
    close: tuple[str, ...] = ()  # message ids of the chat's earlier quizzes, closed by this one
    claimed_at: dt.datetime | None = None  # our mark on the row: whoever changed it took the claim over


def _sub(row: QuizSubscription) -> Subscription:
    return Subscription(
        row.id,
        row.channel,
        row.chat_id,
        row.chat_type,
        row.title,
        row.time,
        row.days,
        row.active,
        row.created_by,
        row.stopped_reason,
    )


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite returns naive datetimes for timezone-aware columns; they are UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


def our_weekday(day: dt.date) -> int:
    """0 = Chủ nhật (Sunday) … 6 = Thứ Bảy, as schedules store days."""
    return (day.weekday() + 1) % 7


class QuizDeliveries:
    db: Database
    tz: ZoneInfo

    def today(self) -> dt.date:
        return dt.datetime.now(self.tz).date()

    # --- subscriptions --------------------------------------------------------------------
    def subscribe(
        self, channel: str, chat_id: str, chat_type: str, title: str | None, time: str, days: str, user_id: str
    ) -> Subscription:
        now = utcnow()
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
                    schedule_changed_at=now,
                )
                s.add(row)
            else:
                if (row.time, row.days, row.active) != (time, days, True):
                    row.schedule_changed_at = now
                row.time, row.days, row.active, row.chat_type = time, days, True, chat_type
                row.title = title or row.title
                row.stopped_reason = None
                row.created_by = str(user_id)  # whoever turned it on last is the one told about trouble
            s.flush()
            return _sub(row)

    def ensure_subscription(
        self, channel: str, chat_id: str, chat_type: str, title: str, time: str, days: str
    ) -> Subscription:
        """The chat's subscription as it is, or a new active one: safe when several requests (or
        processes) create it at the same moment (``INSERT … ON CONFLICT DO NOTHING``, then read)."""
        with self.db.session() as s:
            s.execute(
                insert(s, QuizSubscription)
                .values(
                    channel=channel,
                    chat_id=str(chat_id),
                    chat_type=chat_type,
                    title=title,
                    time=time,
                    days=days,
                    active=True,
                    schedule_changed_at=utcnow(),
                )
                .on_conflict_do_nothing()
            )
        return self.subscription(channel, chat_id)

    def unsubscribe(self, channel: str, chat_id: str) -> bool:
        with self.db.session() as s:
            result = s.execute(
                update(QuizSubscription)
                .where(
                    QuizSubscription.channel == channel,
                    QuizSubscription.chat_id == str(chat_id),
                    QuizSubscription.active.is_(True),
                )
                .values(active=False, stopped_reason="quiz_off")
            )
            return result.rowcount > 0

    def set_schedule(self, sub_id: int, time: str, days: str, active: bool) -> Subscription | None:
        """Change a chat's time, days and on/off from the dashboard (whoever set it up stays the
        one told about trouble: the officer on the web may be on another channel)."""
        with self.db.session() as s:
            row = s.get(QuizSubscription, sub_id)
            if row is None:
                return None
            if (row.time, row.days, row.active) != (time, days, active):
                row.schedule_changed_at = utcnow()
            row.time, row.days, row.active = time, days, active
            row.stopped_reason = None if active else "quiz_off"
            s.flush()
            return _sub(row)

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

    def active_subscriptions(self, channel: str | None = None) -> list[Subscription]:
        q = select(QuizSubscription).where(QuizSubscription.active.is_(True))
        if channel is not None:
            q = q.where(QuizSubscription.channel == channel)
        with self.db.session() as s:
            return [_sub(r) for r in s.scalars(q.order_by(QuizSubscription.id))]

    def all_subscriptions(self) -> list[Subscription]:
        """Every subscription, active or stopped (the dashboard lists them)."""
        with self.db.session() as s:
            rows = s.scalars(
                select(QuizSubscription).order_by(
                    QuizSubscription.channel, QuizSubscription.active.desc(), QuizSubscription.id
                )
            )
            return [_sub(r) for r in rows]

    def chats_of(self, channel: str, user_id: str, everyone: bool = False) -> list[str]:
        """Chats whose quiz this officer set up (``everyone``: every subscribed chat, for admins)."""
        with self.db.session() as s:
            q = select(QuizSubscription.chat_id).where(QuizSubscription.channel == channel)
            if not everyone:
                q = q.where(QuizSubscription.created_by == str(user_id))
            return [c for (c,) in s.execute(q).all()]

    def titles(self, channel: str, chat_ids: list[str]) -> dict[str, str]:
        with self.db.session() as s:
            rows = s.execute(
                select(QuizSubscription.chat_id, QuizSubscription.title).where(
                    QuizSubscription.channel == channel, QuizSubscription.chat_id.in_(chat_ids)
                )
            ).all()
        return {c: t for c, t in rows if t}

    # --- chats that change ----------------------------------------------------------------
    def migrate_chat(self, channel: str, old: str, new: str) -> bool:
        """A group became a supergroup: its subscription, deliveries (hence scores) and memory follow it."""
        with self.db.session() as s:
            moved = s.execute(
                update(QuizSubscription)
                .where(QuizSubscription.channel == channel, QuizSubscription.chat_id == str(old))
                .values(chat_id=str(new), chat_type="supergroup")
            ).rowcount
            s.execute(
                update(QuizDelivery)
                .where(QuizDelivery.channel == channel, QuizDelivery.chat_id == str(old))
                .values(chat_id=str(new))
            )
            state = s.get(ChatState, (channel, str(old)))
            if state is not None and s.get(ChatState, (channel, str(new))) is None:
                s.add(ChatState(channel=channel, chat_id=str(new), data=dict(state.data), updated_at=utcnow()))
                s.delete(state)
            return moved > 0

    def stop_chat(self, channel: str, chat_id: str, reason: str) -> Subscription | None:
        """The bot can no longer post there: stop its quiz. Returns the subscription if it was active."""
        with self.db.session() as s:
            row = s.scalar(
                select(QuizSubscription).where(
                    QuizSubscription.channel == channel,
                    QuizSubscription.chat_id == str(chat_id),
                    QuizSubscription.active.is_(True),
                )
            )
            if row is None:
                return None
            row.active = False
            row.stopped_reason = reason[:64]
            s.execute(
                update(QuizDelivery)
                .where(QuizDelivery.channel == channel, QuizDelivery.chat_id == str(chat_id))
                .values(closed=True)
            )
            s.flush()
            return _sub(row)

    # --- what is due ------------------------------------------------------------------------
    def due(self, channels: set[str], now: dt.datetime, grace: dt.timedelta) -> list[tuple[Subscription, dt.date]]:
        """Subscriptions whose slot (today or yesterday, local time) has come within ``grace`` and that
        have no scheduled delivery yet that day. Read fresh every tick: /quiz_on and /quiz_off made by
        any process take effect at the next tick."""
        local = now.astimezone(self.tz)
        out = []
        with self.db.session() as s:
            rows = list(
                s.scalars(
                    select(QuizSubscription).where(
                        QuizSubscription.active.is_(True), QuizSubscription.channel.in_(sorted(channels))
                    )
                )
            )
            dates = [local.date(), local.date() - dt.timedelta(days=1)]
            done = {
                (sub_id, day)
                for sub_id, day in s.execute(
                    select(QuizDelivery.subscription_id, QuizDelivery.local_date).where(
                        QuizDelivery.subscription_id.in_([r.id for r in rows]),
                        QuizDelivery.local_date.in_(dates),
                        QuizDelivery.slot.is_not(None),
                    )
                ).all()
            }
        for row in rows:
            hour, minute = (int(x) for x in row.time.split(":"))
            changed = _aware(row.schedule_changed_at) or _aware(row.created_at)
            for day in dates:
                if str(our_weekday(day)) not in row.days or (row.id, day) in done:
                    continue
                slot = dt.datetime.combine(day, dt.time(hour, minute), self.tz)
                if slot <= local < slot + grace and (changed is None or changed <= slot):
                    out.append((_sub(row), day))
                    break
        return out

    def claim(
        self,
        channel: str,
        chat_id: str,
        chat_type: str,
        question: QuizQuestion,
        kind: str,
        subscription_id: int | None = None,
        local_date: dt.date | None = None,
        slot: str | None = None,
        anonymous: bool = False,
    ) -> Claim | None:
        """Insert the delivery before sending; None when another process already claimed that slot.

        The chat's earlier open quizzes are closed in the same transaction (their message ids are
        returned, so the channel can close the polls too).
        """
        now = utcnow()
        with self.db.session() as s:
            stmt = (
                insert(s, QuizDelivery)
                .values(
                    channel=channel,
                    chat_id=str(chat_id),
                    question_id=question.id,
                    subscription_id=subscription_id,
                    local_date=local_date or self.today(),
                    slot=slot,
                    status="claimed",
                    kind=kind,
                    claimed_at=now,
                    anonymous=anonymous,
                    correct=question.correct,
                    closed=False,
                    total_votes=0,
                    correct_votes=0,
                )
                .on_conflict_do_nothing()
                .returning(QuizDelivery.id)
            )
            delivery_id = s.execute(stmt).scalar()
            if delivery_id is None:
                return None
            earlier = s.execute(
                select(QuizDelivery.id, QuizDelivery.message_id).where(
                    QuizDelivery.channel == channel,
                    QuizDelivery.chat_id == str(chat_id),
                    QuizDelivery.closed.is_(False),
                    QuizDelivery.id != delivery_id,
                )
            ).all()
            if earlier:
                s.execute(update(QuizDelivery).where(QuizDelivery.id.in_([i for i, _ in earlier])).values(closed=True))
            if subscription_id is not None:  # the pinned preview has been used
                s.execute(
                    update(QuizSubscription).where(QuizSubscription.id == subscription_id).values(next_question_id=None)
                )
        return Claim(
            delivery_id,
            channel,
            str(chat_id),
            chat_type,
            question,
            subscription_id,
            tuple(m for _, m in earlier if m),
            now,
        )

    def reclaim_stale(self, channels: set[str], older_than: dt.timedelta, grace: dt.timedelta) -> list[Claim]:
        """Claims whose process died before sending (still 'claimed' after ``older_than``), taken over
        by compare-and-set so only one process resends each; slots past ``grace`` are given up."""
        now = utcnow()
        out = []
        with self.db.session() as s:
            rows = s.execute(
                select(QuizDelivery, QuizSubscription.chat_type)
                .join(QuizSubscription, QuizSubscription.id == QuizDelivery.subscription_id, isouter=True)
                .where(
                    QuizDelivery.status == "claimed",
                    QuizDelivery.channel.in_(sorted(channels)),
                    QuizDelivery.claimed_at < now - older_than,
                )
            ).all()
            stale = [(d.id, d.slot, d.local_date, chat_type) for d, chat_type in rows]
        for delivery_id, slot, day, chat_type in stale:
            with self.db.session() as s:
                if slot is not None:
                    hour, minute = (int(x) for x in slot.split(":"))
                    if dt.datetime.combine(day, dt.time(hour, minute), self.tz) + grace < now:
                        s.execute(
                            update(QuizDelivery)
                            .where(QuizDelivery.id == delivery_id, QuizDelivery.status == "claimed")
                            .values(status="failed", closed=True)
                        )
                        continue
                taken = s.execute(
                    update(QuizDelivery)
                    .where(
                        QuizDelivery.id == delivery_id,
                        QuizDelivery.status == "claimed",
                        or_(QuizDelivery.claimed_at < now - older_than, QuizDelivery.claimed_at.is_(None)),
                    )
                    .values(claimed_at=now)
                ).rowcount
                if not taken:
                    continue
                d = s.get(QuizDelivery, delivery_id)
                question = question_of(s.get(QuizQuestionRow, d.question_id))
                out.append(
                    Claim(d.id, d.channel, d.chat_id, chat_type or "group", question, d.subscription_id, (), now)
                )
        return out

    def renew(self, claim: Claim) -> Claim | None:
        """Just before sending: still ours? A process that claimed many quizzes at once sends them one
        by one (Telegram's budget is 30/s); one still waiting its turn after the claim timeout may have
        been taken over by another process, which then sends it. Compare-and-set on our mark: None if
        it is no longer ours, else the claim with a fresh mark (the timeout restarts now)."""
        if claim.claimed_at is None:  # /quiz_now: nobody else takes those over
            return claim
        now = utcnow()
        with self.db.session() as s:
            taken = s.execute(
                update(QuizDelivery)
                .where(
                    QuizDelivery.id == claim.delivery_id,
                    QuizDelivery.status == "claimed",
                    QuizDelivery.claimed_at == claim.claimed_at,
                )
                .values(claimed_at=now)
            ).rowcount
        return dataclasses.replace(claim, claimed_at=now) if taken else None

    def mark_sent(self, delivery_id: int, poll_id: str | None = None, message_id: str | None = None) -> float | None:
        """Record a delivery as sent; returns how many seconds after its scheduled time (None: not scheduled)."""
        now = utcnow()
        with self.db.session() as s:
            row = s.execute(
                update(QuizDelivery)
                .where(QuizDelivery.id == delivery_id)
                .values(status="sent", sent_at=now, poll_id=poll_id, message_id=message_id)
                .returning(QuizDelivery.local_date, QuizDelivery.slot)
            ).first()
        if row is None or row.slot is None:
            return None
        return (now - self._slot_time(row.local_date, row.slot)).total_seconds()

    def _slot_time(self, day: dt.date, slot: str) -> dt.datetime:
        hour, minute = (int(x) for x in slot.split(":"))
        return dt.datetime.combine(day, dt.time(hour, minute), self.tz)

    def unsent_slots(self, channels: set[str], now: dt.datetime, grace: dt.timedelta) -> list[dt.datetime]:
        """When the scheduled quizzes claimed but not sent yet were due (those still within ``grace``)."""
        with self.db.session() as s:
            rows = s.execute(
                select(QuizDelivery.local_date, QuizDelivery.slot).where(
                    QuizDelivery.status == "claimed",
                    QuizDelivery.slot.is_not(None),
                    QuizDelivery.channel.in_(sorted(channels)),
                )
            ).all()
        slots = [self._slot_time(day, slot) for day, slot in rows]
        return [t for t in slots if t + grace >= now]

    def mark_failed(self, delivery_id: int) -> None:
        with self.db.session() as s:
            s.execute(update(QuizDelivery).where(QuizDelivery.id == delivery_id).values(status="failed", closed=True))

    def set_anonymous(self, delivery_id: int, anonymous: bool) -> None:
        with self.db.session() as s:
            s.execute(update(QuizDelivery).where(QuizDelivery.id == delivery_id).values(anonymous=anonymous))

    def close_delivery(self, delivery_id: int) -> None:
        with self.db.session() as s:
            s.execute(update(QuizDelivery).where(QuizDelivery.id == delivery_id).values(closed=True))

    def open_text_delivery(self, channel: str, chat_id: str) -> int | None:
        """The chat's latest open text quiz (answered by letter), if any."""
        with self.db.session() as s:
            return s.scalar(
                select(QuizDelivery.id)
                .where(
                    QuizDelivery.channel == channel,
                    QuizDelivery.chat_id == str(chat_id),
                    QuizDelivery.closed.is_(False),
                    QuizDelivery.kind == "text",
                    QuizDelivery.status.in_(("claimed", "sent")),
                )
                .order_by(QuizDelivery.id.desc())
                .limit(1)
            )

    def delivery_of_day(self, channel: str, chat_id: str, day: dt.date) -> tuple[int, QuizQuestion] | None:
        """The chat's scheduled quiz of ``day`` (claimed or sent), with its question."""
        with self.db.session() as s:
            d = s.scalar(
                select(QuizDelivery)
                .where(
                    QuizDelivery.channel == channel,
                    QuizDelivery.chat_id == str(chat_id),
                    QuizDelivery.local_date == day,
                    QuizDelivery.slot.is_not(None),
                    QuizDelivery.status.in_(("claimed", "sent")),
                )
                .order_by(QuizDelivery.id.desc())
                .limit(1)
            )
            return (d.id, question_of(s.get(QuizQuestionRow, d.question_id))) if d else None

    def delivery_open(self, channel: str, delivery_id: int) -> bool:
        """Whether a delivery of ``channel`` still takes answers (another channel's never does here)."""
        with self.db.session() as s:
            d = s.get(QuizDelivery, delivery_id)
            return d is not None and d.channel == channel and not d.closed and d.status in ("claimed", "sent")

    def knows_poll(self, channel: str, poll_id: str) -> bool:
        with self.db.session() as s:
            return (
                s.scalar(
                    select(QuizDelivery.id).where(
                        and_(QuizDelivery.channel == channel, QuizDelivery.poll_id == poll_id)
                    )
                )
                is not None
            )

    def delivery_question(self, delivery_id: int) -> QuizQuestion | None:
        with self.db.session() as s:
            d = s.get(QuizDelivery, delivery_id)
            return question_of(s.get(QuizQuestionRow, d.question_id)) if d else None
