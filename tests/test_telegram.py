"""Telegram, end to end: the real application over HTTP against a fake Bot API server."""

import asyncio
import itertools

import pytest

from bot.channels.telegram import app as tg
from bot.storage.db import Database
from bot.storage.models import Feedback, QuestionLog
from tests.conftest import bot_settings, free_port

_ids = itertools.count(7001)


@pytest.fixture
async def bot(fake, seed_settings, embedder, tmp_path):
    """The real channel, polling the fake server (its own database, so logs can be checked)."""
    from bot.service import Assistant

    settings = bot_settings(seed_settings, fake, questions_per_minute=6, database_url=f"sqlite:///{tmp_path / 'tg.db'}")
    core = Assistant(settings, embedder=embedder)
    channel = tg.build_app(settings, core)
    await channel.start()
    yield core
    fake.release_polls()
    await channel.stop()
    core.close()


def new_user(fake):
    return fake.user(next(_ids), "Văn A")


async def ask_private(fake, text, user=None):
    user = user or new_user(fake)
    chat = fake.private_chat(user)
    before = len(fake.calls)
    await fake.send(chat, user, text)
    call = await fake.wait_for("sendMessage", lambda c: int(c.params["chat_id"]) == chat["id"], after=before)
    return call, chat, user


def buttons(call):
    markup = call.params.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


async def test_commands_are_published_at_start(fake, bot):
    names = [c["command"] for c in fake.commands]
    assert {"hoi", "help", "start"} <= set(names)


async def test_private_question_gets_verbatim_quote_citation_and_buttons(fake, bot):
    call, _, _ = await ask_private(fake, "Tham mưu lòng vòng là biểu hiện gì?")
    text = call.params["text"]
    assert call.params["parse_mode"] == "HTML"
    assert "<blockquote>(5) Tham mưu “lòng vòng”" in text
    assert "Câu hỏi 4, mục (5) — Hỏi-Đáp Chỉ thị số 46-CT/TU ngày 03/4/2024" in text
    assert "Trích mục (5) của Câu hỏi 4" in text
    labels = [b["text"] for b in buttons(call)]
    assert "📖 Xem toàn văn câu trả lời" in labels
    assert "👍 Hữu ích" in labels and "👎 Chưa đúng" in labels


async def test_full_answer_button_and_feedback_are_answered_and_stored(fake, bot):
    call, chat, user = await ask_private(fake, "Tham mưu lòng vòng")
    message = call.result
    full = next(b for b in buttons(call) if b["text"].startswith("📖"))
    before = len(fake.calls)
    await fake.press(message, user, full["callback_data"])
    await fake.wait_for("answerCallbackQuery", after=before)
    whole = await fake.wait_for("sendMessage", lambda c: int(c.params["chat_id"]) == chat["id"], after=before)
    assert "(1) Không thực hiện đúng quy chế làm việc" in whole.params["text"]
    assert "(12) Buông lỏng quản lý" in whole.params["text"]

    thumbs = next(b for b in buttons(call) if b["text"].startswith("👎"))
    before = len(fake.calls)
    await fake.press(message, user, thumbs["callback_data"])
    ack = await fake.wait_for("answerCallbackQuery", after=before)
    assert "Cảm ơn" in ack.params.get("text", "")
    ref = thumbs["callback_data"].split("|")[1]
    assert not ref.isdigit()  # not a guessable sequential id

    # Someone else in the chat cannot vote on this member's answer.
    other = new_user(fake)
    before = len(fake.calls)
    await fake.press(message, other, thumbs["callback_data"])
    refused = await fake.wait_for("answerCallbackQuery", after=before)
    assert "Chỉ người đã hỏi" in refused.params.get("text", "")

    assert await asyncio.to_thread(bot.flush_records, 30)
    with Database(bot.settings.database_url).session() as s:
        asked = s.query(QuestionLog).filter_by(ref=ref).one()
        votes = s.query(Feedback).filter_by(question_id=asked.id).all()
        assert asked.delivered and asked.user_id == str(user["id"])
    assert [(v.user_id, v.value) for v in votes] == [(str(user["id"]), -1)]


