"""Telegram daily quiz: officer commands, scheduled quiz polls (PTB JobQueue), scoring, leaderboards.

Schedules live in the database and are re-registered with the JobQueue at
start-up, so a restart loses none. Quiz polls are non-anonymous in groups (so
answers are attributable) and anonymous in channels (counted, not scored).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from html import escape
from zoneinfo import ZoneInfo

from telegram import Poll, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes, JobQueue

from bot.errors import HoidapError, UserInputError
from bot.quiz.schedule import describe_days, parse_schedule
from bot.quiz.service import NOT_OFFICER, Subscription

log = logging.getLogger(__name__)
CHANNEL = "telegram"
JOB_PREFIX = "quiz:"
POLL_WAIT_TRIES, POLL_WAIT_STEP = 20, 0.25


def _core(context):
    return context.bot_data["core"]


def _settings(context):
    return context.bot_data["settings"]


def _split_target(args: list[str]) -> tuple[list[str], str | None]:
    """A trailing ``@kenh`` or ``-100…`` names a channel to manage from a private chat."""
    if args and (args[-1].startswith("@") or args[-1].startswith("-100")):
        return args[:-1], args[-1]
    return args, None


async def _target_chat(update: Update, context, target: str | None):
    if target is None:
        return update.effective_chat
    try:
        return await context.bot.get_chat(target)
    except TelegramError as e:
        raise UserInputError(f"Không tìm thấy kênh/nhóm {target}: hãy thêm bot làm quản trị viên ở đó trước.") from e


async def _run(update: Update, fn, *args):
    """Run a core call in a worker thread; a domain error becomes a short reply."""
    try:
        return await asyncio.to_thread(fn, *args)
    except HoidapError as e:
        await update.effective_message.reply_text(str(e))
        return None


async def _officer(update: Update, context) -> bool:
    """True for officers and admins; anyone else gets the polite refusal."""
    if await asyncio.to_thread(_core(context).quiz.is_officer, CHANNEL, str(update.effective_user.id)):
        return True
    await update.effective_message.reply_text(NOT_OFFICER)
    return False


# --- scheduling -----------------------------------------------------------------------
def schedule(job_queue: JobQueue, sub: Subscription, timezone: str) -> None:
    """(Re)register the daily job of a subscription."""
    for job in job_queue.get_jobs_by_name(f"{JOB_PREFIX}{sub.id}"):
        job.schedule_removal()
    if not sub.active:
        return
    hour, minute = (int(x) for x in sub.time.split(":"))
    job_queue.run_daily(
        send_scheduled_quiz,
        time=dt.time(hour, minute, tzinfo=ZoneInfo(timezone)),
        days=tuple(int(d) for d in sub.days),
        name=f"{JOB_PREFIX}{sub.id}",
        data=sub.id,
    )


async def register_schedules(application) -> int:
    """Register every active subscription (called at start-up)."""
    core = application.bot_data["core"]
    subs = await asyncio.to_thread(core.quiz.active_subscriptions, CHANNEL)
    for sub in subs:
        schedule(application.job_queue, sub, application.bot_data["settings"].timezone)
    return len(subs)


async def send_scheduled_quiz(context: ContextTypes.DEFAULT_TYPE) -> None:
    """JobQueue callback: today's quiz for one subscribed chat."""
    core = _core(context)
    sub = await asyncio.to_thread(core.quiz.subscription_by_id, context.job.data)
    if sub is None or not sub.active:
        context.job.schedule_removal()
        return
    await deliver_quiz(context, sub.chat_id, sub.chat_type, sub.id)


async def deliver_quiz(context, chat_id: str, chat_type: str, subscription_id: int | None) -> None:
    """Close the chat's previous quiz poll and send the next question as a quiz poll."""
    core = _core(context)
    await asyncio.to_thread(core.sync_quiz_bank)
    question = await asyncio.to_thread(core.quiz.next_question, CHANNEL, chat_id)
    for delivery_id, _poll, message_id in await asyncio.to_thread(core.quiz.open_deliveries, CHANNEL, chat_id):
        try:
            await context.bot.stop_poll(chat_id, int(message_id))
        except TelegramError:
            log.info("poll %s in %s was already closed", message_id, chat_id)
        await asyncio.to_thread(core.quiz.close_delivery, delivery_id)
    anonymous = chat_type == ChatType.CHANNEL
    open_period = _settings(context).quiz_open_period or None
    message = await context.bot.send_poll(
        chat_id,
        question.question,
        question.options,
        type=Poll.QUIZ,
        correct_option_ids=[question.correct],
        allows_revoting=False,  # the first answer is the one that counts
        is_anonymous=anonymous,
        explanation=question.explanation or None,
        open_period=open_period,
    )
    await asyncio.to_thread(
        core.quiz.record_delivery,
        CHANNEL,
        chat_id,
        question,
        message.poll.id,
        str(message.message_id),
        anonymous,
        subscription_id,
    )


