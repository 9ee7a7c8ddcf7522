"""The Telegram channel (python-telegram-bot 22): updates in, conversation core, HTML out.

This module only maps: an update becomes an :class:`Actor` and one core call; the typed replies
become Bot API calls (:mod:`.render`), through the chat's own outbox (:mod:`.outbox`), which waits for
a group's send budget (:mod:`.budget`) so that no update handler does. Sending is retried on network
errors, 5xx and 429 (honouring ``retry_after``); a group upgraded to a supergroup is followed to its
new id; a chat the bot can no longer post in stops its quiz and its officer is told. Updates arrive by long polling or, in webhook
mode, through a route of the one web app (PTB's custom-webhook pattern: the route checks the secret
in constant time and puts updates on ``application.update_queue``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from concurrent.futures import ThreadPoolExecutor

from telegram import BotCommand, Message, ReplyParameters, Update
from telegram.constants import ChatAction, ChatMemberStatus, ChatType, ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import Application, ContextTypes, TypeHandler

from bot import observe
from bot.channels.logs import add_secrets, redact
from bot.channels.retry import send_retrying
from bot.channels.slots import ChatSlots
from bot.channels.telegram import render
from bot.channels.telegram.budget import OverallLimiter, SendBudget, is_group
from bot.channels.telegram.ordering import PerMemberUpdateProcessor, update_key
from bot.channels.telegram.outbox import ChatLost, Outboxes, Piece
from bot.channels.typing import ChatTyping
from bot.channels.webhook import Webhook, webhook
from bot.conversation import texts
from bot.conversation.actions import ActionDecision, UploadDecision, decode
from bot.conversation.actor import CHANNEL as CHANNEL_KIND
from bot.conversation.actor import GROUP, PRIVATE, Actor, Incoming
from bot.conversation.core import ChatInfo
from bot.conversation.replies import QuizPoll, Reply, Toast, Turn, Work
from bot.errors import ConfigError
from bot.progress import CallbackProgress
from bot.settings import Settings
from bot.shared import Seen

log = logging.getLogger(__name__)
CHANNEL = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
POLL_WAIT_TRIES, POLL_WAIT_STEP = 20, 0.25
PROGRESS_EVERY = 1.5  # seconds between progress edits
TYPING_AFTER = 0.5  # seconds an answer may take before "typing…" is shown
POSTS = ("sendMessage", "sendPoll")  # what counts against a group's 20 messages a minute
STOP_GRACE = 5.0  # seconds the outboxes get to send what waits when the channel stops

COMMANDS = [
    BotCommand("hoi", "Hỏi về văn bản: /hoi câu hỏi"),
    BotCommand("bxh", "Bảng xếp hạng câu đố của nhóm"),
    BotCommand("help", "Văn bản đang trả lời và cách hỏi"),
    BotCommand("id", "Mã người dùng của bạn"),
    BotCommand("start", "Giới thiệu trợ lý"),
]


# Telegram sends an album's photos within a second or so; this long without another ends the album.
ALBUM_QUIET = 2.0


class ClaimTaken(Exception):
    """A quiz waited so long for its turn that another process took its claim over (and sends it)."""


def _kind(chat_type: str) -> str:
    if chat_type == ChatType.PRIVATE:
        return PRIVATE
    return CHANNEL_KIND if chat_type == ChatType.CHANNEL else GROUP


def retry_wait(error: BaseException) -> float | None:
    """Seconds to wait before retrying a failed call (0: backoff), None: do not retry."""
    if isinstance(error, RetryAfter):
        after = error.retry_after
        return after.total_seconds() if hasattr(after, "total_seconds") else float(after)
    if isinstance(error, NetworkError) and not isinstance(error, BadRequest):
        return 0.0  # connection errors, timeouts, 5xx (502 pages included)
    return None


def _asked(text: str) -> str:
    """What a member asked, as named above their answer in a merged message ("/hoi x" → "x")."""
    if text.startswith("/"):
        head, _, rest = text.partition(" ")
        return rest.strip() or head
    return text.strip()


def _lost(error: TelegramError) -> str | None:
    """Why a chat is lost for good, or None."""
    if isinstance(error, Forbidden):
        return "forbidden"
    if isinstance(error, BadRequest) and "chat not found" in str(error).lower():
        return "chat_not_found"
    return None


def update_keys(body: dict) -> tuple[str | None, str | None]:
    """(the update's id, its member) of a webhook body, for the durable intake."""
    update_id = body.get("update_id")
    kind, *key = update_key(Update.de_json(body, None))
    # The same key the update processor orders by (a member in a chat, a poll answer's member, a chat),
    # so the intake hands out one member's updates in a chat one at a time, in order, and the same
    # member in another chat (a private question while their group floods) does not wait for them.
    member = ":".join([CHANNEL, kind, *map(str, key)]) if kind != "update" else None
    return (str(update_id) if update_id is not None else None), member


class TelegramChannel:
    def __init__(self, settings: Settings, assistant, scheduler=None, intake=None) -> None:
        if settings.telegram_token is None:
            raise ConfigError("Chưa cấu hình HOIDAP_TELEGRAM_TOKEN (lấy từ @BotFather).")
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
        add_secrets(settings.telegram_token.get_secret_value(), secret)  # before PTB can log a URL
        self.settings = settings
        self.conv = assistant.conversation()
        self._seen = Seen(assistant.shared)
        self.scheduler = scheduler
        self.intake = intake if settings.telegram_mode == "webhook" else None
        self.typing_after = TYPING_AFTER
        self.budget = SendBudget(assistant.shared, settings.telegram_messages_per_second)
        self.outbox = Outboxes(self.budget, self._send_piece, self._post_merged)
        self.slots = ChatSlots()
        self._albums: set[asyncio.Task] = set()  # waits for the rest of a photo album (kept referenced)
        self.typing = ChatTyping(lambda chat_id: self.bot.send_chat_action(chat_id, ChatAction.TYPING))
        # One process: the chat's outbox keeps a member's answers in order. Several: a member's next
        # update waits (under their lock, shared in Redis) until the previous answer was delivered.
        # The durable intake: an update is handled — and marked done — only once its replies left the
        # outbox (a process killed with answers still queued leaves their rows to another process),
        # and the member's next update is handed out only then, so order holds across processes.
        self._wait_delivery = assistant.shared.distributed or self.intake is not None
        self._records = ThreadPoolExecutor(2, thread_name_prefix="hoidap-quiz-record")
        self.webhook: Webhook | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        builder = (
            Application.builder()
            .token(settings.telegram_token.get_secret_value())
            .base_url(settings.telegram_base_url)
            .base_file_url(settings.telegram_base_file_url)
            .rate_limiter(OverallLimiter(self.budget))
            # With the intake, one member's order across processes is kept by the database (a member's
            # next update is handed out only after the one before finished); a Redis lock would also
            # hold a dead process's members until it expired.
            .concurrent_updates(PerMemberUpdateProcessor(None if self.intake is not None else assistant.shared))
        )
        if settings.telegram_mode == "webhook":
            builder = builder.updater(None)  # the web app's route checks the secret in constant time
            self.webhook = webhook(
                settings.webhook_url,
                settings.webhook_secret,
                SECRET_HEADER,
                self._store if self.intake is not None else self._accept,
                "Chế độ webhook cần HOIDAP_WEBHOOK_URL và HOIDAP_WEBHOOK_SECRET.",
                CHANNEL,
            )
            if self.intake is not None:
                self.intake.register(CHANNEL, update_keys, self._process)
        self.app = builder.build()
        self.app.add_handler(TypeHandler(Update, self.on_update))
        self.app.add_error_handler(self.on_error)

    @property
    def bot(self):
        return self.app.bot

    # --- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        """Connect (a bad token or base URL is one clear line), then receive updates."""
        self._loop = asyncio.get_running_loop()
        try:
            await self.app.initialize()
        except InvalidToken as e:
            raise ConfigError(f"Telegram từ chối token (HOIDAP_TELEGRAM_TOKEN): {redact(str(e))}") from None
        except TelegramError as e:  # unreachable, a proxy's error page, a malformed base URL
            detail = redact(str(e)).split(". Parsing the server response")[0]
            raise ConfigError(
                f"Không kết nối được Telegram Bot API tại {redact(self.settings.telegram_base_url)}: {detail}"
            ) from None
        self.conv.register_channel(CHANNEL, polls=True, bot_name=self.bot.username, resolve=self._resolve)
        try:
            await self.bot.set_my_commands(COMMANDS)
        except TelegramError as e:
            log.warning("telegram: the command menu was not published: %s", e)
        await self.app.start()
        if self.settings.telegram_mode == "webhook":
            await self._start_webhook()
        else:
            await self.app.updater.start_polling(allowed_updates=Update.ALL_TYPES)
            log.info("telegram: polling as @%s", self.bot.username)
        if self.scheduler is not None:
            self.scheduler.register(CHANNEL, self.send_claim)

    async def _start_webhook(self) -> None:
        """Register the URL (its path is a route of the web app, already listening)."""
        url = self.settings.webhook_url
        await self.bot.set_webhook(url, secret_token=self.webhook.secret, allowed_updates=Update.ALL_TYPES)
        log.info("telegram: webhook registered (its path is not logged: it is part of the secret)")

    def _accept(self, body: object) -> None:
        update = Update.de_json(body, self.bot) if isinstance(body, dict) else None
        if update is not None:
            self.app.update_queue.put_nowait(update)

    async def _store(self, body: object) -> None:
        """Webhook mode: the update is stored durably before the 200 (bot.channels.intake)."""
        if isinstance(body, dict):
            await self.intake.accept(CHANNEL, body)

    async def _process(self, body: dict) -> None:
        """An update from the intake, through PTB's update processor (one member's updates in order,
        others concurrently), returning when it was handled — then the intake marks it done."""
        update = Update.de_json(body, self.bot)
        processing = self.app.process_update(update)
        try:
            await self.app.update_processor.process_update(update, processing)
        finally:
            processing.close()  # never started if we were stopped while it waited its turn

    async def stop(self) -> None:
        if self.app.updater is not None and self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        for task in list(self._albums):  # an album cut short stays in the database until it expires
            task.cancel()
        await self.outbox.close(STOP_GRACE)
        await self.app.shutdown()
        self._records.shutdown(wait=False)

    def _resolve(self, ref: str) -> ChatInfo | None:
        """A chat named in a command ("@kenh", "-100…"), looked up from a worker thread."""
        try:
            chat = asyncio.run_coroutine_threadsafe(self.bot.get_chat(ref), self._loop).result(timeout=30)
        except (TelegramError, TimeoutError):
            return None
        return ChatInfo(str(chat.id), _kind(chat.type), chat.title or chat.full_name)

    # --- updates in ------------------------------------------------------------------------------
    def _actor(self, update: Update) -> Actor:
        chat, user = update.effective_chat, update.effective_user
        return Actor(
            CHANNEL,
            str(user.id if user else chat.id),
            str(chat.id),
            _kind(chat.type),
            user.full_name if user else (chat.title or ""),
            chat.title or chat.full_name,
        )

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        arrival = observe.mark_arrival()  # polling: now; webhook: when the intake accepted it
        try:
            await self._dispatch(update)
        finally:
            if arrival is not None:
                observe.ARRIVED.reset(arrival)

    async def _dispatch(self, update: Update) -> None:
        # Telegram posts an update again when the webhook's answer came late, maybe to another process
        # (with the durable intake, the intake's unique key recognises it: a row taken over after a
        # crash must be handled again).
        if self.intake is None and not await self._seen.first_time(f"telegram-update:{update.update_id}"):
            return
        if update.callback_query is not None:
            await self._on_tap(update)
        elif update.poll_answer is not None:
            await self._on_poll_answer(update)
        elif update.poll is not None:
            await self._on_poll(update)
        elif update.my_chat_member is not None:
            await self._on_membership(update)
        elif update.channel_post is not None or update.edited_channel_post is not None:
            return  # a channel's own posts are not questions
        elif update.effective_message is not None:
            await self._on_message(update, update.effective_message)

    async def _on_message(self, update: Update, message: Message) -> None:
        if message.migrate_to_chat_id is not None:
            await asyncio.to_thread(
                self.conv.chat_migrated, CHANNEL, str(message.chat.id), str(message.migrate_to_chat_id)
            )
            return
        if message.from_user is None or message.from_user.is_bot:
            return
        actor = self._actor(update)
        if message.document is not None:
            await self._on_document(actor, message)
            return
        # A photo without a caption, from an admin in private, is a page to add; a caption is a question.
        if message.photo and message.caption is None and await asyncio.to_thread(self.conv.takes_photos, actor):
            await self._on_photo(actor, message)
            return
        text = message.text if message.text is not None else message.caption
        if text is None:
            if not message.new_chat_members and not message.left_chat_member:
                await self.send_turn(actor, await asyncio.to_thread(self.conv.other, actor, "media"), message)
            return
        incoming = self._incoming(message, text, edited=update.edited_message is not None)
        # A chat's share of the answering threads (a flooded group cannot take them all), and one
        # "typing…" per chat while any of its questions is being answered.
        async with self.slots.hold(actor.chat_id):
            if self.conv.will_answer(actor, incoming):
                async with self.typing.shown(actor.chat_id, self.typing_after):
                    turn = await asyncio.to_thread(self.conv.text, actor, incoming)
            else:
                turn = await asyncio.to_thread(self.conv.text, actor, incoming)
        await self.send_turn(actor, turn, message, asked=_asked(incoming.text))

    def _incoming(self, message: Message, text: str, edited: bool) -> Incoming:
        username = (self.bot.username or "").lower()
        entities = message.parse_entities() if message.text is not None else message.parse_caption_entities()
        mentioned = any(
            (e.type == "mention" and value.lower() == f"@{username}")
            or (e.type == "text_mention" and e.user is not None and e.user.id == self.bot.id)
            for e, value in entities.items()
        )
        if mentioned and username:
            text = " ".join(w for w in text.split() if w.lower() != f"@{username}")
        replied = message.reply_to_message
        reply_to_bot = replied is not None and replied.from_user is not None and replied.from_user.id == self.bot.id
        private = message.chat.type == ChatType.PRIVATE
        return Incoming(
            text=text,
            addressed=private or mentioned or reply_to_bot,
            mentioned=mentioned,
            reply_to_bot=reply_to_bot,
            reply_to_quiz=reply_to_bot and replied.poll is not None,
            reply_to_user=str(replied.from_user.id) if replied is not None and replied.from_user else None,
            edited=edited,
        )

    async def _on_document(self, actor: Actor, message: Message) -> None:
        doc = message.document
        name = doc.file_name or "tai-lieu"
        refused = await asyncio.to_thread(self.conv.check_upload, actor, name, doc.file_size)
        if refused is None:
            telegram_file = await self.bot.get_file(doc.file_id)
            data = bytes(await telegram_file.download_as_bytearray())
            refused = await asyncio.to_thread(self.conv.upload, actor, name, data)
        await self.send_turn(actor, refused, message)

    async def _on_photo(self, actor: Actor, message: Message) -> None:
        """A photo of a page sent by an admin: its largest size, read like a .jpg document (OCR). The
        photos of an album (several pages sent at once) are one document, a page each, in order."""
        photo = max(message.photo, key=lambda p: p.width * p.height)
        name = f"anh-chup-{photo.file_unique_id}.jpg"
        refused = await asyncio.to_thread(self.conv.check_upload, actor, name, photo.file_size)
        if refused is None:
            telegram_file = await self.bot.get_file(photo.file_id)
            data = bytes(await telegram_file.download_as_bytearray())
            if message.media_group_id:
                group = str(message.media_group_id)
                await asyncio.to_thread(self.conv.album_page, actor, group, message.message_id, data)
                task = asyncio.create_task(self._album_when_complete(actor, group, message))
                self._albums.add(task)
                task.add_done_callback(self._albums.discard)
                return
            refused = await asyncio.to_thread(self.conv.upload, actor, name, data)
        await self.send_turn(actor, refused, message)

    async def _album_when_complete(self, actor: Actor, group: str, message: Message) -> None:
        """After each photo of an album: once no other photo has come for ALBUM_QUIET seconds, whichever
        process holds the last one previews the whole album (the pages wait in the database, so the
        album's photos may have reached different processes)."""
        await asyncio.sleep(ALBUM_QUIET + 0.2)
        try:
            turn = await asyncio.to_thread(self.conv.album, actor, group, ALBUM_QUIET)
            if turn is not None:
                await self.send_turn(actor, turn, message)
        except Exception:  # not a member's reply to lose: the admin is told to send the album again
            log.exception("telegram: album %s could not be previewed", group)
            with contextlib.suppress(TelegramError):
                await self.bot.send_message(actor.chat_id, texts.ALBUM_FAILED)

    async def _on_tap(self, update: Update) -> None:
        query = update.callback_query
        if query.message is None:
            await query.answer()
            return
        actor = self._actor(update)
        turn = Turn()
        try:
            turn = await asyncio.to_thread(self.conv.tap, actor, query.data or "")
        finally:  # always stop the button's spinner
            toast = next((r for r in turn.replies if isinstance(r, Toast)), None)
            with contextlib.suppress(TelegramError):
                await query.answer(toast.text or None if toast else None, show_alert=bool(toast and toast.alert))
        if isinstance(decode(query.data or ""), UploadDecision | ActionDecision) and not any(
            isinstance(r, Toast) and r.alert for r in turn.replies
        ):
            with contextlib.suppress(TelegramError):
                await query.edit_message_reply_markup(None)
        turn.replies = [r for r in turn.replies if not isinstance(r, Toast)]
        await self.send_turn(actor, turn, None)

    async def _poll_known(self, poll_id: str) -> bool:
        """An answer can overtake the recording of its own poll (a member faster than our database
        write after sendPoll returned): wait briefly. Polls we never sent stay unknown."""
        for _ in range(POLL_WAIT_TRIES):
            known = await asyncio.to_thread(self.conv.knows_poll, CHANNEL, poll_id)
            if known is not False:  # None: the database is out; the core keeps the answer, checks it later
                return True
            await asyncio.sleep(POLL_WAIT_STEP)
        log.info("telegram: update for unknown poll %s ignored", poll_id)
        return False

    async def _on_poll_answer(self, update: Update) -> None:
        answer = update.poll_answer
        if answer.user is None or not await self._poll_known(answer.poll_id):
            return  # voted as a chat (not attributable to a person), or not our poll
        option = answer.option_ids[0] if answer.option_ids else None
        await asyncio.to_thread(
            self.conv.poll_answer, CHANNEL, str(answer.user.id), answer.user.full_name, answer.poll_id, option
        )

    async def _on_poll(self, update: Update) -> None:
        poll = update.poll
        if await self._poll_known(poll.id):
            await asyncio.to_thread(
                self.conv.poll_counts, CHANNEL, poll.id, poll.total_voter_count, [o.voter_count for o in poll.options]
            )

    async def _on_membership(self, update: Update) -> None:
        change = update.my_chat_member
        if change.new_chat_member.status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT):
            await self._chat_lost(str(change.chat.id), f"my_chat_member:{change.new_chat_member.status}")

    async def _chat_lost(self, chat_id: str, reason: str) -> None:
        for notice in await asyncio.to_thread(self.conv.chat_lost, CHANNEL, chat_id, reason):
            try:
                await self._send_reply(notice.to, notice, None)
            except (TelegramError, ChatLost) as e:
                log.warning("telegram: could not tell the officer %s: %s", notice.to, e)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Anything unexpected: logged with its traceback (secrets masked); the member told briefly."""
        log.error("telegram: error while handling update %s", getattr(update, "update_id", "?"), exc_info=context.error)
        if (
            isinstance(update, Update)
            and update.effective_message
            and update.effective_chat
            and update.effective_chat.type == ChatType.PRIVATE
            and not isinstance(context.error, TelegramError)
        ):
            with contextlib.suppress(TelegramError):
                await update.effective_message.reply_text(texts.ERROR)

    # --- replies out ------------------------------------------------------------------------------
    async def _call(self, chat_id: str, send, what: str, before=None):
        """``send(chat_id)`` with retries; follows a migrated group; a lost chat raises ChatLost.
        A post to a group takes a permit of the group's window before *each* attempt (a retried
        message is another message to Telegram); ``before()`` runs after it, just before the call."""

        async def attempt(cid: str = chat_id):
            if what in POSTS and is_group(cid):
                await self.budget.group(cid)
            if before is not None:
                await before()
            return await send(cid)

        try:
            return await send_retrying(attempt, retry_wait, f"telegram {what}")
        except ChatMigrated as e:
            new = str(e.new_chat_id)
            await asyncio.to_thread(self.conv.chat_migrated, CHANNEL, chat_id, new)
            return await self._call(new, send, what, before)
        except TelegramError as e:
            reason = _lost(e)
            if reason is None:
                raise
            await self._chat_lost(chat_id, reason)
            raise ChatLost(str(e)) from e

    async def send_turn(self, actor: Actor, turn: Turn, replying_to: Message | None, asked: str | None = None) -> bool:
        """Queue every reply in the chat's outbox; the turn is told once they were delivered or given
        up (logging). With several processes, waits for that (True: all delivered)."""
        return await self.outbox.deliver(
            actor.chat_id, turn.replies, actor, replying_to, asked, turn, wait=self._wait_delivery
        )

    async def _send_piece(self, chat_id: str, piece: Piece) -> Message | None:
        """One reply from a chat's outbox, sent as replies always are (raises when it was not);
        the (first) message it became, when it was posted in the chat."""
        reply, parcel = piece.reply, piece.parcel
        if parcel.claim is not None and isinstance(reply, QuizPoll):
            await self._send_claimed(parcel.claim, reply)
        elif parcel.actor is not None and reply.to is not None and reply.to != parcel.actor.chat_id:
            await self._send_elsewhere(parcel.actor, reply, parcel.replying_to)
        else:
            return await self._send_reply(chat_id, reply, parcel.replying_to)
        return None

    async def _post_merged(self, chat_id: str, html: str, keyboard, replying_to: Message | None) -> Message:
        """Several answers to a busy group in one message (see :mod:`.outbox`)."""
        quote = ReplyParameters(replying_to.message_id, allow_sending_without_reply=True) if replying_to else None
        return await self._call(
            chat_id,
            lambda cid: self.bot.send_message(
                cid,
                html,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard,
                reply_parameters=quote,
                disable_web_page_preview=True,
            ),
            "sendMessage",
        )

    async def _send_elsewhere(self, actor: Actor, reply: Reply, replying_to: Message | None) -> None:
        try:
            await self._send_reply(reply.to, reply, None)
        except (TelegramError, ChatLost):
            if reply.fallback is None:
                raise
            await self._send_reply(actor.chat_id, reply.fallback, replying_to)
            return
        if reply.receipt is not None:
            await self._send_reply(actor.chat_id, reply.receipt, replying_to)

    async def _send_reply(self, chat_id: str, reply: Reply, replying_to: Message | None) -> Message | None:
        if isinstance(reply, QuizPoll):
            await self.send_quiz(chat_id, reply)
            return None
        if isinstance(reply, Work):
            await self._run_work(chat_id, reply)
            return None
        quote = (
            ReplyParameters(replying_to.message_id, allow_sending_without_reply=True)
            if replying_to is not None and replying_to.chat.type != ChatType.PRIVATE
            else None
        )
        first = None
        for i, message in enumerate(render.messages(reply)):
            sent = await self._call(
                chat_id,
                lambda cid, m=message, q=quote if i == 0 else None: self.bot.send_message(
                    cid,
                    m.html,
                    parse_mode=ParseMode.HTML,
                    reply_markup=m.keyboard,
                    reply_parameters=q,
                    disable_web_page_preview=True,
                ),
                "sendMessage",
            )
            first = first or sent
        return first

    async def send_quiz(self, chat_id: str, poll: QuizPoll, before=None) -> None:
        """Close the chat's earlier quiz polls, post this one, record it as sent (at once: a process
        killed after Telegram accepted the poll and before this record sends it again, see README)."""
        for message_id in poll.close:
            with contextlib.suppress(TelegramError, ValueError):
                await self.bot.stop_poll(chat_id, int(message_id))
        q = poll.question
        sent = await self._call(
            chat_id,
            lambda cid: self.bot.send_poll(
                cid,
                q.question,
                q.options,
                type="quiz",
                correct_option_ids=[q.correct],
                allows_revoting=False,  # the first answer is the one that counts
                is_anonymous=poll.anonymous,
                explanation=q.explanation or None,
                open_period=poll.open_period,
            ),
            "sendPoll",
            before,
        )
        # Recorded at once, on threads of its own (not behind the questions being answered): the time
        # between Telegram's acceptance and this record is the only window for a second copy.
        await self._record(self.conv.quiz_sent, poll.delivery_id, sent.poll.id, str(sent.message_id))

    async def _record(self, write, *args):
        return await asyncio.get_running_loop().run_in_executor(self._records, write, *args)

    async def send_claim(self, claim, poll: QuizPoll) -> None:
        """The scheduler's quiz for a chat, through the chat's outbox (a busy group's budget is waited
        for there, not in the scheduler); returns once it was sent, left for a retry or given up."""
        await self.outbox.deliver(claim.chat_id, [poll], claim=claim)

    async def _send_claimed(self, claim, poll: QuizPoll) -> None:
        """Still ours just before each attempt (compare-and-set on the claim's mark): a quiz that waited
        past the claim timeout may be another process's now, and is not sent twice."""
        current = claim
        lock = asyncio.Lock()  # one compare-and-set at a time: the heartbeat's and the attempt's

        async def renew() -> None:
            nonlocal current
            async with lock:
                renewed = await self._record(self.conv.renew_claim, current)
                if renewed is None:
                    raise ClaimTaken()
                current = renewed

        async def heartbeat() -> None:
            # While a send is in flight (a slow API, retries after 429/5xx, a busy record writer) the
            # claim is kept fresh, so only a process that died loses it: without this, one attempt
            # longer than the claim timeout let another process post the same quiz again.
            while True:
                await asyncio.sleep(self.settings.quiz_claim_timeout_seconds / 3)
                await renew()

        beat = asyncio.create_task(heartbeat())
        try:
            await self.send_quiz(claim.chat_id, poll, renew)
        except ClaimTaken:
            log.info("telegram: quiz for %s taken over by another process", claim.chat_id)
        except ChatLost:
            await asyncio.to_thread(self.conv.quiz_failed, claim.delivery_id, False)
            raise
        except TelegramError:
            await asyncio.to_thread(self.conv.quiz_failed, claim.delivery_id, True)
            raise
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError, ClaimTaken):
                await beat

    async def _run_work(self, chat_id: str, work: Work) -> None:
        """A long job: one status message edited with progress, then the result."""
        title = f"⏳ {work.title}…"
        status = await self._call(chat_id, lambda cid: self.bot.send_message(cid, title), "sendMessage")
        state = {"text": title}

        def on_progress(stage: str, done: int, total: int) -> None:
            state["text"] = f"⏳ {work.title}\n{stage}: {done}/{total}"

        task = asyncio.ensure_future(asyncio.to_thread(work.run, CallbackProgress(on_progress)))
        shown = title
        while not task.done():
            await asyncio.wait({task}, timeout=PROGRESS_EVERY)
            if state["text"] != shown and not task.done():
                shown = state["text"]
                with contextlib.suppress(TelegramError):  # progress is best effort
                    await status.edit_text(shown)
        results = task.result()
        first, rest = (results[0], results[1:]) if results else (None, [])
        if first is not None:
            parts = render.messages(first)
            if len(parts) == 1:
                await self._call(
                    chat_id, lambda cid: status.edit_text(parts[0].html, parse_mode=ParseMode.HTML), "editMessageText"
                )
            else:
                rest = [first, *rest]
        for reply in rest:
            await self._send_reply(chat_id, reply, None)


def build_app(settings: Settings, assistant, scheduler=None) -> TelegramChannel:
    """The Telegram channel for ``settings`` (tests and the runner start and stop it)."""
    return TelegramChannel(settings, assistant, scheduler)
