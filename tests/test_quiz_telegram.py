"""The daily quiz end to end on Telegram: roles, schedules that survive restarts, quiz polls, scoring, leaderboards."""

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.channels.telegram import app as tg
from bot.service import Assistant
from bot.storage.models import QuizAnswer
from tests.conftest import bot_settings

ADMIN, OFFICER, MEMBER = 900001, 900002, 900003
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def quiz_settings(seed_settings, tmp_path, fake):
    return bot_settings(seed_settings, fake, admin_ids=[ADMIN], database_url=f"sqlite:///{tmp_path / 'quiz.db'}")


@pytest.fixture
async def bots(fake, embedder):
    """Starts bots (a fresh core and application each, as after a process start); stops them all."""
    running = []

    async def start(settings):
        core = Assistant(settings, embedder=embedder)
        application = tg.build_app(settings, core)
        await tg.start(application, settings)
        running.append(application)
        return core, application

    yield start
    fake.release_polls()
    for application in running:
        if application.running:
            await tg.stop(application)


async def stop_bot(fake, application):
    fake.release_polls()
    await tg.stop(application)
    fake.resume_polls()


async def command(fake, chat, user, text):
    before = len(fake.calls)
    await fake.send(chat, user, text)
    return await fake.wait_for(
        "sendMessage", lambda c: int(c.params["chat_id"]) in (chat["id"], user["id"]), after=before
    )


async def drive(application, sub_id):
    """Move the scheduled job's clock to now instead of sleeping until 07:30."""
    (job,) = application.job_queue.get_jobs_by_name(f"quiz:{sub_id}")
    job.job.modify(next_run_time=dt.datetime.now(TZ))
    return job


async def test_subscribe_restart_scheduled_poll_answers_and_leaderboard(fake, quiz_settings, bots):
    admin, officer, member = fake.user(ADMIN, "Quản trị"), fake.user(OFFICER, "Tuyên giáo"), fake.user(MEMBER, "Thành")
    group = fake.group_chat(-100500, "Chi bộ Kiểm thử")
    core, application = await bots(quiz_settings)

    refused = await command(fake, group, member, "/quiz_on 07:30 T2-T6")
    assert "chỉ dành cho cán bộ tuyên giáo" in refused.params["text"]
    refused = await command(fake, group, member, f"/officer_add {MEMBER}")
    assert "chỉ dành cho quản trị viên" in refused.params["text"]
    granted = await command(fake, group, admin, f"/officer_add {OFFICER}")
    assert "Đã cấp quyền" in granted.params["text"]

    ok = await command(fake, group, officer, "/quiz_on 07:30 T2-T6")
    assert "07:30" in ok.params["text"] and "T2, T3, T4, T5, T6" in ok.params["text"]
    sub = core.quiz.subscription("telegram", str(group["id"]))
    (job,) = application.job_queue.get_jobs_by_name(f"quiz:{sub.id}")
    nxt = job.next_t.astimezone(TZ)
    assert (nxt.hour, nxt.minute) == (7, 30) and nxt.isoweekday() <= 5

    # Restart between subscribing and the job: the schedule comes back from the database.
    await stop_bot(fake, application)
    core, application = await bots(quiz_settings)
    before = len(fake.calls)
    await drive(application, sub.id)
    poll_call = await fake.wait_for("sendPoll", lambda c: int(c.params["chat_id"]) == group["id"], after=before)
    p = poll_call.params
    assert p["type"] == "quiz" and p["is_anonymous"] is False
    assert len(p["question"]) <= 300 and len(p["options"]) == 4
    assert all(len(o["text"] if isinstance(o, dict) else o) <= 100 for o in p["options"])
    assert len(p.get("explanation", "")) <= 200 and "46-CT/TU" in p["explanation"]
    (job,) = application.job_queue.get_jobs_by_name(f"quiz:{sub.id}")
    assert job.next_t.astimezone(TZ).hour == 7  # rescheduled for the next weekday morning

    poll = poll_call.result["poll"]
    right = poll["correct_option_ids"][0]
    wrong = (right + 1) % 4
    players = [fake.user(910000 + i, f"Đảng viên {i}") for i in range(4)]
    for i, player in enumerate(players):
        await fake.deliver(fake.poll_answer_update(poll["id"], player, [right if i < 3 else wrong]))
    await fake.deliver(fake.poll_answer_update(poll["id"], players[3], []))  # retract
    await fake.deliver(fake.poll_answer_update(poll["id"], players[3], [right]))  # changed vote: no points
    text = await _settled_board(fake, group, member)
    today = text[text.index("Hôm nay") : text.index("Tuần này")]
    assert all(f"Đảng viên {i} — 1 điểm" in today for i in range(3))
    assert "Đảng viên 3 — 0 điểm" in today  # its first answer was wrong; later votes changed nothing
    assert text.index("Tuần này") < text.index("Từ trước đến nay")


async def _settled_board(fake, chat, user, tries=30):
    """/bxh once all four answers are in (answers are processed concurrently)."""
    for _ in range(tries):
        text = (await command(fake, chat, user, "/bxh")).params["text"]
        if text.count("Đảng viên") == 12:  # four players in each of the three sections
            return text
        await asyncio.sleep(0.2)
    raise AssertionError(f"leaderboard never settled: {text}")


async def test_preview_skip_now_stats_and_channels(fake, quiz_settings, bots):
    officer = fake.user(OFFICER, "Tuyên giáo")
    fake.private_chat(officer)
    group = fake.group_chat(-100600, "Chi bộ Xem trước")
    channel = fake.channel_chat(-100700, "Kênh Tuyên giáo", username="kenh_tuyen_giao")
    core, application = await bots(quiz_settings)
    core.quiz.grant_officer("telegram", str(ADMIN), str(OFFICER))
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
    assert "Kênh Tuyên giáo" in ok.params["text"]
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

    member = fake.user(MEMBER, "Thành")
    refused = await command(fake, group, member, "/quiz_stats")
    assert "chỉ dành cho cán bộ" in refused.params["text"]
    off = await command(fake, group, officer, "/quiz_off")
    assert "Đã dừng" in off.params["text"]
    sub = core.quiz.subscription("telegram", str(group["id"]))
    assert application.job_queue.get_jobs_by_name(f"quiz:{sub.id}") == ()


async def test_300_concurrent_poll_answers_over_http(fake, quiz_settings, bots):
    group = fake.group_chat(-100800, "Chi bộ Đông")
    core, application = await bots(quiz_settings)
    core.quiz.grant_officer("telegram", str(ADMIN), str(OFFICER))
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

    def stored() -> int:
        with core.db.session() as s:
            return s.query(QuizAnswer).count()

    for _ in range(150):  # poll from a worker thread: the bot keeps the event loop
        if await asyncio.to_thread(stored) >= 300:
            break
        await asyncio.sleep(0.2)
    rows = await asyncio.to_thread(core.quiz.leaderboard, "telegram", str(group["id"]), "all", 1000)
    assert len(rows) == 300 and sum(r.points for r in rows) == 150