# --- commands -------------------------------------------------------------------------
async def quiz_on(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Subscribe this chat (or a named channel) to the daily quiz: /quiz_on 07:30 [T2-T6]."""
    args, target = _split_target(context.args or [])
    try:
        time, days = parse_schedule(args)
    except UserInputError as e:
        await update.effective_message.reply_text(str(e))
        return
    chat = await _target_chat(update, context, target)
    user = str(update.effective_user.id)
    sub = await _run(
        update,
        _core(context).quiz.subscribe,
        CHANNEL,
        str(chat.id),
        chat.type,
        chat.title or chat.full_name,
        time,
        days,
        user,
    )
    if sub is None:
        return
    schedule(context.job_queue, sub, _settings(context).timezone)
    where = "nhóm này" if target is None else escape(chat.title or str(chat.id))
    await update.effective_message.reply_html(
        f"Đã đăng ký câu đố hằng ngày cho {where}: <b>{sub.time}</b> ({describe_days(sub.days)}, giờ Việt Nam)."
    )


async def quiz_off(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop the daily quiz for this chat (or a named channel)."""
    _, target = _split_target(context.args or [])
    chat = await _target_chat(update, context, target)
    stopped = await _run(update, _core(context).quiz.unsubscribe, CHANNEL, str(chat.id), str(update.effective_user.id))
    if stopped is None:
        return
    sub = await asyncio.to_thread(_core(context).quiz.subscription, CHANNEL, str(chat.id))
    if sub is not None:
        schedule(context.job_queue, sub, _settings(context).timezone)
    await update.effective_message.reply_text(
        "Đã dừng câu đố hằng ngày." if stopped else "Nhóm này chưa đăng ký câu đố hằng ngày."
    )


async def quiz_now(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send a quiz question right now."""
    _, target = _split_target(context.args or [])
    chat = await _target_chat(update, context, target)
    if not await _officer(update, context):
        return
    sub = await asyncio.to_thread(_core(context).quiz.subscription, CHANNEL, str(chat.id))
    try:
        await deliver_quiz(context, str(chat.id), chat.type, sub.id if sub else None)
    except HoidapError as e:
        await update.effective_message.reply_text(str(e))


async def _send_preview(update: Update, context, question, title: str) -> None:
    text = f"{title}\n\n{question.as_text(with_answer=True)}"
    try:
        await context.bot.send_message(update.effective_user.id, text)
    except TelegramError:
        await update.effective_message.reply_text(
            "Tôi chưa nhắn riêng được cho bạn: hãy mở chat riêng với tôi và bấm /start, rồi thử lại."
        )
        return
    if update.effective_chat.type != ChatType.PRIVATE:
        await update.effective_message.reply_text("Đã gửi bản xem trước vào tin nhắn riêng của bạn.")


async def quiz_preview(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the officer, privately, the question this chat gets next."""
    _, target = _split_target(context.args or [])
    chat = await _target_chat(update, context, target)
    core = _core(context)
    if not await _officer(update, context):
        return
    await asyncio.to_thread(core.sync_quiz_bank)
    question = await _run(update, core.quiz.next_question, CHANNEL, str(chat.id), True)
    if question is not None:
        await _send_preview(update, context, question, "Câu đố kỳ tới (dùng /quiz_skip để đổi câu khác):")


async def quiz_skip(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Replace the previewed question with another one."""
    _, target = _split_target(context.args or [])
    chat = await _target_chat(update, context, target)
    core = _core(context)
    await asyncio.to_thread(core.sync_quiz_bank)
    question = await _run(update, core.quiz.skip, CHANNEL, str(chat.id), str(update.effective_user.id))
    if question is not None:
        await _send_preview(update, context, question, "Đã đổi. Câu đố kỳ tới:")


PERIOD_TITLES = {"today": "Hôm nay", "week": "Tuần này (từ thứ Hai)", "all": "Từ trước đến nay"}


async def leaderboard(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show this chat's leaderboard: today, this week, all time."""
    core = _core(context)
    chat = update.effective_chat
    lines = [f"🏆 <b>Bảng xếp hạng câu đố</b> — {escape(chat.title or 'nhóm')}"]
    any_rows = False
    for period, title in PERIOD_TITLES.items():
        rows = await asyncio.to_thread(core.quiz.leaderboard, CHANNEL, str(chat.id), period, 5)
        lines.append(f"\n<b>{title}</b>")
        if not rows:
            lines.append("— chưa có ai trả lời")
            continue
        any_rows = True
        for i, r in enumerate(rows, 1):
            streak = f", chuỗi {r.streak} ngày" if r.streak > 1 else ""
            lines.append(f"{i}. {escape(r.name)} — {r.points} điểm ({r.answered} lần trả lời{streak})")
    if not any_rows:
        lines.append("\nHãy trả lời câu đố hằng ngày để có tên trên bảng!")
    await update.effective_message.reply_html("\n".join(lines))


async def quiz_stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Participation and correct rate per day for the officer's chats."""
    core = _core(context)
    user = str(update.effective_user.id)
    if not await _officer(update, context):
        return
    chat = update.effective_chat
    chats = (
        [str(chat.id)] if chat.type != ChatType.PRIVATE else await asyncio.to_thread(core.quiz.chats_of, CHANNEL, user)
    )
    stats = await asyncio.to_thread(core.quiz.stats, CHANNEL, chats, 14) if chats else []
    if not stats:
        await update.effective_message.reply_text("Chưa có câu đố nào được gửi trong 14 ngày qua.")
        return
    lines = ["📊 <b>Thống kê câu đố (14 ngày)</b>", "<code>Ngày   Nhóm          Người  Đúng</code>"]
    for d in stats:
        lines.append(
            f"<code>{d.date:%d/%m}  {escape(d.chat_id[-12:]):>12}  {d.participants:>5}  {d.correct_rate:>4.0%}</code>"
        )
    await update.effective_message.reply_html("\n".join(lines))


def _target_user(update: Update, context) -> str | None:
    if context.args and context.args[0].lstrip("-").isdigit():
        return context.args[0]
    reply = update.effective_message.reply_to_message
    if reply is not None and reply.from_user is not None:
        return str(reply.from_user.id)
    return None


async def officer_add(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Admins: grant the officer role (/officer_add <user_id>, or reply to the person's message)."""
    target = _target_user(update, context)
    if target is None:
        await update.effective_message.reply_text(
            "Cách dùng: /officer_add <mã người dùng> (hoặc trả lời tin nhắn của người đó)."
        )
        return
    granted = await _run(update, _core(context).quiz.grant_officer, CHANNEL, str(update.effective_user.id), target)
    if granted is not None:
        await update.effective_message.reply_text(
            f"Đã cấp quyền quản lý câu đố cho {target}." if granted else f"{target} đã có quyền này."
        )


async def officer_remove(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Admins: revoke the officer role."""
    target = _target_user(update, context)
    if target is None:
        await update.effective_message.reply_text("Cách dùng: /officer_remove <mã người dùng>.")
        return
    removed = await _run(update, _core(context).quiz.revoke_officer, CHANNEL, str(update.effective_user.id), target)
    if removed is not None:
        await update.effective_message.reply_text(
            f"Đã thu hồi quyền của {target}." if removed else f"{target} không có quyền này."
        )


# --- answers ----------------------------------------------------------------------------
async def _poll_known(quiz, poll_id: str) -> bool:
    """Wait briefly for a poll we just sent to be recorded.

    An answer can overtake the recording of its own poll (a member faster than our
    database write after ``sendPoll`` returns); polls we never sent stay unknown.
    """
    for _ in range(POLL_WAIT_TRIES):
        if await asyncio.to_thread(quiz.knows_poll, CHANNEL, poll_id):
            return True
        await asyncio.sleep(POLL_WAIT_STEP)
    log.info("update for unknown poll %s ignored", poll_id)
    return False


async def on_poll_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Score a member's vote on a quiz poll (once; changed or retracted votes do not count)."""
    answer = update.poll_answer
    if answer.user is None:  # voted as a chat: not attributable to a person
        return
    option = answer.option_ids[0] if answer.option_ids else None
    quiz = _core(context).quiz
    if not await _poll_known(quiz, answer.poll_id):
        return
    await asyncio.to_thread(
        quiz.record_answer, CHANNEL, str(answer.user.id), answer.user.full_name, option, answer.poll_id
    )


async def on_poll(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Anonymous (channel) quiz polls: keep the vote counts Telegram reports."""
    poll = update.poll
    if not await _poll_known(_core(context).quiz, poll.id):
        return
    await asyncio.to_thread(
        _core(context).quiz.record_poll_counts,
        CHANNEL,
        poll.id,
        poll.total_voter_count,
        [o.voter_count for o in poll.options],
    )
