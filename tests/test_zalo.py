"""Zalo, end to end: the real channel over HTTP against a fake Zalo Bot API server (polling and webhook),
held to the platform's documentation: mentions in groups, redelivered messages, UTF-16 lengths,
webhooks never removed unasked, 401, retried sends, checked setWebhook, /id, can_join_groups."""

import asyncio
import logging

import pytest
from pydantic import SecretStr

from bot.channels.zalo.app import ZaloChannel, strip_mention
from bot.errors import ConfigError
from bot.service import Assistant
from tests.conftest import SEED_DOC, free_port
from tests.fakes.zalo_api import BOT_NAME, FakeZalo

ADMIN = "admin-0001"


@pytest.fixture
async def zalo():
    server = FakeZalo()
    await server.start()
    yield server
    server.release_polls()
    await server.stop()


def zalo_settings(base, fake, tmp_path, **extra):
    return base.model_copy(
        update={
            "zalo_token": SecretStr(fake.token),
            "zalo_base_url": fake.base_url,
            "zalo_admin_ids": [ADMIN],
            "zalo_bot_name": BOT_NAME,
            "database_url": f"sqlite:///{tmp_path / 'zalo.db'}",
            **extra,
        }
    )


@pytest.fixture
async def channels(zalo, embedder):
    """Starts channels (a fresh core each, as after a process start); stops them all."""
    running = []

    async def start(settings):
        core = Assistant(settings, embedder=embedder)
        channel = ZaloChannel(settings, core)
        await channel.start()
        running.append((core, channel))
        return core, channel

    yield start
    zalo.release_polls()
    for core, channel in running:
        await channel.stop()
        core.close()


@pytest.fixture
async def bot(channels, seed_settings, zalo, tmp_path):
    return await channels(zalo_settings(seed_settings, zalo, tmp_path))


