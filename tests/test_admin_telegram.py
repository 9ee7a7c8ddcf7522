"""Admins update the knowledge from Telegram: send a file, preview, confirm, rebuild with progress; members are refused."""

import asyncio
import contextlib
import io
import zipfile

import docx
import pytest

from bot.channels.telegram import app as tg
from bot.service import Assistant
from tests.conftest import DATA, bot_settings

ADMIN, MEMBER = 800001, 800002
KH77 = (DATA / "docs" / "ke-hoach-77-kiem-thu.md").read_text(encoding="utf-8")
QD99 = (DATA / "docs" / "quy-dinh-99-kiem-thu.txt").read_bytes()


def as_docx(markdown: str) -> bytes:
    document = docx.Document()
    for line in markdown.splitlines():
        if line.startswith("#"):
            document.add_heading(line.lstrip("# "), level=line.count("#"))
        elif line.strip():
            document.add_paragraph(line)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


@contextlib.asynccontextmanager
async def running_admin_bot(fake, settings, embedder, max_upload_mb: float):
    """The bot on the fake Bot API, with an index of the seed and ADMIN as its admin."""
    config = bot_settings(settings, fake, admin_ids=[ADMIN], max_upload_mb=max_upload_mb)
    core = Assistant(config, embedder=embedder)
    await asyncio.to_thread(core.library.build)
    channel = tg.build_app(config, core)
    await channel.start()
    try:
        yield core
    finally:
        fake.release_polls()
        await channel.stop()
        core.close()


@pytest.fixture
async def admin_bot(fake, settings, embedder):
    async with running_admin_bot(fake, settings, embedder, max_upload_mb=1) as core:
        yield core


async def send_file(fake, user, name, data, mime="application/octet-stream"):
    chat = fake.private_chat(user)
    before = len(fake.calls)
    await fake.deliver(fake.document_update(chat, user, name, data, mime))
    return await fake.wait_for("sendMessage", lambda c: int(c.params["chat_id"]) == user["id"], after=before)


async def ask(fake, user, text):
    chat = fake.private_chat(user)
    before = len(fake.calls)
    await fake.send(chat, user, text)
    return await fake.wait_for("sendMessage", lambda c: int(c.params["chat_id"]) == user["id"], after=before)


async def confirm(fake, user, preview, label):
    button = next(b for row in preview.params["reply_markup"]["inline_keyboard"] for b in row if label in b["text"])
    before = len(fake.calls)
    await fake.press(preview.result, user, button["callback_data"])
    return before


