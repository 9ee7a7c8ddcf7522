"""Zalo, end to end: the real adapter over HTTP against a fake Zalo Bot API server (polling and webhook)."""

import asyncio
import datetime as dt
import logging
from zoneinfo import ZoneInfo

import pytest
from pydantic import SecretStr

from bot.channels.zalo.adapter import ZaloAdapter
from bot.service import Assistant
from tests.conftest import SEED_DOC, free_port
from tests.fakes.zalo_api import FakeZalo

ADMIN, OFFICER = "admin-0001", "officer-0002"


@pytest.fixture
async def zalo():
    server = FakeZalo()
    await server.start()
    yield server
    await server.stop()


def zalo_settings(base, fake, tmp_path, **extra):
    return base.model_copy(
        update={
            "zalo_token": SecretStr(fake.token),
            "zalo_base_url": fake.base_url,
            "zalo_admin_ids": [ADMIN],
            "database_url": f"sqlite:///{tmp_path / 'zalo.db'}",
            **extra,
        }
    )


@pytest.fixture
async def adapters(zalo, embedder):
    """Starts adapters (a fresh core each, as after a process start); stops them all."""
    running = []

    async def start(settings):
        core = Assistant(settings, embedder=embedder)
        adapter = ZaloAdapter(settings, core)
        await adapter.start()
        running.append(adapter)
        return core, adapter

    yield start
    zalo.release_polls()
    for adapter in running:
        await adapter.stop()


@pytest.fixture
async def bot(adapters, seed_settings, zalo, tmp_path):
    return await adapters(zalo_settings(seed_settings, zalo, tmp_path))


async def test_question_answer_with_citation_and_full_text_by_number(zalo, bot):
    reply = await zalo.say("u100", "u100", "Lan", "tham muu long vong la gi")
    text = reply.params["text"]
    assert "“(5) Tham mưu “lòng vòng”" in text
    assert "— Câu hỏi 4, mục (5) — Hỏi-Đáp Chỉ thị số 46-CT/TU ngày 03/4/2024" in text
    assert "Gõ 0 để xem toàn văn" in text

    before = len(zalo.calls)
    await zalo.deliver(zalo.text_update("u100", "u100", "Lan", "0"))
    await asyncio.sleep(0.2)
    first = await zalo.wait_for("sendMessage", lambda c: c.params["chat_id"] == "u100", after=before)
    await zalo.wait_for("sendMessage", lambda c: "— Câu hỏi 4 — " in c.params["text"], after=before)
    pieces = [c.params["text"] for c in zalo.calls[before:] if c.method == "sendMessage"]
    assert len(pieces) == 2 and all(len(p) <= 2000 for p in pieces)  # 12 items: split at paragraph boundaries
    assert first.params["text"].startswith("Câu hỏi 4:") and "(12) Buông lỏng quản lý" in pieces[1]
    official = SEED_DOC.read_text(encoding="utf-8").split("Câu hỏi 4:")[1].split("Câu hỏi 5:")[0]
    for line in official.splitlines()[2:]:  # every item arrives whole, in one message
        assert any(line in piece for piece in pieces), line


async def test_suggestions_are_numbered_and_answered_by_number(zalo, bot):
    reply = await zalo.say("u200", "u200", "Minh", "Đánh giá cán bộ đảng viên cuối năm cần những thủ tục gì?")
    text = reply.params["text"]
    assert "chưa tìm thấy câu trả lời chính thức" in text and "Có phải bạn muốn hỏi" in text
    assert "1. Câu hỏi " in text and "Trả lời bằng số" in text
    number = text.split("1. Câu hỏi ")[1].split(":")[0]
    answer = await zalo.say("u200", "u200", "Minh", "1")
    assert f"— Câu hỏi {number} — Hỏi-Đáp" in answer.params["text"]


async def test_groups_only_hear_commands_and_odd_input_never_crashes(zalo, bot):
    before = len(zalo.calls)
    await zalo.deliver(zalo.text_update("g1", "u300", "An", "chào cả nhà, mai họp nhé", group=True))
    for kind in ("sticker", "image", "unsupported"):
        await zalo.deliver(zalo.other_update(kind, "g1", "u300", group=True))
    for odd in (
        {},
        {"event_name": "message.text.received"},
        {"event_name": "x", "message": "oops"},
        {"event_name": "message.text.received", "message": {"chat": "nope", "text": 5}},
        {"event_name": "user.joined", "message": {"chat": {"id": "g1"}}},
    ):
        await zalo.deliver(odd)
    reply = await zalo.say("g1", "u300", "An", "/hoi người đứng đầu phải thế nào", group=True)
    assert "Phải thực sự nêu gương" in reply.params["text"]
    assert len(zalo.sent_to("g1")) == 1  # chatter, stickers and junk got no reply
    assert before < len(zalo.calls)

    for kind in ("sticker", "image"):
        before = len(zalo.calls)
        await zalo.deliver(zalo.other_update(kind, "u301", "u301"))
        hint = await zalo.wait_for("sendMessage", lambda c: c.params["chat_id"] == "u301", after=before)
        assert "chỉ đọc được câu hỏi bằng chữ" in hint.params["text"]