async def test_question_answer_with_citation_and_full_text_by_number(zalo, bot):
    reply = await zalo.say("u100", "u100", "Lan", "tham muu long vong la gi")
    text = reply.params["text"]
    assert "“(5) Tham mưu “lòng vòng”" in text
    assert "— Câu hỏi 4, mục (5) — Hỏi-Đáp Chỉ thị số 46-CT/TU ngày 03/4/2024" in text
    assert "Gõ 0 để xem toàn văn" in text

    before = len(zalo.calls)
    await zalo.deliver(zalo.text_update("u100", "u100", "Lan", "0"))
    await zalo.wait_for("sendMessage", lambda c: "— Câu hỏi 4 — " in c.params["text"], after=before)
    pieces = [c.params["text"] for c in zalo.calls[before:] if c.method == "sendMessage"]
    assert len(pieces) == 2 and all(len(p.encode("utf-16-le")) // 2 <= 2000 for p in pieces)
    assert pieces[0].startswith("Câu hỏi 4:") and "(12) Buông lỏng quản lý" in pieces[1]
    official = SEED_DOC.read_text(encoding="utf-8").split("Câu hỏi 4:")[1].split("Câu hỏi 5:")[0]
    for line in official.splitlines()[2:]:  # every item arrives whole, in one message
        assert any(line in piece for piece in pieces), line


async def test_suggestions_are_numbered_and_answered_by_number(zalo, bot):
    reply = await zalo.say("u200", "u200", "Minh", "Thủ tục kết nạp đảng viên gồm những bước nào?")
    text = reply.params["text"]
    assert "chưa tìm thấy câu trả lời chính thức" in text and "Có phải bạn muốn hỏi" in text
    assert "1. Câu hỏi " in text and "Trả lời bằng số" in text
    number = text.split("1. Câu hỏi ")[1].split(":")[0]
    answer = await zalo.say("u200", "u200", "Minh", "1")
    assert f"— Câu hỏi {number} — Hỏi-Đáp" in answer.params["text"]


async def test_group_mentions_are_stripped_and_chatter_stays_quiet(zalo, bot):
    helped = await zalo.say("g1", "u300", "An", "/help", group=True)  # "@Bot Hỏi Đáp /help"
    assert "Chỉ thị số 46-CT/TU" in helped.params["text"]
    answer = await zalo.say("g1", "u300", "An", "người đứng đầu phải thế nào", group=True)
    assert "Phải thực sự nêu gương" in answer.params["text"]
    before = len(zalo.sent_to("g1"))
    for chatter in ("cảm ơn bot", "ok", "👍", "Em chọn đáp án B"):  # replies to the bot, no mention
        await zalo.deliver(zalo.text_update("g1", "u300", "An", chatter, group=True, mention=False))
    for kind in ("sticker", "image", "voice", "unsupported"):
        await zalo.deliver(zalo.other_update(kind, "g1", "u300", group=True))
    for odd in ({}, {"event_name": "message.text.received"}, {"event_name": "x", "message": "oops"}):
        await zalo.deliver(odd)
    marker = await zalo.say("g1", "u300", "An", "/id", group=True)
    assert "Mã người dùng của bạn: u300" in marker.params["text"]
    assert len(zalo.sent_to("g1")) == before + 1  # only /id was answered

    for kind in ("sticker", "image", "voice"):
        before = len(zalo.calls)
        await zalo.deliver(zalo.other_update(kind, "u301", "u301"))
        hint = await zalo.wait_for("sendMessage", lambda c: c.params["chat_id"] == "u301", after=before)
        assert "chỉ đọc được câu hỏi bằng chữ" in hint.params["text"]


def test_mentions_of_an_unconfigured_name_are_still_stripped():
    assert strip_mention("@Bot Hỏi Đáp /help", []) == ("/help", True)
    assert strip_mention("@Bot Hỏi Đáp b", []) == ("b", True)
    assert strip_mention("@Bot Hỏi Đáp người đứng đầu phải thế nào", []) == ("người đứng đầu phải thế nào", True)
    assert strip_mention("@bot hỏi đáp /bxh", ["Bot Hỏi Đáp"]) == ("/bxh", True)
    assert strip_mention("cảm ơn", ["Bot Hỏi Đáp"]) == ("cảm ơn", False)


async def test_a_message_delivered_twice_is_answered_once(zalo, bot):
    update = zalo.text_update("u400", "u400", "Bình", "khoán sản phẩm là gì")
    await zalo.deliver(update)
    await zalo.deliver(update)
    await zalo.wait_for("sendMessage", lambda c: c.params["chat_id"] == "u400")
    await zalo.say("u400", "u400", "Bình", "/id")  # a marker: both copies were processed by now
    assert len(zalo.sent_to("u400")) == 2


async def test_sends_are_retried_until_delivered_once(zalo, bot):
    zalo.inject("sendMessage", 502, "network", 429, 429, 500)
    reply = await zalo.say("u450", "u450", "Hà", "khoán sản phẩm là gì", timeout=90)
    assert "Câu hỏi 5" in reply.params["text"]
    await asyncio.sleep(0.3)
    assert len(zalo.sent_to("u450")) == 1


async def test_polling_never_removes_a_webhook_unless_told(zalo, channels, seed_settings, tmp_path):
    zalo.webhook = {"url": "https://production.example/zalo", "secret_token": "production-secret"}
    with pytest.raises(ConfigError, match="HOIDAP_ZALO_DELETE_WEBHOOK"):
        await channels(zalo_settings(seed_settings, zalo, tmp_path))
    assert zalo.webhook is not None and not [c for c in zalo.calls if c.method == "deleteWebhook"]
    await channels(zalo_settings(seed_settings, zalo, tmp_path, zalo_delete_webhook=True))
    assert zalo.webhook is None


async def test_a_rejected_token_is_one_clear_line(zalo, channels, seed_settings, tmp_path, caplog):
    settings = zalo_settings(seed_settings, zalo, tmp_path).model_copy(
        update={"zalo_token": SecretStr("999:wrong-token-value")}
    )
    with pytest.raises(ConfigError, match="401"):
        await channels(settings)

    # A token revoked while running: polling stops with one clear line, not a retry loop.
    caplog.set_level(logging.INFO)
    _, channel = await channels(zalo_settings(seed_settings, zalo, tmp_path))
    zalo.token = "1459232241454765289:revoked"
    zalo.notify_update()
    for _ in range(100):
        if channel._poller.done():
            break
        await asyncio.sleep(0.1)
    assert channel._poller.done()
    assert any("token was rejected (401); polling stopped" in r.getMessage() for r in caplog.records)


async def test_cannot_join_groups_is_reported(channels, seed_settings, tmp_path, caplog):
    server = FakeZalo(can_join_groups=False)
    await server.start()
    try:
        caplog.set_level(logging.INFO)
        _, channel = await channels(zalo_settings(seed_settings, server, tmp_path))
        assert channel.can_join_groups is False
        assert any("can_join_groups=false" in r.getMessage() for r in caplog.records)
    finally:
        server.release_polls()
        await channel.stop()
        await server.stop()


async def test_webhook_takes_the_flat_body_checks_the_secret_and_the_registration(
    zalo, seed_settings, tmp_path, embedder
):
    """The Zalo webhook is a route of the one web app, on the same port as everything else."""
    from bot.channels.runner import Runner

    port = free_port()
    url = f"http://127.0.0.1:{port}/zalo/hook-7c1d"
    settings = zalo_settings(
        seed_settings,
        zalo,
        tmp_path,
        zalo_mode="webhook",
        zalo_webhook_url=url,
        zalo_webhook_secret=SecretStr("zalo-secret-123"),
    )
    core = Assistant(settings, embedder=embedder)
    runner = Runner(settings, core, http=("127.0.0.1", port))
    await runner.start()
    try:
        assert zalo.webhook == {"url": url, "secret_token": "zalo-secret-123"}
        update = zalo.text_update("u500", "u500", "Hà", "khoán sản phẩm là gì")
        assert await zalo.deliver(update, secret=None) == 403
        assert await zalo.deliver(update, secret="wrong-secret") == 403
        assert await zalo.post_raw(b"{not json", secret="zalo-secret-123") == 400
        assert zalo.sent_to("u500") == []
        assert await zalo.deliver(update) == 200  # flat: the update itself
        reply = await zalo.wait_for("sendMessage", lambda c: c.params["chat_id"] == "u500")
        assert "Câu hỏi 5" in reply.params["text"]
        import json

        wrapped = zalo.text_update("u501", "u501", "Hà", "khoán sản phẩm là gì")
        assert await zalo.post_raw(json.dumps({"ok": True, "result": wrapped}).encode()) == 200
        await zalo.wait_for("sendMessage", lambda c: c.params["chat_id"] == "u501")
    finally:
        zalo.release_polls()
        await runner.stop()
        core.close()


async def test_the_token_never_appears_in_logs(zalo, bot, caplog):
    caplog.set_level(logging.DEBUG)
    await zalo.say("u600", "u600", "Tú", "người đứng đầu phải thế nào")
    _, channel = bot
    await channel.client.call("getWebhookInfo")
    with pytest.raises(Exception) as err:  # an API error names the method, not the URL
        await channel.client.call("noSuchMethod")
    assert zalo.token not in str(err.value)
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert zalo.token not in logged and zalo.token.split(":")[1] not in logged


async def test_unlink_asks_first_and_is_confirmed_by_number(zalo, bot):
    core, _ = bot
    linked = core.records.link_phrasing("sếp cứ đẩy việc lên trên thì sao", 4).id
    asked = (await zalo.say(ADMIN, ADMIN, "Quản trị", f"/unlink {linked}")).params["text"]
    assert f"Bỏ liên kết #{linked}" in asked and "1. ✅ Xác nhận bỏ liên kết" in asked and "2. Hủy" in asked
    assert "Đã hủy, không có gì thay đổi." in (await zalo.say(ADMIN, ADMIN, "Quản trị", "2")).params["text"]
    assert any(p.id == linked for p in core.records.phrasings())
    await zalo.say(ADMIN, ADMIN, "Quản trị", f"/unlink {linked}")
    assert f"Đã gỡ liên kết #{linked}" in (await zalo.say(ADMIN, ADMIN, "Quản trị", "1")).params["text"]
    assert not any(p.id == linked for p in core.records.phrasings())