async def test_no_close_answer_gives_polite_message_and_working_suggestions(fake, bot):
    call, chat, user = await ask_private(fake, "Thủ tục kết nạp đảng viên gồm những bước nào?")
    assert "chưa tìm thấy câu trả lời chính thức" in call.params["text"]
    assert "Có phải bạn muốn hỏi" in call.params["text"]
    suggestions = buttons(call)
    assert 1 <= len(suggestions) <= 3
    before = len(fake.calls)
    await fake.press(call.result, user, suggestions[0]["callback_data"])
    await fake.wait_for("answerCallbackQuery", after=before)
    answer = await fake.wait_for("sendMessage", lambda c: int(c.params["chat_id"]) == chat["id"], after=before)
    assert "<blockquote>" in answer.params["text"] and "Hỏi-Đáp Chỉ thị số 46-CT/TU" in answer.params["text"]


async def test_group_chat_answers_only_when_addressed(fake, bot):
    group = fake.group_chat(-100123, "Chi bộ Văn phòng")
    user = new_user(fake)
    start = len(fake.calls)
    await fake.send(group, user, "Hôm nay họp chi bộ lúc mấy giờ?")  # chatter: silence
    await fake.send(group, user, "/hoi người đứng đầu phải thế nào")
    hoi = await fake.wait_for("sendMessage", lambda c: int(c.params["chat_id"]) == group["id"], after=start)
    assert "Phải thực sự nêu gương" in hoi.params["text"]

    before = len(fake.calls)
    await fake.send(group, user, "@hoidap_test_bot khoán sản phẩm là gì?")
    mention = await fake.wait_for("sendMessage", lambda c: int(c.params["chat_id"]) == group["id"], after=before)
    assert "Câu hỏi 5" in mention.params["text"]

    before = len(fake.calls)
    await fake.send(group, user, "còn việc đùn đẩy sang cơ quan khác thì sao?", reply_to=mention.result)
    reply = await fake.wait_for("sendMessage", lambda c: int(c.params["chat_id"]) == group["id"], after=before)
    assert "Câu hỏi 4" in reply.params["text"]

    before = len(fake.calls)
    await fake.send(group, user, "/hoi")
    usage = await fake.wait_for("sendMessage", lambda c: int(c.params["chat_id"]) == group["id"], after=before)
    assert "/hoi câu hỏi của bạn" in usage.params["text"]
    sent = fake.sent_to(group["id"])
    assert len(sent) == 4  # the chatter got no reply


async def test_media_gets_a_hint_in_private_and_silence_in_groups(fake, bot):
    user = new_user(fake)
    chat = fake.private_chat(user)
    group = fake.group_chat(-100456)
    for kind in ("sticker", "photo", "voice"):
        before = len(fake.calls)
        await fake.deliver(fake.media_update(chat, user, kind))
        hint = await fake.wait_for("sendMessage", lambda c: int(c.params["chat_id"]) == chat["id"], after=before)
        assert "chỉ đọc được câu hỏi bằng chữ" in hint.params["text"]
        await fake.deliver(fake.media_update(group, user, kind))
    await fake.send(chat, user, "xin chào")  # a marker: once answered, the group updates were processed
    await fake.wait_for("sendMessage", lambda c: "Xin chào" in c.params["text"])
    await asyncio.sleep(0.3)
    assert fake.sent_to(group["id"]) == []


async def test_injection_long_edited_and_channel_posts(fake, bot):
    call, chat, user = await ask_private(fake, "<b>Tham mưu</b> lòng vòng & <script>alert(1)</script>")
    assert "<script>" not in call.params["text"] and "<b>Tham mưu</b>" not in call.params["text"]

    call, chat, user = await ask_private(fake, "hỏi " * 1100)
    assert "dài quá" in call.params["text"]

    before = len(fake.calls)
    await fake.deliver(fake.text_update(chat, user, "khoán sản phẩm là gì", edited=True))
    edited = await fake.wait_for("sendMessage", lambda c: int(c.params["chat_id"]) == chat["id"], after=before)
    assert "Câu hỏi 5" in edited.params["text"]

    channel = fake.channel_chat(-100999)
    await fake.deliver(fake.text_update(channel, None, "người đứng đầu phải thế nào", channel_post=True))
    await ask_private(fake, "xin chào")  # marker
    await asyncio.sleep(0.3)
    assert fake.sent_to(channel["id"]) == []


