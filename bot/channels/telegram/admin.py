"""Telegram admin flow: send a document to add it, /docs, /reindex, /rollback, /unanswered.

An admin sends a .txt/.md/.docx/.pdf file in a private chat; the bot parses it
and shows a preview with "Cập nhật chỉ mục" / "Hủy". On confirmation it
rebuilds in the background (progress shown by editing one message), switches
atomically, and answers with a summary. The members keep being answered from
the old version during the build. Non-admins get a polite refusal.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import secrets
import time
from dataclasses import dataclass
from html import escape
from pathlib import Path

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.documents.readers import SUPPORTED_SUFFIXES
from bot.errors import HoidapError
from bot.progress import CallbackProgress
from bot.storage import repository

log = logging.getLogger(__name__)
CHANNEL = "telegram"
NOT_ADMIN = "Xin lỗi, chỉ quản trị viên mới được cập nhật tài liệu và chỉ mục của trợ lý."
UPLOAD_TTL = 3600  # seconds an unconfirmed upload is kept
PROGRESS_EVERY = 1.5  # seconds between progress edits


@dataclass
class Upload:
    path: Path
    name: str
    user_id: int
    created: float


def _core(context):
    return context.bot_data["core"]


def _is_admin(update: Update, context) -> bool:
    user = update.effective_user
    return user is not None and user.id in context.bot_data["settings"].admin_ids


def _uploads(context) -> dict[str, Upload]:
    uploads = context.bot_data.setdefault("uploads", {})
    now = time.time()
    for token in [t for t, u in uploads.items() if now - u.created > UPLOAD_TTL]:
        uploads.pop(token).path.unlink(missing_ok=True)
    return uploads


async def _with_progress(message: Message, title: str, work):
    """Run ``work(progress)`` in a worker thread, editing one status message as it goes."""
    status = await message.reply_text(f"⏳ {title}…")
    state = {"text": f"⏳ {title}…"}

    def on_progress(stage: str, done: int, total: int) -> None:
        state["text"] = f"⏳ {title}\n{stage}: {done}/{total}"

    task = asyncio.ensure_future(asyncio.to_thread(work, CallbackProgress(on_progress)))
    shown = state["text"]
    while not task.done():
        await asyncio.wait({task}, timeout=PROGRESS_EVERY)
        if state["text"] != shown and not task.done():
            shown = state["text"]
            with contextlib.suppress(BadRequest):  # progress is best effort (text unchanged, message gone)
                await status.edit_text(shown)
    try:
        return task.result(), status
    except HoidapError as e:
        await status.edit_text(f"❌ {e}")
        raise _Reported from e


class _Reported(Exception):
    """A failure already shown to the admin in the status message."""


def _summary_text(result) -> str:
    docs = "\n".join(
        f"• {escape((d['meta'].get('doc_type') or 'Văn bản') + ' ' + (d['meta'].get('number') or d['file']))}: "
        + (
            f"{d['counts']['questions']} câu hỏi, {d['counts']['items']} mục"
            if d["counts"]["questions"]
            else f"{d['counts']['sections']} đoạn"
        )
        for d in result.documents
    )
    notices = "".join(f"\n⚠️ {escape(n)}" for n in result.notices)
    return (
        f"✅ Đã cập nhật chỉ mục <b>{escape(result.version)}</b> ({result.seconds:.1f} giây): "
        f"{len(result.documents)} văn bản, {result.groups} câu trả lời; nhúng mới {result.embedded} đơn vị, "
        f"dùng lại {result.cached}.\n{docs}{notices}"
    )


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An admin sends a document in a private chat: parse it and show a preview to confirm."""
    message = update.effective_message
    if message.chat.type != ChatType.PRIVATE:
        return
    if not _is_admin(update, context):
        await message.reply_text(NOT_ADMIN)
        return
    doc = message.document
    settings = context.bot_data["settings"]
    name = doc.file_name or "tai-lieu"
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        await message.reply_text(
            f"Không nhận được tệp “{name}”: định dạng {suffix or '(không có đuôi)'} không được hỗ trợ. "
            "Hãy gửi tệp .txt, .md, .docx hoặc .pdf."
        )
        return
    if doc.file_size and doc.file_size > settings.max_upload_bytes:
        await message.reply_text(
            f"Tệp “{name}” quá lớn ({doc.file_size / 1048576:.1f} MB); giới hạn là {settings.max_upload_mb:g} MB."
        )
        return
    telegram_file = await context.bot.get_file(doc.file_id)
    data = bytes(await telegram_file.download_as_bytearray())
    token = secrets.token_urlsafe(9)
    folder = settings.data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    staged = folder / f"{token}{suffix}"  # our name, never the user's
    staged.write_bytes(data)
    try:
        summary = await asyncio.to_thread(_core(context).knowledge.preview, staged, name)
    except HoidapError as e:
        staged.unlink(missing_ok=True)
        await message.reply_text(f"Không thể thêm tài liệu — {e}")
        return
    _uploads(context)[token] = Upload(staged, name, update.effective_user.id, time.time())
    lines = [
        f"📄 <b>{escape(summary.title)}</b>",
        f"Số hiệu: {escape(summary.number or '(không có)')}",
        f"Tìm thấy: {summary.questions} câu hỏi, {summary.items} mục"
        if summary.questions
        else f"Tìm thấy: {summary.sections} đoạn (văn bản không theo dạng hỏi–đáp)",
    ]
    lines += [f"• {escape(q[:150])}" for q in summary.first_questions]
    if summary.replaces:
        lines.append(f"⚠️ Sẽ <b>thay thế</b> văn bản cùng số hiệu đang có ({escape(summary.replaces)}).")
    lines += [f"⚠️ {escape(w)}" for w in summary.warnings]
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("✅ Cập nhật chỉ mục", callback_data=f"u|ok|{token}"),
                InlineKeyboardButton("✖️ Hủy", callback_data=f"u|no|{token}"),
            ]
        ]
    )
    await message.reply_html("\n".join(lines), reply_markup=keyboard)


