"""What every channel must do the same way, run against each: the quiz (subscribe, scheduled delivery,
answers right, wrong and twice, leaderboard) and the admin flows (roles, private-only commands).

One scenario, parametrised by channel: the behaviour lives once in the conversation core, and these
runs prove each channel's mapping and rendering over a fake of its real API.
"""

import asyncio
import datetime as dt
import json
import re
from zoneinfo import ZoneInfo

import pytest
from pydantic import SecretStr

from bot.conversation.scheduler import QuizScheduler
from bot.service import Assistant
from tests.conftest import bot_settings
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import BOT_NAME, FakeZalo

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SITE = "https://hoidap.example.vn"


class TelegramDriver:
    name = "telegram"
    ADMIN, OFFICER, MEMBERS = 500001, 500002, [500010 + i for i in range(4)]

    async def start(self, base, tmp_path, embedder):
        self.fake = FakeTelegram()
        await self.fake.start()
        settings = bot_settings(
            base, self.fake, admin_ids=[self.ADMIN], database_url=f"sqlite:///{tmp_path / 'tg.db'}", public_url=SITE
        )
        from bot.channels.telegram.app import TelegramChannel

        self.core = Assistant(settings, embedder=embedder)
        self.scheduler = QuizScheduler(self.core.conversation())
        self.channel = TelegramChannel(settings, self.core, self.scheduler)
        await self.channel.start()
        self.group = self.fake.group_chat(-100777, "Chi bộ Thử")

    async def stop(self):
        self.fake.release_polls()
        await self.channel.stop()
        self.core.close()
        await self.fake.stop()

    def _user(self, uid):
        return self.fake.user(uid, f"Người {uid % 100}")

    async def say(self, uid, text, group=True):
        user = self._user(uid)
        chat = self.group if group else self.fake.private_chat(user)
        before = len(self.fake.calls)
        await self.fake.send(chat, user, text)
        call = await self.fake.wait_for(
            "sendMessage", lambda c: int(c.params["chat_id"]) in (chat["id"], uid), after=before
        )
        return re.sub(r"<[^>]+>", "", call.params["text"])

    async def quiz(self, now):
        before = len(self.fake.calls)
        assert await self.scheduler.tick(now) == 1
        call = await self.fake.wait_for(
            "sendPoll", lambda c: int(c.params["chat_id"]) == self.group["id"], after=before
        )
        poll = call.result["poll"]
        self.poll_id = poll["id"]
        return poll["correct_option_ids"][0], len(poll["options"])

    async def answer(self, uid, option):
        await self.fake.deliver(self.fake.poll_answer_update(self.poll_id, self._user(uid), [option]))

    def sent_quizzes(self):
        return len(self.fake.sent_to(self.group["id"], "sendPoll"))

    def labels(self, uid):
        """The buttons under the last private message."""
        last = self.fake.sent_to(self.fake.private_chat(self._user(uid))["id"])[-1]
        markup = last.params.get("reply_markup") or {"inline_keyboard": []}
        markup = json.loads(markup) if isinstance(markup, str) else markup
        return [b["text"] for row in markup["inline_keyboard"] for b in row]

    async def post(self, uid, text):
        """A message to the group that mentions the bot, without waiting for any reply."""
        await self.fake.send(self.group, self._user(uid), f"@{self.fake.bot_user['username']} {text}")

    async def ask_group(self, uid, text):
        return await self.say(uid, f"@{self.fake.bot_user['username']} {text}")

    def group_texts(self):
        return [re.sub(r"<[^>]+>", "", c.params["text"]) for c in self.fake.sent_to(self.group["id"])]

    async def tap_yes(self, uid):
        """Tap the first button under the last private message (the one-tap confirmation)."""
        user = self._user(uid)
        chat = self.fake.private_chat(user)
        last = self.fake.sent_to(chat["id"])[-1]
        markup = last.params["reply_markup"]
        markup = json.loads(markup) if isinstance(markup, str) else markup
        button = markup["inline_keyboard"][0][0]
        before = len(self.fake.calls)
        await self.fake.press(last.result, user, button["callback_data"])
        call = await self.fake.wait_for("sendMessage", lambda c: int(c.params["chat_id"]) == chat["id"], after=before)
        return button["text"], re.sub(r"<[^>]+>", "", call.params["text"])