async def test_per_user_limit_has_a_friendly_reply_once(fake, bot):
    user = new_user(fake)
    chat = fake.private_chat(user)
    before = len(fake.calls)
    for i in range(8):  # the fixture allows 6 per minute
        await fake.send(chat, user, f"câu hỏi thử số {i} về khoán sản phẩm")
    await fake.wait_for("sendMessage", lambda c: "hỏi hơi nhanh" in c.params["text"], after=before)
    await asyncio.sleep(1.0)
    replies = [c.params["text"] for c in fake.sent_to(chat["id"])]
    assert sum("hỏi hơi nhanh" in t for t in replies) == 1
    assert len(replies) == 7


async def test_one_slow_question_does_not_block_others(fake, bot, monkeypatch):
    real = bot.ask

    def slow_for_some(text, context=None):
        if "chậm" in text:
            import time

            time.sleep(3)
        return real(text, context)

    monkeypatch.setattr(bot, "ask", slow_for_some)
    slow_user, fast_user = new_user(fake), new_user(fake)
    slow_chat, fast_chat = fake.private_chat(slow_user), fake.private_chat(fast_user)
    before = len(fake.calls)
    await fake.send(slow_chat, slow_user, "câu hỏi chậm về khoán sản phẩm")
    await asyncio.sleep(0.2)
    await fake.send(fast_chat, fast_user, "người đứng đầu phải thế nào")
    first = await fake.wait_for(
        "sendMessage", lambda c: int(c.params["chat_id"]) in (slow_chat["id"], fast_chat["id"]), after=before
    )
    assert int(first.params["chat_id"]) == fast_chat["id"]
    await fake.wait_for("sendMessage", lambda c: int(c.params["chat_id"]) == slow_chat["id"], after=before)


async def test_help_lists_loaded_documents(fake, bot):
    call, _, _ = await ask_private(fake, "/help")
    assert "Chỉ thị số 46-CT/TU — 8 câu hỏi–đáp" in call.params["text"]


async def test_webhook_mode_is_a_route_of_the_one_app_and_checks_the_secret(fake, assistant, seed_settings):
    """The web app (not PTB's server) serves the webhook, compares the secret in constant time and puts
    updates on PTB's update queue; wrong or missing secret: 403."""
    from pydantic import SecretStr

    from bot.channels.runner import Runner

    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook-3f9a"
    settings = bot_settings(
        seed_settings, fake, telegram_mode="webhook", webhook_url=url, webhook_secret=SecretStr("s3cret-value")
    )
    runner = Runner(settings, assistant, http=("127.0.0.1", port))
    await runner.start()
    try:
        assert fake.webhook == {"url": url, "secret_token": "s3cret-value"}
        user = new_user(fake)
        chat = fake.private_chat(user)
        assert await fake.deliver(fake.text_update(chat, user, "người đứng đầu phải thế nào"), secret=None) == 403
        assert await fake.deliver(fake.text_update(chat, user, "người đứng đầu phải thế nào"), secret="wrong") == 403
        assert fake.sent_to(chat["id"]) == []
        assert await fake.deliver(fake.text_update(chat, user, "người đứng đầu phải thế nào")) == 200
        call = await fake.wait_for("sendMessage", lambda c: int(c.params["chat_id"]) == chat["id"])
        assert "Phải thực sự nêu gương" in call.params["text"]
    finally:
        await runner.stop()


async def test_the_token_never_appears_in_logs(fake, bot, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    await ask_private(fake, "người đứng đầu phải thế nào")
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert fake.token not in logged and fake.token.split(":")[1] not in logged
