"""The Zalo channel: same core and storage as Telegram, translated to Zalo's text-only chat.

Updates arrive by long polling or by webhook (requests without the right
``X-Bot-Api-Secret-Token`` get 403). Suggestions are numbered and answered by
number; the daily quiz goes out as text with options A–D and is answered by
letter; officers use the same commands as on Telegram, typed as text. Anything
malformed or unknown is logged and ignored: the adapter never crashes.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hmac
import json
import logging
import re
from urllib.parse import urlparse

from aiohttp import web

from bot.channels.keyed import KeyedLocks
from bot.channels.ratelimit import SLOW_DOWN, UserRateLimiter
from bot.channels.split import split_message
from bot.channels.zalo import render
from bot.channels.zalo.client import MESSAGE_LIMIT, ZaloApiError, ZaloClient
from bot.errors import ConfigError, HoidapError, UserInputError
from bot.quiz.model import LETTERS
from bot.quiz.schedule import describe_days, parse_schedule
from bot.quiz.service import NOT_OFFICER, PERIODS
from bot.storage import repository
from bot.text.normalize import fold

log = logging.getLogger(__name__)
CHANNEL = "zalo"
TEXT_EVENT = "message.text.received"
OTHER_EVENTS = {"message.image.received", "message.sticker.received", "message.unsupported.received"}
_LETTER_RE = re.compile(r"^(?:dap an|chon|cau)?\s*([a-j])\s*[.)]?$")
_DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]  # our 0 = Chủ nhật … 6 = Thứ Bảy
MAX_QUESTION = 1000


class ZaloAdapter:
    def __init__(self, settings, core, client: ZaloClient | None = None) -> None:
        if settings.zalo_token is None:
            raise ConfigError("Chưa cấu hình HOIDAP_ZALO_TOKEN.")
        self.settings = settings
        self.core = core
        self.client = client or ZaloClient(settings.zalo_token.get_secret_value(), settings.zalo_base_url)
        self.limiter = UserRateLimiter(settings.questions_per_minute)
        self._poller: asyncio.Task | None = None
        self._runner: web.AppRunner | None = None
        self._scheduler = None
        self._locks = KeyedLocks()
        self._tasks: set[asyncio.Task] = set()

    # --- lifecycle ---------------------------------------------------------------------
    async def start(self) -> None:
        me = await self.client.get_me()
        log.info("zalo: connected as %s", me.get("account_name") or me.get("id"))
        if self.settings.zalo_mode == "webhook":
            await self._start_webhook()
        else:
            with contextlib.suppress(ZaloApiError):
                await self.client.delete_webhook()  # getUpdates does not work while a webhook is set
            self._poller = asyncio.create_task(self._poll(), name="zalo-poll")
        await self._start_scheduler()

    async def stop(self) -> None:
        """Stop receiving, scheduling and sending (safe to call twice)."""
        if self._poller:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
        if self._runner:
            await self._runner.cleanup()
            self._runner = None
        if self._scheduler:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.client.close()

    async def _poll(self) -> None:
        backoff = 1.0
        while True:
            try:
                updates = await self.client.get_updates(timeout=30)
                backoff = 1.0
            except ZaloApiError as e:
                log.warning("zalo: getUpdates failed (%s); retrying in %.0fs", e, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            for update in updates:
                self._spawn(update)

    async def _start_webhook(self) -> None:
        url, secret = self.settings.zalo_webhook_url, self.settings.zalo_webhook_secret
        if not url or secret is None:
            raise ConfigError("Chế độ webhook của Zalo cần HOIDAP_ZALO_WEBHOOK_URL và HOIDAP_ZALO_WEBHOOK_SECRET.")
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_post(urlparse(url).path or "/", self._on_webhook)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.settings.zalo_webhook_listen, self.settings.zalo_webhook_port).start()
        await self.client.set_webhook(url, secret.get_secret_value())
        log.info("zalo: webhook on %s:%s", self.settings.zalo_webhook_listen, self.settings.zalo_webhook_port)

    async def _on_webhook(self, request: web.Request) -> web.Response:
        expected = self.settings.zalo_webhook_secret.get_secret_value()
        given = request.headers.get("X-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return web.json_response({"ok": False, "description": "Forbidden"}, status=403)
        try:
            body = json.loads(await request.text())
        except ValueError:
            return web.json_response({"ok": False, "description": "Bad Request"}, status=400)
        update = body.get("result", body) if isinstance(body, dict) else None
        if isinstance(update, dict):
            self._spawn(update)
        return web.json_response({"ok": True})

    def _spawn(self, update: dict) -> None:
        task = asyncio.create_task(self.handle(update))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- updates ----------------------------------------------------------------------
    async def handle(self, update: dict) -> None:
        """Process one update; never raises (one member's odd message must not stop the others)."""
        try:
            message = update.get("message") if isinstance(update, dict) else None
            message = message if isinstance(message, dict) else {}
            sender = message.get("from") if isinstance(message.get("from"), dict) else {}
            chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
            async with self._locks.hold(str(sender.get("id") or chat.get("id") or "")):
                await self._dispatch(update)  # one member's messages in order, members in parallel
        except HoidapError as e:
            log.warning("zalo: %s", e)
        except Exception:
            log.exception("zalo: error while handling an update")

    async def _dispatch(self, update: dict) -> None:
        message = update.get("message")
        if not isinstance(message, dict):
            return
        chat = message.get("chat") or {}
        chat_id = str(chat.get("id") or "")
        if not chat_id:
            return
        sender = message.get("from") or {}
        user_id = str(sender.get("id") or chat_id)
        name = str(sender.get("display_name") or sender.get("first_name") or sender.get("name") or user_id)
        private = str(chat.get("chat_type", "PRIVATE")).upper() != "GROUP"
        event = update.get("event_name")
        text = message.get("text")
        if event == TEXT_EVENT and isinstance(text, str):
            await self._on_text(chat_id, user_id, name, private, text.strip())
        elif (event in OTHER_EVENTS or event is None) and private:
            await self.send(chat_id, render.HINT_NOT_TEXT)

    async def _on_text(self, chat_id: str, user_id: str, name: str, private: bool, text: str) -> None:
        if not text:
            if private:
                await self.send(chat_id, render.HOI_USAGE)
            return
        if text.startswith("/"):
            command, _, rest = text[1:].partition(" ")
            handler = COMMANDS.get(command.split("@")[0].lower())
            if handler is not None:
                await handler(self, chat_id, user_id, name, private, rest.split())
            elif private:
                await self.send(chat_id, f"Không có lệnh /{command}. Gõ /help để xem cách dùng.")
            return
        folded = fold(text).strip()
        letter = _LETTER_RE.match(folded)
        if letter and await self._answer_quiz(chat_id, user_id, name, LETTERS.index(letter.group(1).upper())):
            return
        if folded.isdigit() and await self._choose(chat_id, folded):
            return
        if private:
            await self.ask(chat_id, user_id, text)

    # --- answering --------------------------------------------------------------------
    async def ask(self, chat_id: str, user_id: str, text: str) -> None:
        if not self.limiter.allow(user_id):
            if self.limiter.should_warn(user_id):
                await self.send(chat_id, SLOW_DOWN)
            return
        if len(text) > MAX_QUESTION:
            await self.send(chat_id, "Câu hỏi dài quá. Bạn hãy hỏi ngắn gọn (dưới 1000 ký tự) về một nội dung cụ thể.")
            return
        with contextlib.suppress(ZaloApiError):
            await self.client.send_chat_action(chat_id, "typing")
        reply = await asyncio.to_thread(self.core.handle_question, CHANNEL, chat_id, user_id, text)
        await self._deliver(chat_id, reply.answer)

    async def _deliver(self, chat_id: str, answer) -> None:
        body, choices = render.answer_text(answer)
        await asyncio.to_thread(repository.set_chat_state, self.core.db, CHANNEL, chat_id, {"choices": choices})
        await self.send(chat_id, body)

    async def _choose(self, chat_id: str, number: str) -> bool:
        """A number reply picks one of the choices last offered in this chat."""
        state = await asyncio.to_thread(repository.get_chat_state, self.core.db, CHANNEL, chat_id)
        choice = (state.get("choices") or {}).get(str(int(number)))
        if choice is None:
            return False
        answer = await asyncio.to_thread(self.core.official_answer, choice[0], int(choice[1]))
        if answer is None:
            await self.send(chat_id, "Câu hỏi này không còn trong chỉ mục hiện tại.")
            return True
        await self._deliver(chat_id, answer)
        return True

    async def send(self, chat_id: str, text: str) -> None:
        for piece in split_message(text, MESSAGE_LIMIT):
            await self.client.send_message(chat_id, piece)

    # --- quiz ------------------------------------------------------------------------
    async def _answer_quiz(self, chat_id: str, user_id: str, name: str, option: int) -> bool:
        quiz = self.core.quiz
        delivery = await asyncio.to_thread(quiz.latest_open_delivery, CHANNEL, chat_id)
        if delivery is None:
            return False
        result = await asyncio.to_thread(quiz.record_answer, CHANNEL, user_id, name, option, None, delivery)
        if result is None:
            await self.send(chat_id, f"{name}: bạn đã trả lời câu đố này rồi, mỗi người chỉ tính lần trả lời đầu tiên.")
        else:
            await self.send(chat_id, f"{name}: {render.quiz_result(result.correct, result.question)}")
        return True

    async def deliver_quiz(self, chat_id: str, subscription_id: int | None) -> None:
        quiz = self.core.quiz
        await asyncio.to_thread(self.core.sync_quiz_bank)
        question = await asyncio.to_thread(quiz.next_question, CHANNEL, chat_id)
        for delivery_id, _poll, _msg in await asyncio.to_thread(quiz.open_deliveries, CHANNEL, chat_id):
            await asyncio.to_thread(quiz.close_delivery, delivery_id)
        # Recorded before sending, so a member who answers at once is scored against it.
        delivery = await asyncio.to_thread(
            quiz.record_delivery, CHANNEL, chat_id, question, None, None, False, subscription_id
        )
        try:
            await self.client.send_message(chat_id, render.quiz_text(question)[:MESSAGE_LIMIT])
        except ZaloApiError:
            await asyncio.to_thread(quiz.close_delivery, delivery)
            raise

    async def _start_scheduler(self) -> None:
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        self._scheduler = AsyncIOScheduler(timezone=self.settings.timezone)
        self._scheduler.start()
        for sub in await asyncio.to_thread(self.core.quiz.active_subscriptions, CHANNEL):
            self.schedule(sub)

    def job_id(self, sub_id: int) -> str:
        return f"zalo-quiz:{sub_id}"

    def schedule(self, sub) -> None:
        """(Re)register a subscription's daily job; an inactive one is removed."""
        from apscheduler.triggers.cron import CronTrigger

        with contextlib.suppress(Exception):
            self._scheduler.remove_job(self.job_id(sub.id))
        if not sub.active:
            return
        hour, minute = (int(x) for x in sub.time.split(":"))
        trigger = CronTrigger(
            hour=hour,
            minute=minute,
            day_of_week=",".join(_DAYS[int(d)] for d in sub.days),
            timezone=self.settings.timezone,
        )
        self._scheduler.add_job(
            self._scheduled,
            trigger,
            args=[sub.id],
            id=self.job_id(sub.id),
            replace_existing=True,
            coalesce=True,
            misfire_grace_time=3600,
        )

    def job(self, sub_id: int):
        return self._scheduler.get_job(self.job_id(sub_id)) if self._scheduler else None

    async def _scheduled(self, sub_id: int) -> None:
        try:
            sub = await asyncio.to_thread(self.core.quiz.subscription_by_id, sub_id)
            if sub is not None and sub.active:
                await self.deliver_quiz(sub.chat_id, sub.id)
        except Exception:
            log.exception("zalo: scheduled quiz %s failed", sub_id)


# --- text commands --------------------------------------------------------------------------
async def _help(adapter: ZaloAdapter, chat_id, user_id, name, private, args) -> None:
    docs = await asyncio.to_thread(adapter.core.documents)
    await adapter.send(chat_id, render.help_text(docs))


async def _hoi(adapter: ZaloAdapter, chat_id, user_id, name, private, args) -> None:
    if not args:
        await adapter.send(chat_id, render.HOI_USAGE)
        return
    await adapter.ask(chat_id, user_id, " ".join(args))


async def _officer_only(adapter: ZaloAdapter, chat_id: str, user_id: str) -> bool:
    if await asyncio.to_thread(adapter.core.quiz.is_officer, CHANNEL, user_id):
        return True
    await adapter.send(chat_id, NOT_OFFICER)
    return False


async def _quiz_on(adapter: ZaloAdapter, chat_id, user_id, name, private, args) -> None:
    try:
        time, days = parse_schedule(args)
    except UserInputError as e:
        await adapter.send(chat_id, str(e))
        return
    try:
        sub = await asyncio.to_thread(
            adapter.core.quiz.subscribe, CHANNEL, chat_id, "private" if private else "group", None, time, days, user_id
        )
    except HoidapError as e:
        await adapter.send(chat_id, str(e))
        return
    adapter.schedule(sub)
    await adapter.send(chat_id, f"Đã đăng ký câu đố hằng ngày: {sub.time} ({describe_days(sub.days)}, giờ Việt Nam).")


async def _quiz_off(adapter: ZaloAdapter, chat_id, user_id, name, private, args) -> None:
    try:
        stopped = await asyncio.to_thread(adapter.core.quiz.unsubscribe, CHANNEL, chat_id, user_id)
    except HoidapError as e:
        await adapter.send(chat_id, str(e))
        return
    sub = await asyncio.to_thread(adapter.core.quiz.subscription, CHANNEL, chat_id)
    if sub is not None:
        adapter.schedule(sub)
    await adapter.send(chat_id, "Đã dừng câu đố hằng ngày." if stopped else "Nhóm này chưa đăng ký câu đố hằng ngày.")


async def _quiz_now(adapter: ZaloAdapter, chat_id, user_id, name, private, args) -> None:
    if not await _officer_only(adapter, chat_id, user_id):
        return
    sub = await asyncio.to_thread(adapter.core.quiz.subscription, CHANNEL, chat_id)
    await adapter.deliver_quiz(chat_id, sub.id if sub else None)


async def _quiz_preview(adapter: ZaloAdapter, chat_id, user_id, name, private, args) -> None:
    if not await _officer_only(adapter, chat_id, user_id):
        return
    await asyncio.to_thread(adapter.core.sync_quiz_bank)
    question = await asyncio.to_thread(adapter.core.quiz.next_question, CHANNEL, chat_id, True)
    await adapter.send(
        user_id, f"Câu đố kỳ tới (gõ /quiz_skip trong nhóm để đổi):\n\n{question.as_text(with_answer=True)}"
    )


async def _quiz_skip(adapter: ZaloAdapter, chat_id, user_id, name, private, args) -> None:
    try:
        await asyncio.to_thread(adapter.core.sync_quiz_bank)
        question = await asyncio.to_thread(adapter.core.quiz.skip, CHANNEL, chat_id, user_id)
    except HoidapError as e:
        await adapter.send(chat_id, str(e))
        return
    await adapter.send(user_id, f"Đã đổi. Câu đố kỳ tới:\n\n{question.as_text(with_answer=True)}")


async def _leaderboard(adapter: ZaloAdapter, chat_id, user_id, name, private, args) -> None:
    titles = {"today": "Hôm nay", "week": "Tuần này (từ thứ Hai)", "all": "Từ trước đến nay"}
    lines = ["🏆 BẢNG XẾP HẠNG CÂU ĐỐ"]
    for period in PERIODS:
        rows = await asyncio.to_thread(adapter.core.quiz.leaderboard, CHANNEL, chat_id, period, 5)
        lines.append(f"\n{titles[period]}:")
        lines += [
            f"{i}. {r.name} — {r.points} điểm" + (f", chuỗi {r.streak} ngày" if r.streak > 1 else "")
            for i, r in enumerate(rows, 1)
        ] or ["— chưa có ai trả lời"]
    await adapter.send(chat_id, "\n".join(lines))


async def _quiz_stats(adapter: ZaloAdapter, chat_id, user_id, name, private, args) -> None:
    if not await _officer_only(adapter, chat_id, user_id):
        return
    quiz = adapter.core.quiz
    chats = await asyncio.to_thread(quiz.chats_of, CHANNEL, user_id) if private else [chat_id]
    stats = await asyncio.to_thread(quiz.stats, CHANNEL, chats, 14) if chats else []
    if not stats:
        await adapter.send(chat_id, "Chưa có câu đố nào được gửi trong 14 ngày qua.")
        return
    lines = ["📊 THỐNG KÊ CÂU ĐỐ (14 ngày): ngày — người tham gia — tỉ lệ đúng"]
    lines += [f"{d.date:%d/%m} — {d.participants} người — {d.correct_rate:.0%}" for d in stats]
    await adapter.send(chat_id, "\n".join(lines))


async def _officer(adapter: ZaloAdapter, chat_id, user_id, name, private, args, grant: bool) -> None:
    if not args:
        await adapter.send(chat_id, f"Cách dùng: /officer_{'add' if grant else 'remove'} <mã người dùng Zalo>")
        return
    quiz = adapter.core.quiz
    try:
        fn = quiz.grant_officer if grant else quiz.revoke_officer
        changed = await asyncio.to_thread(fn, CHANNEL, user_id, args[0])
    except HoidapError as e:
        await adapter.send(chat_id, str(e))
        return
    if grant:
        await adapter.send(
            chat_id, f"Đã cấp quyền quản lý câu đố cho {args[0]}." if changed else f"{args[0]} đã có quyền này."
        )
    else:
        await adapter.send(chat_id, f"Đã thu hồi quyền của {args[0]}." if changed else f"{args[0]} không có quyền này.")


async def _officer_add(adapter, chat_id, user_id, name, private, args) -> None:
    await _officer(adapter, chat_id, user_id, name, private, args, grant=True)


async def _officer_remove(adapter, chat_id, user_id, name, private, args) -> None:
    await _officer(adapter, chat_id, user_id, name, private, args, grant=False)


async def _unanswered(adapter: ZaloAdapter, chat_id, user_id, name, private, args) -> None:
    if not adapter.core.quiz.is_admin(CHANNEL, user_id):
        await adapter.send(chat_id, "Xin lỗi, chỉ quản trị viên mới xem được báo cáo này.")
        return
    days = int(args[0]) if args and args[0].isdigit() else 30
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    rows = await asyncio.to_thread(repository.unanswered, adapter.core.db, since, 15)
    lines = [f"Câu hỏi chưa có câu trả lời chính thức ({days} ngày):"] + [f"{r.count}× {r.question}" for r in rows]
    await adapter.send(
        chat_id, "\n".join(lines) if rows else f"Trong {days} ngày qua chưa có câu hỏi nào thiếu câu trả lời."
    )


COMMANDS = {
    "start": _help,
    "help": _help,
    "hoi": _hoi,
    "bxh": _leaderboard,
    "quiz_on": _quiz_on,
    "quiz_off": _quiz_off,
    "quiz_now": _quiz_now,
    "quiz_preview": _quiz_preview,
    "quiz_skip": _quiz_skip,
    "quiz_stats": _quiz_stats,
    "officer_add": _officer_add,
    "officer_remove": _officer_remove,
    "unanswered": _unanswered,
}