class ZaloDriver:
    name = "zalo"
    ADMIN, OFFICER, MEMBERS = "za-admin", "za-officer", [f"za-member-{i}" for i in range(4)]

    async def start(self, base, tmp_path, embedder):
        self.fake = FakeZalo()
        await self.fake.start()
        settings = base.model_copy(
            update={
                "zalo_token": SecretStr(self.fake.token),
                "zalo_base_url": self.fake.base_url,
                "zalo_admin_ids": [self.ADMIN],
                "zalo_bot_name": BOT_NAME,
                "database_url": f"sqlite:///{tmp_path / 'zalo.db'}",
                "public_url": SITE,
            }
        )
        from bot.channels.zalo.app import ZaloChannel

        self.core = Assistant(settings, embedder=embedder)
        self.scheduler = QuizScheduler(self.core.conversation())
        self.channel = ZaloChannel(settings, self.core, scheduler=self.scheduler)
        await self.channel.start()
        self.group = "zg-1"

    async def stop(self):
        self.fake.release_polls()
        await self.channel.stop()
        self.core.close()
        await self.fake.stop()

    async def say(self, uid, text, group=True):
        chat = self.group if group else uid
        before = len(self.fake.calls)
        await self.fake.deliver(self.fake.text_update(chat, uid, f"Người {uid[-1]}", text, group))
        call = await self.fake.wait_for("sendMessage", lambda c: c.params["chat_id"] in (chat, uid), after=before)
        return call.params["text"]

    async def quiz(self, now):
        before = len(self.fake.calls)
        assert await self.scheduler.tick(now) == 1
        call = await self.fake.wait_for("sendMessage", lambda c: "CÂU ĐỐ" in c.params["text"], after=before)
        text = call.params["text"]
        options = re.findall(r"^([A-J])\. ", text, re.M)
        from bot.storage.db import Database
        from bot.storage.models import QuizDelivery

        with Database(self.core.settings.database_url, migrate=False).session() as s:
            correct = s.query(QuizDelivery).order_by(QuizDelivery.id.desc()).first().correct
        return correct, len(options)

    async def answer(self, uid, option):
        return await self.say(uid, "abcdefghij"[option])

    def sent_quizzes(self):
        return sum("CÂU ĐỐ" in t for t in self.fake.sent_to(self.group))

    def labels(self, uid):
        """Zalo has no buttons: the numbered choices are lines of the last private message."""
        return [line for line in self.fake.sent_to(uid)[-1].splitlines() if re.match(r"^\s*\d+\.", line)]

    async def post(self, uid, text):
        await self.fake.deliver(self.fake.text_update(self.group, uid, f"Người {uid[-1]}", text, True))

    def group_texts(self):
        return self.fake.sent_to(self.group)

    async def ask_group(self, uid, text):
        return await self.say(uid, text)  # the fake's group messages mention the bot

    async def tap_yes(self, uid):
        """Zalo has no buttons: the member replies with the number the message offers."""
        return "1", await self.say(uid, "1", group=False)


@pytest.fixture(params=[TelegramDriver, ZaloDriver], ids=["telegram", "zalo"])
async def channel(request, seed_settings, tmp_path, embedder):
    driver = request.param()
    await driver.start(seed_settings, tmp_path, embedder)
    yield driver
    await driver.stop()


@pytest.fixture(params=[TelegramDriver, ZaloDriver], ids=["telegram", "zalo"])
async def multidoc_channel(request, multidoc_settings, tmp_path, embedder):
    """The same channels over an index of four leaflets (the seed, Nghị quyết 09, Kế hoạch 218, Quy định 78)."""
    driver = request.param()
    await driver.start(multidoc_settings, tmp_path, embedder)
    yield driver
    await driver.stop()


async def _board(channel, uid, expect_rows):
    for _ in range(40):  # poll answers are processed concurrently: wait until all four are in
        text = await channel.say(uid, "/bxh")
        today = text.split("Hôm nay")[1].split("Tuần này")[0]
        if today.count(" điểm") >= expect_rows:
            return today
        await asyncio.sleep(0.2)
    raise AssertionError(text)


async def test_quiz_scenario(channel):
    c = channel
    assert "chỉ dành cho cán bộ" in await c.say(c.MEMBERS[0], "/quiz_on 07:30")
    assert "Đã cấp quyền" in await c.say(c.ADMIN, f"/officer_add {c.OFFICER}")
    slot = (dt.datetime.now(TZ) + dt.timedelta(minutes=2)).replace(second=0, microsecond=0)
    ok = await c.say(c.OFFICER, f"/quiz_on {slot:%H:%M}")
    assert f"{slot:%H:%M}" in ok and "hằng ngày" in ok and "nhóm này" in ok

    assert await c.scheduler.tick(slot - dt.timedelta(minutes=1)) == 0  # not yet
    right, n = await c.quiz(slot + dt.timedelta(seconds=30))
    assert n == 4
    assert await c.scheduler.tick(slot + dt.timedelta(minutes=5)) == 0  # claimed: not twice
    assert c.sent_quizzes() == 1

    wrong = (right + 1) % 4
    r1 = await c.answer(c.MEMBERS[0], right)
    r2 = await c.answer(c.MEMBERS[1], wrong)
    r3 = await c.answer(c.MEMBERS[2], right)
    r4 = await c.answer(c.MEMBERS[2], wrong)  # twice: the first answer counts
    if c.name == "zalo":  # text quizzes answer each letter; polls answer nothing
        assert "✅ Chính xác" in r1 and "❌ Chưa đúng" in r2 and "✅" in r3 and "đã trả lời câu đố này rồi" in r4
    today = await _board(c, c.MEMBERS[3], 3)
    rows = [line for line in today.splitlines() if "điểm" in line]
    assert len(rows) == 3
    assert sum(" — 1 điểm" in r for r in rows) == 2 and sum(" — 0 điểm" in r for r in rows) == 1
    assert rows[-1].startswith("3.") and " — 0 điểm" in rows[-1]

    off = await c.say(c.OFFICER, "/quiz_off")
    assert "Đã dừng" in off
    assert await c.scheduler.tick(slot + dt.timedelta(days=1, seconds=30)) == 0  # read each tick