async def test_daily_quiz_as_text_scored_and_ranked_surviving_a_restart(zalo, adapters, seed_settings, tmp_path):
    settings = zalo_settings(seed_settings, zalo, tmp_path)
    core, adapter = await adapters(settings)
    refused = await zalo.say("g2", "u400", "Bình", "/quiz_on 07:30", group=True)
    assert "chỉ dành cho cán bộ" in refused.params["text"]
    granted = await zalo.say("g2", ADMIN, "Quản trị", f"/officer_add {OFFICER}", group=True)
    assert "Đã cấp quyền" in granted.params["text"]
    ok = await zalo.say("g2", OFFICER, "Tuyên giáo", "/quiz_on 07:30 T2-T6", group=True)
    assert "07:30" in ok.params["text"] and "T2, T3, T4, T5, T6" in ok.params["text"]
    sub = core.quiz.subscription("zalo", "g2")
    nxt = adapter.job(sub.id).next_run_time.astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    assert (nxt.hour, nxt.minute) == (7, 30) and nxt.isoweekday() <= 5

    # Restart: the schedule comes back from the database; drive the clock instead of sleeping.
    await adapter.stop()
    zalo.resume_polls()
    core, adapter = await adapters(settings)
    before = len(zalo.calls)
    adapter.job(sub.id).modify(next_run_time=dt.datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")))
    quiz_msg = await zalo.wait_for("sendMessage", lambda c: "CÂU ĐỐ HẰNG NGÀY" in c.params["text"], after=before)
    text = quiz_msg.params["text"]
    assert all(f"\n{letter}. " in text for letter in "ABCD") and "Trả lời bằng một chữ cái (A–D)" in text
    delivery = core.quiz.latest_open_delivery("zalo", "g2")
    right = core.quiz.question(_delivered_question(core, delivery)).correct
    letter, wrong = "ABCD"[right], "ABCD"[(right + 1) % 4]

    good = await zalo.say("g2", "u401", "Cúc", letter.lower(), group=True)
    assert "Cúc: ✅ Chính xác!" in good.params["text"] and "46-CT/TU" in good.params["text"]
    bad = await zalo.say("g2", "u402", "Dũng", f"Đáp án {wrong}", group=True)
    assert "Dũng: ❌ Chưa đúng. Đáp án: " + letter in bad.params["text"]
    again = await zalo.say("g2", "u402", "Dũng", letter, group=True)
    assert "đã trả lời câu đố này rồi" in again.params["text"]
    board = await zalo.say("g2", "u401", "Cúc", "/bxh", group=True)
    today = board.params["text"].split("Hôm nay:")[1].split("Tuần này")[0]
    assert "1. Cúc — 1 điểm" in today and "2. Dũng — 0 điểm" in today


def _delivered_question(core, delivery_id):
    from bot.storage.models import QuizDelivery

    with core.db.session() as s:
        return s.get(QuizDelivery, delivery_id).question_id


async def test_webhook_checks_the_secret_and_rejects_bad_json(zalo, adapters, seed_settings, tmp_path):
    port = free_port()
    settings = zalo_settings(
        seed_settings,
        zalo,
        tmp_path,
        zalo_mode="webhook",
        zalo_webhook_url=f"http://127.0.0.1:{port}/zalo-hook",
        zalo_webhook_secret=SecretStr("zalo-secret-123"),
        zalo_webhook_listen="127.0.0.1",
        zalo_webhook_port=port,
    )
    await adapters(settings)
    assert zalo.webhook == {"url": f"http://127.0.0.1:{port}/zalo-hook", "secret_token": "zalo-secret-123"}
    update = zalo.text_update("u500", "u500", "Hà", "khoán sản phẩm là gì")
    assert await zalo.deliver(update, secret=None) == 403
    assert await zalo.deliver(update, secret="wrong-secret") == 403
    assert await zalo.post_raw(b"{not json", secret="zalo-secret-123") == 400
    assert zalo.sent_to("u500") == []
    assert await zalo.deliver(update) == 200
    reply = await zalo.wait_for("sendMessage", lambda c: c.params["chat_id"] == "u500")
    assert "Câu hỏi 5" in reply.params["text"]


async def test_the_token_never_appears_in_logs(zalo, bot, caplog):
    caplog.set_level(logging.DEBUG)
    await zalo.say("u600", "u600", "Tú", "người đứng đầu phải thế nào")
    _, adapter = bot
    await adapter.client.call("getWebhookInfo")
    with pytest.raises(Exception) as err:  # an API error names the method, not the URL
        await adapter.client.call("noSuchMethod")
    assert zalo.token not in str(err.value)
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert zalo.token not in logged and zalo.token.split(":")[1] not in logged
