"""The Zalo channel: Zalo Bot Platform updates in, conversation core, plain text out.

Per the platform's documentation: in groups the bot only receives messages that @mention it or
reply to it, and the mention is part of the text (stripped here); one message may be delivered
more than once (answered once: deduplicated by message id); lengths are UTF-16 units; polling
never removes a webhook unless told to (``HOIDAP_ZALO_DELETE_WEBHOOK``), so a developer's run
cannot unhook production; a rejected token (401) stops polling with one clear line; the result of
``setWebhook`` (and its URL verification) is checked; ``can_join_groups`` is reported.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import unicodedata

from bot import observe
from bot.channels import plain
from bot.channels.logs import add_secrets
from bot.channels.retry import send_retrying
from bot.channels.split import split_text
from bot.channels.typing import show_typing
from bot.channels.webhook import Webhook, webhook
from bot.channels.zalo.client import MESSAGE_LIMIT, ZaloApiError, ZaloClient
from bot.conversation.actor import GROUP, PRIVATE, Actor, Incoming
from bot.conversation.replies import QuizPoll, Reply, Text, Turn, Work
from bot.errors import ConfigError
from bot.progress import Progress
from bot.settings import Settings
from bot.shared import KeyedLocks, Seen

log = logging.getLogger(__name__)
CHANNEL = "zalo"
SECRET_HEADER = "X-Bot-Api-Secret-Token"
TEXT_EVENT = "message.text.received"
IMAGE_EVENT = "message.image.received"
SEEN_MAX, SEEN_TTL = 10_000, 3600.0  # message ids remembered to answer a redelivered message once


def zalo_wait(error: BaseException) -> float | None:
    if isinstance(error, ZaloApiError) and error.transient:
        return 0.0  # backoff; Zalo gives no retry-after
    return None


def strip_mention(text: str, names: list[str]) -> tuple[str, bool]:
    """``"@Bot Hỏi Đáp /help"`` → ``("/help", True)``. Known names first (getMe, configuration); an
    unknown one: "@" and the capitalised words of a name, keeping a command or a last word."""
    text = unicodedata.normalize("NFC", text).strip()
    for name in sorted({n for n in names if n}, key=len, reverse=True):
        pattern = re.compile(r"@\s*" + re.escape(unicodedata.normalize("NFC", name)) + r"\b", re.IGNORECASE)
        if pattern.search(text):
            return " ".join(pattern.sub(" ", text).split()), True
    if not text.startswith("@"):
        return text, False
    words = text[1:].split()
    command = next((i for i, w in enumerate(words) if w.startswith("/")), None)
    if command is not None:
        return " ".join(words[command:]), True
    keep = 1
    while keep < len(words) and words[keep][:1].isupper():
        keep += 1
    rest = words[keep:] or words[-1:] if len(words) > 1 else []
    return " ".join(rest), True


def unwrap(body: object) -> object:
    """A webhook body: the update itself, or (as some documentation shows it) wrapped in ``result``."""
    if isinstance(body, dict) and "event_name" not in body and isinstance(body.get("result"), dict):
        return body["result"]
    return body


def update_keys(update: dict) -> tuple[str | None, str | None]:
    """(the message's id, its sender) of an update, for the durable intake."""
    message = update.get("message") if isinstance(update.get("message"), dict) else {}
    sender = message.get("from") if isinstance(message.get("from"), dict) else {}
    chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
    message_id = message.get("message_id")
    who = sender.get("id") or chat.get("id")
    return (str(message_id) if message_id else None), (f"{CHANNEL}:{who}" if who else None)


class ZaloChannel:
    def __init__(
        self, settings: Settings, assistant, client: ZaloClient | None = None, scheduler=None, intake=None
    ) -> None:
        if settings.zalo_token is None:
            raise ConfigError("Chưa cấu hình HOIDAP_ZALO_TOKEN.")
        secret = settings.zalo_webhook_secret.get_secret_value() if settings.zalo_webhook_secret else None
        add_secrets(settings.zalo_token.get_secret_value(), secret)
        self.settings = settings
        self.conv = assistant.conversation()
        self.client = client or ZaloClient(settings.zalo_token.get_secret_value(), settings.zalo_base_url)
        self.scheduler = scheduler
        self.typing_after = 0.5  # seconds an answer may take before "typing…" is shown
        self.names: list[str] = [settings.zalo_bot_name] if settings.zalo_bot_name else []
        self.can_join_groups: bool | None = None
        self._poller: asyncio.Task | None = None
        self.webhook: Webhook | None = None
        self.intake = intake if settings.zalo_mode == "webhook" else None
        if settings.zalo_mode == "webhook":  # served by a route of the web app
            self.webhook = webhook(
                settings.zalo_webhook_url,
                settings.zalo_webhook_secret,
                SECRET_HEADER,
                self._store if self.intake is not None else self._accept,
                "Chế độ webhook của Zalo cần HOIDAP_ZALO_WEBHOOK_URL và HOIDAP_ZALO_WEBHOOK_SECRET.",
                CHANNEL,
            )
            if self.intake is not None:
                self.intake.register(CHANNEL, update_keys, lambda update: self.handle(update, dedupe=False))
        self._seen = Seen(assistant.shared, SEEN_TTL, SEEN_MAX)
        # With the intake, one member's order across processes is kept by the database.
        self._locks = KeyedLocks(None if self.intake is not None else assistant.shared)
        self._tasks: set[asyncio.Task] = set()

    # --- lifecycle --------------------------------------------------------------------------------
    async def start(self) -> None:
        try:
            me = await self.client.get_me()
        except ZaloApiError as e:
            if e.unauthorized:
                raise ConfigError("Zalo từ chối token (HOIDAP_ZALO_TOKEN): lỗi 401. Kiểm tra lại token.") from None
            raise ConfigError(f"Không kết nối được Zalo Bot API tại {self.settings.zalo_base_url}: {e}") from None
        self.names += [str(me[k]) for k in ("display_name", "name", "account_name") if me.get(k)]
        self.can_join_groups = me.get("can_join_groups")
        log.info("zalo: connected as %s", me.get("account_name") or me.get("id"))
        if self.can_join_groups is False:
            log.warning("zalo: getMe says can_join_groups=false: this bot cannot be added to groups")
        self.conv.register_channel(CHANNEL, polls=False)
        if self.settings.zalo_mode == "webhook":
            await self._start_webhook()
        else:
            await self._prepare_polling()
            self._poller = asyncio.create_task(self._poll(), name="zalo-poll")
        if self.scheduler is not None:
            self.scheduler.register(CHANNEL, self.send_claim)

    async def _prepare_polling(self) -> None:
        """getUpdates does not work while a webhook is set; removing it is only done when asked, since
        the webhook may be production's."""
        if self.settings.zalo_delete_webhook:
            await self.client.delete_webhook()
            log.warning("zalo: webhook removed (HOIDAP_ZALO_DELETE_WEBHOOK=true)")
            return
        url = (await self.client.get_webhook_info()).get("url")
        if url:
            raise ConfigError(
                f"Bot Zalo đang có webhook ({url}) nên chế độ polling không nhận được tin. Dùng "
                "HOIDAP_ZALO_MODE=webhook, hoặc đặt HOIDAP_ZALO_DELETE_WEBHOOK=true để gỡ webhook "
                "(chỉ khi chắc chắn đó không phải bot đang phục vụ thật)."
            )

    async def _start_webhook(self) -> None:
        url = self.settings.zalo_webhook_url
        result = await self.client.set_webhook(url, self.webhook.secret)
        if result.get("url") not in (None, url):
            log.error("zalo: setWebhook registered %r, not %r", result.get("url"), url)
        verification = result.get("verification")
        if isinstance(verification, dict) and not verification.get("ok", True):
            log.error(
                "zalo: Zalo could not verify the webhook URL %s: %s (%s)",
                url,
                verification.get("outcome"),
                verification.get("hint"),
            )
        log.info("zalo: webhook registered (its path is not logged: it is part of the secret)")

    async def stop(self) -> None:
        """Stop receiving and sending (safe to call twice)."""
        if self._poller:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
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
                if e.unauthorized:
                    log.error("zalo: the token was rejected (401); polling stopped. Check HOIDAP_ZALO_TOKEN.")
                    return
                log.warning("zalo: getUpdates failed (%s); retrying in %.0fs", e, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            for update in updates:
                self._spawn(update)

    def _accept(self, body: object) -> None:
        body = unwrap(body)
        if isinstance(body, dict):
            self._spawn(body)

    async def _store(self, body: object) -> None:
        """Webhook mode: the update is stored durably before the 200 (bot.channels.intake); the
        intake's unique key answers a message Zalo delivers twice once."""
        body = unwrap(body)
        if isinstance(body, dict):
            await self.intake.accept(CHANNEL, body)

    def _spawn(self, update: dict) -> None:
        self._background(self.handle(update))

    def _background(self, coroutine) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)  # keep a reference until it ends (stop() waits for them)
        task.add_done_callback(self._tasks.discard)

    async def _first_time(self, message_id: object) -> bool:
        """False for a message already handled, by this process or another (Zalo may deliver one
        message twice)."""
        if not isinstance(message_id, str) or not message_id:
            return True
        return await self._seen.first_time(f"zalo-message:{message_id}")

    # --- updates in ----------------------------------------------------------------------------------
    async def handle(self, update: dict, dedupe: bool = True) -> None:
        """Process one update; never raises (one member's odd message must not stop the others).
        ``dedupe``: skip a message already handled (the intake does that itself, and a message it
        hands over again after a crash must be handled again)."""
        arrival = observe.mark_arrival()  # polling: now; webhook: when the intake accepted it
        try:
            message = update.get("message") if isinstance(update, dict) else None
            if not isinstance(message, dict) or (dedupe and not await self._first_time(message.get("message_id"))):
                return
            sender = message.get("from") if isinstance(message.get("from"), dict) else {}
            chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
            async with self._locks.hold(str(sender.get("id") or chat.get("id") or "")):
                await self._dispatch(update.get("event_name"), message, sender, chat)
        except Exception:
            log.exception("zalo: error while handling an update")
        finally:
            if arrival is not None:
                observe.ARRIVED.reset(arrival)

    async def _dispatch(self, event, message: dict, sender: dict, chat: dict) -> None:
        chat_id = str(chat.get("id") or "")
        if not chat_id:
            return
        user_id = str(sender.get("id") or chat_id)
        group = str(chat.get("chat_type", "PRIVATE")).upper() == "GROUP"
        name = str(sender.get("display_name") or sender.get("name") or user_id)
        actor = Actor(CHANNEL, user_id, chat_id, GROUP if group else PRIVATE, name)
        text = message.get("text") if event == TEXT_EVENT else message.get("caption") if event == IMAGE_EVENT else None
        photo = message.get("photo") or message.get("photo_url")
        # A photo without a caption, from an admin in private, is a page to add; a caption is a question.
        page = event == IMAGE_EVENT and not text and isinstance(photo, str)
        if page and await asyncio.to_thread(self.conv.takes_photos, actor):
            await self._on_photo(actor, photo, str(message.get("message_id") or "anh"))
            return
        if not isinstance(text, str) or not text.strip():
            await self.send_turn(actor, await asyncio.to_thread(self.conv.other, actor, str(event)))
            return
        mentioned = False
        if group:
            text, mentioned = strip_mention(text, self.names)
        incoming = Incoming(
            text=text,
            addressed=True,  # Zalo delivers group messages only when they mention or reply to the bot
            mentioned=mentioned or not group,
            reply_to_bot=group and not mentioned,
        )
        done = asyncio.Event()
        if self.conv.will_answer(actor, incoming):
            self._background(
                show_typing(lambda: self.client.send_chat_action(chat_id, "typing"), self.typing_after, done)
            )
        try:
            turn = await asyncio.to_thread(self.conv.text, actor, incoming)
        finally:
            done.set()
        await self.send_turn(actor, turn)

    async def _on_photo(self, actor: Actor, url: str, message_id: str) -> None:
        """A photo of a page sent by an admin (no caption): downloaded within the upload limit, read by OCR."""
        name = f"anh-chup-{re.sub(r'[^A-Za-z0-9]', '', message_id)[:24] or 'zalo'}.jpg"
        turn = await asyncio.to_thread(self.conv.check_upload, actor, name, None)
        if turn is None:
            limit = self.settings.max_upload_bytes
            try:
                data = await self.client.download(url, limit)
            except ZaloApiError as e:
                log.warning("zalo: photo from %s not downloaded: %s", actor.chat_id, e)
                data = None
            if data is None or len(data) > limit:
                turn = Turn(
                    [Text(text=f"Không nhận được ảnh “{name}” (ảnh quá lớn hoặc không tải được); hãy gửi lại.")]
                )
            else:
                turn = await asyncio.to_thread(self.conv.upload, actor, name, data)
        await self.send_turn(actor, turn)

    # --- replies out -------------------------------------------------------------------------------------
    async def send_text(self, chat_id: str, text: str) -> dict:
        result: dict = {}
        for piece in split_text(text, MESSAGE_LIMIT):
            result = await send_retrying(
                lambda p=piece: self.client.send_message(chat_id, p), zalo_wait, "zalo sendMessage"
            )
        return result

    async def send_turn(self, actor: Actor, turn: Turn) -> bool:
        numbering = plain.Numbering()
        ok = True
        for reply in turn.replies:
            try:
                if reply.to is not None and reply.to != actor.chat_id:
                    await self._send_elsewhere(actor, reply)
                else:
                    await self._send_reply(actor.chat_id, reply, numbering)
            except ZaloApiError as e:
                ok = False
                log.warning("zalo: a reply to %s was not delivered: %s", actor.chat_id, e)
        if numbering.actions:
            self.conv.remember_choices(actor, numbering.actions)
        turn.done(ok and bool(turn.replies))
        return ok

    async def _send_elsewhere(self, actor: Actor, reply: Reply) -> None:
        try:
            await self._send_reply(reply.to, reply, plain.Numbering())
        except ZaloApiError:
            if reply.fallback is None:
                raise
            await self._send_reply(actor.chat_id, reply.fallback, plain.Numbering())
            return
        if reply.receipt is not None:
            await self._send_reply(actor.chat_id, reply.receipt, plain.Numbering())

    async def _send_reply(self, chat_id: str, reply: Reply, numbering: plain.Numbering) -> None:
        if isinstance(reply, Work):
            await self.send_text(chat_id, f"⏳ {reply.title}…")
            for result in await asyncio.to_thread(reply.run, Progress()):
                await self._send_reply(chat_id, result, numbering)
            return
        text = plain.render(reply, numbering)
        if not text:
            return
        sent = await self.send_text(chat_id, text)
        if isinstance(reply, QuizPoll):
            await asyncio.to_thread(self.conv.quiz_sent, reply.delivery_id, None, sent.get("message_id"))

    async def send_claim(self, claim, poll: QuizPoll) -> None:
        try:
            await self.send_text(claim.chat_id, plain.quiz_text(poll.question))
        except ZaloApiError as e:
            await asyncio.to_thread(self.conv.quiz_failed, claim.delivery_id, e.transient)
            raise
        await asyncio.to_thread(self.conv.quiz_sent, poll.delivery_id, None, None)