async def on_upload_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """ "Cập nhật chỉ mục" or "Hủy" under an upload preview."""
    query = update.callback_query
    _, action, token = (query.data or "").split("|", 2)
    if not _is_admin(update, context):
        await query.answer(NOT_ADMIN, show_alert=True)
        return
    upload = _uploads(context).pop(token, None)
    if upload is None or upload.user_id != update.effective_user.id:
        await query.answer("Yêu cầu này đã được xử lý hoặc đã hết hạn.", show_alert=True)
        return
    if action != "ok":
        upload.path.unlink(missing_ok=True)
        await query.answer("Đã hủy.")
        await query.edit_message_reply_markup(None)
        await query.message.reply_text("Đã hủy, không có gì thay đổi.")
        return
    await query.answer("Đang cập nhật chỉ mục…")
    await query.edit_message_reply_markup(None)
    core = _core(context)
    try:
        (summaries, result), status = await _with_progress(
            query.message,
            "Đang cập nhật chỉ mục",
            lambda progress: core.add_documents([(upload.path, upload.name)], replace=True, progress=progress),
        )
    except _Reported:
        return
    finally:
        upload.path.unlink(missing_ok=True)
    added = ", ".join(escape(s.name) for s in summaries)
    await status.edit_text(f"Đã thêm {added}.\n" + _summary_text(result), parse_mode="HTML")


async def docs_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Admins: the documents the bot answers from and the active index version."""
    if not _is_admin(update, context):
        await update.effective_message.reply_text(NOT_ADMIN)
        return
    core = _core(context)
    docs = await asyncio.to_thread(core.documents)
    versions = await asyncio.to_thread(core.store.versions)
    active = next((v for v in versions if v.active), None)
    lines = ["📚 <b>Văn bản trong chỉ mục</b>"]
    lines += [f"• <code>{escape(d.doc_id)}</code> — {escape(d.name)} ({d.questions} câu hỏi)" for d in docs]
    if active:
        lines.append(
            f"\nChỉ mục: <b>{escape(active.name)}</b> (xây dựng {escape(active.built_at)}), "
            f"{len(versions)} phiên bản lưu để quay lại (/rollback)."
        )
    await update.effective_message.reply_html("\n".join(lines))


async def reindex_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Admins: rebuild the index from the knowledge folder (same as `hoidap build`)."""
    if not _is_admin(update, context):
        await update.effective_message.reply_text(NOT_ADMIN)
        return
    core = _core(context)
    try:
        result, status = await _with_progress(
            update.effective_message, "Đang xây dựng lại chỉ mục", lambda progress: core.build(progress=progress)
        )
    except _Reported:
        return
    await status.edit_text(_summary_text(result), parse_mode="HTML")


async def rollback_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Admins: switch back to the previous index version (or /rollback <version>)."""
    if not _is_admin(update, context):
        await update.effective_message.reply_text(NOT_ADMIN)
        return
    version = context.args[0] if context.args else None
    try:
        name = await asyncio.to_thread(_core(context).rollback, version)
    except HoidapError as e:
        await update.effective_message.reply_text(f"Không quay lại được: {e}")
        return
    await update.effective_message.reply_text(f"Đã chuyển chỉ mục về phiên bản {name}.")


async def unanswered_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Admins: the most frequent questions without an official answer (/unanswered [số ngày])."""
    if not _is_admin(update, context):
        await update.effective_message.reply_text(NOT_ADMIN)
        return
    days = int(context.args[0]) if context.args and context.args[0].isdigit() else 30
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    rows = await asyncio.to_thread(repository.unanswered, _core(context).db, since, 15)
    if not rows:
        await update.effective_message.reply_text(f"Trong {days} ngày qua chưa có câu hỏi nào thiếu câu trả lời.")
        return
    lines = [f"❓ <b>Câu hỏi chưa có câu trả lời chính thức ({days} ngày)</b>"]
    lines += [f"{r.count}× {escape(r.question[:200])}" for r in rows]
    lines.append("\nGợi ý: bổ sung tài liệu hỏi–đáp cho các nội dung này.")
    await update.effective_message.reply_html("\n".join(lines))
