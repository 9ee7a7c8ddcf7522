"""Telegram update handlers: parse the update, make one core call, format the reply.

Every handler is ``async def x(update, context) -> None``; all are registered in
:func:`bot.channels.telegram.app.build_app`. The core lives in
``context.bot_data["core"]`` (a :class:`bot.service.Assistant`); slow work runs
in a worker thread so one question never blocks the others.
"""

from __future__ import annotations

import asyncio
import logging
import re

from telegram import Message, MessageEntity, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.channels.ratelimit import SLOW_DOWN
from bot.channels.telegram import render
from bot.errors import HoidapError

log = logging.getLogger(__name__)
CHANNEL = "telegram"

NOT_TEXT = "Tôi chỉ đọc được câu hỏi bằng chữ. Bạn hãy gõ câu hỏi, ví dụ: “Người đứng đầu phải thế nào?”"
HOI_USAGE = "Cách dùng: <code>/hoi câu hỏi của bạn</code> — ví dụ: <code>/hoi tham mưu lòng vòng là gì</code>"
TOO_LONG = "Câu hỏi dài quá. Bạn hãy hỏi ngắn gọn (dưới 1000 ký tự) về một nội dung cụ thể."
ERROR = "Xin lỗi, đã có lỗi khi xử lý yêu cầu. Bạn vui lòng thử lại sau ít phút."
MAX_QUESTION = 1000


def _core(context: ContextTypes.DEFAULT_TYPE):
    return context.bot_data["core"]


async def _send_answer(message: Message, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    """Answer ``text`` (a member's question) in reply to ``message``."""
    user = message.from_user
    uid = str(user.id) if user else str(message.chat.id)
    limiter = context.bot_data["limiter"]
    if not limiter.allow(uid):
        if limiter.should_warn(uid):
            await message.reply_text(SLOW_DOWN)
        return
    if len(text) > MAX_QUESTION:
        await message.reply_text(TOO_LONG)
        return
    reply = await asyncio.to_thread(_core(context).handle_question, CHANNEL, str(message.chat.id), uid, text)
    await _deliver(message, reply.answer, reply.question_id)


async def _deliver(message: Message, answer, question_id: int | None) -> None:
    pieces = render.answer_html(answer)
    keyboard = render.answer_keyboard(answer, question_id)
    for i, piece in enumerate(pieces):
        last = i == len(pieces) - 1
        await message.reply_html(piece, reply_markup=keyboard if last else None, disable_web_page_preview=True)


def _addressed_text(message: Message, bot_username: str, bot_id: int) -> str | None:
    """In a group: the question if the bot is mentioned or replied to, else None (stay silent)."""
    text = message.text or ""
    mentioned = False
    for entity, value in message.parse_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION]).items():
        if (entity.type == MessageEntity.MENTION and value.lower() == f"@{bot_username}".lower()) or (
            entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot_id
        ):
            mentioned = True
    replied = (
        message.reply_to_message is not None
        and message.reply_to_message.from_user is not None
        and (message.reply_to_message.from_user.id == bot_id)
    )
    if not (mentioned or replied):
        return None
    return re.sub(rf"@{re.escape(bot_username)}\b", " ", text, flags=re.IGNORECASE).strip()


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet and explain how to ask."""
    docs = await asyncio.to_thread(_core(context).documents)
    await update.effective_message.reply_html(render.help_html(docs), disable_web_page_preview=True)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the loaded documents and how to ask."""
    docs = await asyncio.to_thread(_core(context).documents)
    await update.effective_message.reply_html(render.help_html(docs), disable_web_page_preview=True)


async def hoi(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer ``/hoi <câu hỏi>`` in any chat."""
    text = " ".join(context.args or []).strip()
    if not text:
        await update.effective_message.reply_html(HOI_USAGE)
        return
    await _send_answer(update.effective_message, context, text)


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A text message: a question in private chats; in groups only when addressed to the bot."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    if message.chat.type == ChatType.PRIVATE:
        await _send_answer(message, context, message.text)
        return
    text = _addressed_text(message, context.bot.username, context.bot.id)
    if text is None:
        return
    if not text:
        await message.reply_html(HOI_USAGE)
        return
    await _send_answer(message, context, text)


async def on_not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice…: a short hint in private chats, silence in groups."""
    message = update.effective_message
    if message is not None and message.chat.type == ChatType.PRIVATE:
        await message.reply_text(NOT_TEXT)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Inline buttons: show an official answer, or record 👍/👎 feedback."""
    query = update.callback_query
    kind, _, rest = (query.data or "").partition("|")
    if kind == "a":
        doc_id, _, number = rest.partition("|")
        answer = await asyncio.to_thread(
            _core(context).official_answer, doc_id, int(number) if number.isdigit() else -1
        )
        if answer is None:
            await query.answer("Câu hỏi này không còn trong chỉ mục hiện tại.", show_alert=True)
            return
        await query.answer()
        if query.message is not None:
            await _deliver(query.message, answer, None)
        return
    if kind == "f":
        qid, _, value = rest.partition("|")
        user = str(query.from_user.id)
        ok = qid.isdigit() and await asyncio.to_thread(
            _core(context).feedback, int(qid), CHANNEL, user, 1 if value == "1" else -1
        )
        await query.answer("Cảm ơn bạn đã góp ý!" if ok else "Không tìm thấy câu trả lời này.")
        return
    await query.answer()


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log anything unexpected with its traceback; tell the member briefly if possible."""
    err = context.error
    if isinstance(err, HoidapError) and isinstance(update, Update) and update.effective_message:
        log.warning("domain error: %s", err)
        await update.effective_message.reply_text(str(err))
        return
    log.error("error while handling update %s", getattr(update, "update_id", update), exc_info=err)
    if isinstance(update, Update) and update.effective_message and not isinstance(err, TelegramError):
        try:
            await update.effective_message.reply_text(ERROR)
        except TelegramError:
            log.exception("could not send the error notice")
