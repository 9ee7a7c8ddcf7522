"""The daily quiz on Telegram: native quiz polls, previews in private, channels managed from a private
chat (anonymous polls, counted), statistics with chat names, hundreds of answers at once. The
scenario every channel shares (subscribe, deliver, answer, leaderboard) is in test_channels.py."""

import asyncio

import pytest

from bot.channels.telegram import app as tg
from bot.service import Assistant
from bot.storage.models import QuizAnswer
from tests.conftest import bot_settings

ADMIN, OFFICER, MEMBER = 900001, 900002, 900003


@pytest.fixture
def quiz_settings(seed_settings, tmp_path, fake):
    return bot_settings(seed_settings, fake, admin_ids=[ADMIN], database_url=f"sqlite:///{tmp_path / 'quiz.db'}")


@pytest.fixture
async def bots(fake, embedder):
    """Starts bots (a fresh core and application each, as after a process start); stops them all."""
    running = []

    async def start(settings):
        core = Assistant(settings, embedder=embedder)
        channel = tg.build_app(settings, core)
        await channel.start()
        running.append((core, channel))
        return core, channel

    yield start
    fake.release_polls()
    for core, channel in running:
        await channel.stop()
        core.close()


def grant(core, officer=OFFICER):
    from bot.conversation.actor import Actor

    core.conversation().roles.grant(Actor("telegram", str(ADMIN), str(ADMIN)), str(officer))


async def command(fake, chat, user, text):
    before = len(fake.calls)
    await fake.send(chat, user, text)
    return await fake.wait_for(
        "sendMessage", lambda c: int(c.params["chat_id"]) in (chat["id"], user["id"]), after=before
    )


async def test_preview_skip_now_stats_and_channels(fake, quiz_settings, bots):
    officer = fake.user(OFFICER, "Tuyên giáo")
    fake.private_chat(officer)
    group = fake.group_chat(-100600, "Chi bộ Xem trước")
    channel = fake.channel_chat(-100700, "Kênh Tuyên giáo", username="kenh_tuyen_giao")
    core, _ = await bots(quiz_settings)
    grant(core)
    await command(fake, group, officer, "/quiz_on 07:30")

    before = len(fake.calls)
    await fake.send(group, officer, "/quiz_preview")
    preview = await fake.wait_for("sendMessage", lambda c: int(c.params["chat_id"]) == OFFICER, after=before)
    assert "Đáp án:" in preview.params["text"]
    previewed = preview.params["text"].split("\n\n")[1]

    before = len(fake.calls)
    await fake.send(group, officer, "/quiz_skip")
    skipped = await fake.wait_for("sendMessage", lambda c: int(c.params["chat_id"]) == OFFICER, after=before)
    replacement = skipped.params["text"].split("\n\n")[1]
    assert replacement != previewed

    before = len(fake.calls)
    await fake.send(group, officer, "/quiz_now")
    poll = await fake.wait_for("sendPoll", lambda c: int(c.params["chat_id"]) == group["id"], after=before)
    assert poll.params["question"] == replacement  # the officer's choice goes out

    # A channel, managed from the private chat: anonymous polls, counted.
    ok = await command(fake, fake.private_chat(officer), officer, "/quiz_on 08:00 @kenh_tuyen_giao")
    assert "“Kênh Tuyên giáo”" in ok.params["text"]
    before = len(fake.calls)
    await fake.send(fake.private_chat(officer), officer, "/quiz_now -100700")
    chan_poll = await fake.wait_for("sendPoll", lambda c: int(c.params["chat_id"]) == channel["id"], after=before)
    assert chan_poll.params["is_anonymous"] is True
    votes = [0, 0, 0, 0]
    votes[chan_poll.result["poll"]["correct_option_ids"][0]] = 4
    await fake.deliver(fake.poll_update(chan_poll.result["poll"]["id"], votes))

    for _ in range(20):
        stats = await command(fake, fake.private_chat(officer), officer, "/quiz_stats")
        if "100%" in stats.params["text"]:
            break
        await asyncio.sleep(0.2)
    assert "Thống kê câu đố" in stats.params["text"] and "100%" in stats.params["text"]
    assert "Kênh Tuyên giáo" in stats.params["text"] and "-100700" not in stats.params["text"]  # names, not ids

    member = fake.user(MEMBER, "Thành")
    refused = await command(fake, group, member, "/quiz_stats")
    assert "chỉ dành cho cán bộ" in refused.params["text"]
    off = await command(fake, group, officer, "/quiz_off")
    assert "Đã dừng" in off.params["text"]
    assert not core.conversation().quiz.subscription("telegram", str(group["id"])).active


async def test_300_concurrent_poll_answers_over_http(fake, quiz_settings, bots):
    group = fake.group_chat(-100800, "Chi bộ Đông")
    core, _ = await bots(quiz_settings)
    grant(core)
    before = len(fake.calls)
    await fake.send(group, fake.user(OFFICER, "Tuyên giáo"), "/quiz_now")
    poll = (await fake.wait_for("sendPoll", lambda c: int(c.params["chat_id"]) == group["id"], after=before)).result[
        "poll"
    ]
    right = poll["correct_option_ids"][0]
    updates = [
        fake.poll_answer_update(poll["id"], fake.user(920000 + i, f"P{i}"), [right if i % 2 else (right + 1) % 4])
        for i in range(300)
    ]
    fake.enqueue(updates)

    from bot.storage.db import Database

    db = Database(quiz_settings.database_url)

    def stored() -> int:
        with db.session() as s:
            return s.query(QuizAnswer).count()

    for _ in range(150):  # poll from a worker thread: the bot keeps the event loop
        if await asyncio.to_thread(stored) >= 300:
            break
        await asyncio.sleep(0.2)
    rows = await asyncio.to_thread(core.conversation().quiz.leaderboard, "telegram", str(group["id"]), "all", 1000)
    assert len(rows) == 300 and sum(r.points for r in rows) == 150