async def test_admin_adds_a_document_from_chat_and_members_get_answers_from_it(fake, admin_bot):
    admin, member = fake.user(ADMIN, "Quản trị"), fake.user(MEMBER, "Thành viên")
    versions = len(admin_bot.store.versions())

    preview = await send_file(fake, admin, "kế hoạch 77 (bản cuối).docx", as_docx(KH77))
    text = preview.params["text"]
    assert "KẾ HOẠCH số 77-KH/TU" in text and "Số hiệu: 77-KH/TU" in text and "4 đoạn" in text
    labels = [b["text"] for row in preview.params["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["✅ Cập nhật chỉ mục", "✖️ Hủy"]

    before = await confirm(fake, admin, preview, "Cập nhật")
    await fake.wait_for("answerCallbackQuery", after=before)
    done = await fake.wait_for(
        "editMessageText", lambda c: "Đã cập nhật chỉ mục" in c.params["text"], after=before, timeout=120
    )
    assert "Kế hoạch 77-KH/TU: 4 đoạn" in done.params["text"]
    assert len(admin_bot.store.versions()) == versions + 1
    assert sorted(p.name for p in admin_bot.library.knowledge.files()) == [
        "77-kh-tu.docx",
        "chi-thi-46-CT-TU-hoi-dap.txt",
    ]

    reply = await ask(fake, member, "Khi có cảnh báo bão, các cấp ủy phải làm gì?")
    assert "trực ban 24/24 giờ" in reply.params["text"] and "Kế hoạch số 77-KH/TU" in reply.params["text"]
    docs = await ask(fake, admin, "/docs")
    assert "77-kh-tu" in docs.params["text"] and "46-ct-tu" in docs.params["text"]
    helped = await ask(fake, member, "/help")
    assert "Kế hoạch số 77-KH/TU" in helped.params["text"]

    # Roll back from chat: first what members lose, with two buttons; nothing changes until confirmed.
    asked = await ask(fake, admin, "/rollback")
    text = asked.params["text"]
    assert "Quay về phiên bản" in text and "Thành viên sẽ không còn được trả lời từ" in text
    assert "Kế hoạch 77-KH/TU: 4 câu trả lời" in text
    labels = [b["text"] for row in asked.params["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["✅ Xác nhận quay về", "Hủy"]
    reply = await ask(fake, member, "Khi có cảnh báo bão, các cấp ủy phải làm gì?")
    assert "Kế hoạch số 77-KH/TU" in reply.params["text"]
    # A member's tap is refused (an alert), and the admin's confirmation still stands.
    before = await confirm(fake, member, asked, "Xác nhận")
    refused = await fake.wait_for("answerCallbackQuery", after=before)
    assert "chỉ quản trị viên" in refused.params["text"] and refused.params["show_alert"]
    before = await confirm(fake, admin, asked, "Xác nhận")
    back = await fake.wait_for("sendMessage", lambda c: int(c.params["chat_id"]) == ADMIN, after=before)
    assert "Đã chuyển chỉ mục về phiên bản" in back.params["text"]
    await fake.wait_for("editMessageReplyMarkup", after=before)  # the buttons are gone once used
    reply = await ask(fake, member, "Khi có cảnh báo bão, các cấp ủy phải làm gì?")
    assert "Kế hoạch số 77-KH/TU" not in reply.params["text"]

    # /reindex rebuilds from the knowledge folder, with a progress message; the rollback stuck: the
    # rolled-back document stays out (it went back to the folder's history with the rollback).
    before = len(fake.calls)
    await fake.send(fake.private_chat(admin), admin, "/reindex")
    await fake.wait_for(
        "editMessageText", lambda c: "Đã cập nhật chỉ mục" in c.params["text"], after=before, timeout=120
    )
    reply = await ask(fake, member, "Khi có cảnh báo bão, các cấp ủy phải làm gì?")
    assert "Kế hoạch số 77-KH/TU" not in reply.params["text"]
    assert [p.name for p in admin_bot.library.knowledge.files()] == ["chi-thi-46-CT-TU-hoi-dap.txt"]


async def test_a_corrected_version_sent_in_chat_replaces_the_old_one(fake, admin_bot, tmp_path):
    from tests.corpus import txt_corrected, txt_hard_wrapped

    admin, member = fake.user(ADMIN, "Quản trị"), fake.user(MEMBER, "Thành viên")
    question = "Vụ việc phức tạp thì thời hạn giải quyết đơn thư được kéo dài tối đa bao nhiêu ngày?"
    for sample, expected in ((txt_hard_wrapped(tmp_path), "45 ngày"), (txt_corrected(tmp_path), "60 ngày")):
        preview = await send_file(fake, admin, sample.path.name, sample.path.read_bytes())
        if expected == "60 ngày":
            assert "thay thế" in preview.params["text"] and "31-qd-tu.txt" in preview.params["text"]
        before = await confirm(fake, admin, preview, "Cập nhật")
        await fake.wait_for(
            "editMessageText", lambda c: "Đã cập nhật chỉ mục" in c.params["text"], after=before, timeout=120
        )
        reply = await ask(fake, member, question)
        assert expected in reply.params["text"]
    helped = await ask(fake, member, "/help")
    assert helped.params["text"].count("Quy định số 31-QĐ/TU — ") == 1  # listed once, not once per version


async def test_cancel_and_a_second_document_with_questions(fake, admin_bot):
    admin = fake.user(ADMIN, "Quản trị")
    preview = await send_file(fake, admin, "qd99.txt", QD99)
    assert "4 câu hỏi, 4 mục" in preview.params["text"]
    assert "Câu hỏi 1: Quy định số 99-QĐ/TU áp dụng" in preview.params["text"]
    before = await confirm(fake, admin, preview, "Hủy")
    cancelled = await fake.wait_for("sendMessage", lambda c: "Đã hủy" in c.params["text"], after=before)
    assert cancelled and [p.name for p in admin_bot.library.knowledge.files()] == ["chi-thi-46-CT-TU-hoi-dap.txt"]
    assert not any((admin_bot.settings.data_dir / "uploads").iterdir())  # the staged upload is gone
    # The pending upload lived in the database (any process could take the tap) and is gone too.
    from bot.storage.db import Database
    from bot.storage.models import Upload

    with Database(admin_bot.settings.database_url).session() as s:
        assert s.query(Upload).count() == 0
    before = await confirm(fake, admin, preview, "Cập nhật")  # a second tap on the old preview
    late = await fake.wait_for("answerCallbackQuery", after=before)
    assert "hết hạn" in late.params.get("text", "")


def zip_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b"\0" * (30 * 1024 * 1024))
    return buf.getvalue()


def blank_pdf() -> bytes:
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(width=200, height=200)
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("virus.exe", b"MZ...", "không được hỗ trợ"),
        ("to.txt", b"x" * (1024 * 1024 + 10), "quá lớn"),
        ("rong.txt", b"   \n", "tệp rỗng"),
        ("gia.docx", b"this is not a zip", "không hợp lệ"),
        ("bom.docx", zip_bomb(), "zip bomb"),
        ("scan.pdf", blank_pdf(), "PDF không có chữ"),  # nothing even OCR can read
        ("loi.txt", "Tiêu đề\nCâu hỏi 1: A?\nCâu hỏi 2: B?\nTrả lời: x\n".encode(), "loi.txt, dòng 2"),
        (
            "../../etc/passwd.txt",
            (DATA.parent.parent / "knowledge" / "chi-thi-46-CT-TU-hoi-dap.txt").read_bytes(),
            "trùng nội dung",
        ),
    ],
)
async def test_bad_files_get_a_clear_message_and_change_nothing(fake, admin_bot, name, data, message):
    admin = fake.user(ADMIN, "Quản trị")
    files = sorted(p.name for p in admin_bot.library.knowledge.files())
    versions = [v.name for v in admin_bot.store.versions()]
    reply = await send_file(fake, admin, name, data)
    assert message in reply.params["text"]
    assert "reply_markup" not in reply.params
    assert sorted(p.name for p in admin_bot.library.knowledge.files()) == files
    assert [v.name for v in admin_bot.store.versions()] == versions
    uploads = admin_bot.settings.data_dir / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir())