async def test_admin_scenario(channel):
    c = channel
    for command in ("/docs", "/unanswered", "/reindex"):
        refused = await c.say(c.ADMIN, command)  # in the group, even for the admin
        assert "chỉ dùng trong tin nhắn riêng" in refused, command
    assert "chỉ quản trị viên" in await c.say(c.MEMBERS[0], "/docs", group=False)
    assert "chỉ dành cho quản trị viên" in await c.say(c.MEMBERS[0], f"/officer_add {c.MEMBERS[1]}")
    docs = await c.say(c.ADMIN, "/docs", group=False)
    assert "46-ct-tu" in docs and "Chỉ thị số 46-CT/TU" in docs
    assert "Số ngày phải từ 1 đến" in await c.say(c.ADMIN, "/unanswered 99999999999", group=False)
    assert "chưa có câu hỏi nào thiếu" in await c.say(c.ADMIN, "/unanswered 7", group=False)
    me = await c.say(c.OFFICER, "/id", group=False)
    assert f"Mã người dùng của bạn: {c.OFFICER}" in me
    assert "chỉ dành cho cán bộ" in await c.say(c.MEMBERS[0], "/web", group=False)
    assert "Đã cấp quyền" in await c.say(c.ADMIN, f"/officer_add {c.OFFICER}")
    assert "chỉ dùng trong tin nhắn riêng" in await c.say(c.OFFICER, "/web")  # never a login link in a group
    link = await c.say(c.OFFICER, "/web", group=False)
    assert f"{SITE}/admin/login?t=" in link and "dùng được một lần" in link
    assert "chưa đăng ký" in (await c.say(c.OFFICER, "/quiz_off")).lower()
    assert "Chưa có câu đố nào" in await c.say(c.OFFICER, "/quiz_stats")
    private = await c.say(c.OFFICER, "/quiz_on 07:30 thứ 2", group=False)
    assert "cuộc trò chuyện này" in private and "T2" in private


async def test_confirm_scenario(channel, monkeypatch):
    """A plausible but uncertain answer is offered as "Có phải bạn muốn hỏi…?", one tap from the quote."""
    from bot.answer.model import Answer, Suggestion

    c = channel
    official = c.core.answering.official_answer("46-ct-tu", 4)
    plausible = Answer(
        found=False,
        confirm=True,
        suggestions=[Suggestion(official.gid, "46-ct-tu", 4, official.question)],
        gid=official.gid,
    )
    real_ask = c.core.ask
    monkeypatch.setattr(
        c.core, "ask", lambda text, context=None: plausible if "chấn chỉnh" in text else real_ask(text, context)
    )
    shown = await c.say(c.MEMBERS[0], "mấy cái biểu hiện phải chấn chỉnh là gì z ad", group=False)
    assert shown.startswith("Có phải bạn muốn hỏi: Ban Thường vụ Tỉnh ủy yêu cầu nhận diện")
    assert "chưa tìm thấy" not in shown  # not the flat refusal
    key, quoted = await c.tap_yes(c.MEMBERS[0])
    assert key in shown or c.name == "telegram"
    assert quoted.startswith("Câu hỏi 4: Ban Thường vụ Tỉnh ủy yêu cầu nhận diện")
    assert "(1) Không thực hiện đúng quy chế làm việc" in quoted  # the official text, quoted


async def test_many_documents_scenario(multidoc_channel):
    """With several leaflets loaded: a follow-up is read with the last answer, every offered question
    names its document, and thanks in the group get no reply."""
    c = multidoc_channel
    m = c.MEMBERS[0]
    first = await c.say(m, "qđ 78 áp dụng đối với những đối tượng nào?", group=False)
    assert "Quy định số 78-QĐ/TU" in first
    item = await c.say(m, "ý 2 là gì?", group=False)
    assert "mục (2)" in item and "Quy định số 78-QĐ/TU" in item
    when = await c.say(m, "văn bản đó ban hành ngày nào?", group=False)
    assert "20/8/2024" in when and "78-QĐ/TU" in when

    await c.say(m, "cán bộ được thưởng gì khi làm việc tốt", group=False)
    offered = [label for label in c.labels(m) if "Câu hỏi" in label]
    assert offered and all(" – " in label for label in offered), offered  # "Câu hỏi 7 – Quy định 78-QĐ/TU: …"

    before = len(c.group_texts())
    await c.post(c.MEMBERS[1], "cảm ơn bot nhé")
    answer = await c.ask_group(c.MEMBERS[1], "qđ 78 ban hành ngày nào?")  # the same member: handled in order
    assert "20/8/2024" in answer
    assert len(c.group_texts()) == before + 1  # the answer only: no welcome for the thanks