async def test_members_are_refused_politely(fake, admin_bot):
    member = fake.user(MEMBER, "Thành viên")
    reply = await send_file(fake, member, "qd99.txt", QD99)
    assert "chỉ quản trị viên" in reply.params["text"]
    for command in ("/reindex", "/rollback", "/docs", "/unanswered"):
        refused = await ask(fake, member, command)
        assert "chỉ quản trị viên" in refused.params["text"], command
    assert [p.name for p in admin_bot.library.knowledge.files()] == ["chi-thi-46-CT-TU-hoi-dap.txt"]


async def test_unanswered_report_in_chat(fake, admin_bot):
    admin, member = fake.user(ADMIN, "Quản trị"), fake.user(MEMBER + 7, "Hỏi nhiều")
    for _ in range(2):
        await ask(fake, member, "Chế độ thai sản của nữ công chức bao lâu?")
    await ask(fake, member, "Giá xăng hôm nay?")
    # Logs are written in the background once each reply was delivered: ask until the last one is in.
    for _ in range(50):
        assert await asyncio.to_thread(admin_bot.flush_records, 30)
        report = await ask(fake, admin, "/unanswered 7")
        text = report.params["text"]
        if "Giá xăng" in text:
            break
        await asyncio.sleep(0.2)
    assert "2× Chế độ thai sản của nữ công chức bao lâu?" in text and "1× Giá xăng hôm nay?" in text
