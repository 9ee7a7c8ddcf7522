"""Province scale: three `hoidap serve` processes behind one webhook URL, on one PostgreSQL and one Redis.

The processes are real OS processes started from the command line, as an operator would run them
(tests/cluster.py), each with its own folders as on hosts of their own — they share only the database
and Redis, and start with empty folders; the fake Bot API plays Telegram and the load balancer in
front of them. Every quiz goes out once, every answer is scored once, a change made through one
process is obeyed by the others, and a process killed mid-delivery — of quizzes, or of answers to
updates it had accepted — loses and duplicates nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.storage.models import QuizDelivery
from tests.cluster import Cluster, fresh_database, polls_to, until
from tests.test_admin_telegram import KH77, as_docx

PROCESSES = 3
ADMIN = 870001
TZ = "Asia/Ho_Chi_Minh"
CLAIM_TIMEOUT = 8  # seconds before a dead process's claimed quiz is taken over
LEASE = 3  # seconds before the updates a dead process had accepted are taken over


@pytest.fixture
async def cluster(tmp_path, fake, seed_settings):
    with fresh_database() as url:
        c = Cluster(
            tmp_path,
            fake,
            url,
            seed_settings.index_dir,
            PROCESSES,
            ADMIN,
            TZ,
            separate=True,
            quiz_claim_timeout_seconds=CLAIM_TIMEOUT,
            intake_lease_seconds=LEASE,
            questions_per_minute=1000,
        )
        c.start()
        try:
            await c.ready()
            yield c
        finally:
            c.stop()


async def test_three_processes_share_quizzes_answers_schedules_and_documents(cluster):
    fake, local = cluster.fake, ZoneInfo(TZ)
    now = dt.datetime.now(local)
    admin = fake.user(ADMIN, "Quản trị")

    # /quiz_off handled by process 0 must stop the delivery by 1 and 2: two chats due at the next
    # minute (at least 20 s away), one turned off now; the other shows the minute came and went.
    later = (now + dt.timedelta(minutes=1 if now.second < 40 else 2)).replace(second=0, microsecond=0)
    off, control = fake.group_chat(-100900001, "Chi bộ tắt"), fake.group_chat(-100900002, "Chi bộ đối chứng")
    cluster.subscribe([off, control], later)
    before = len(fake.calls)
    await fake.deliver(fake.text_update(off, admin, "/quiz_off"), to=0)
    reply = await fake.wait_for("sendMessage", lambda c: int(c.params["chat_id"]) == off["id"], after=before)
    assert "Đã dừng câu đố" in reply.params["text"]

    # 200 unit groups due the same minute: exactly 200 quizzes, one per group, whoever claims them.
    groups = [fake.group_chat(-100100000 - i, f"Chi bộ {i}") for i in range(200)]
    cluster.subscribe(groups, now.replace(second=0, microsecond=0))
    await until(lambda: len(polls_to(fake, groups)) == 200, 90, "200 quizzes")
    await asyncio.sleep(3)  # three more ticks of every process: nothing more goes out
    sent = polls_to(fake, groups)
    assert len(sent) == 200 and all(len(calls) == 1 for calls in sent.values())

    # 1,000 poll answers over the three processes, 100 of them delivered twice (to another process,
    # as Telegram does when a webhook answer is late): each scored once.
    updates = []
    for i, chat in enumerate(groups):
        poll = sent[chat["id"]][0].result["poll"]
        for j in range(5):
            member = fake.user(700000 + i * 10 + j, f"Đảng viên {i}.{j}")
            updates.append(fake.poll_answer_update(poll["id"], member, [j % len(poll["options"])]))
    resent = updates[::10]
    await asyncio.gather(*(fake.deliver(u) for u in updates + resent))
    await until(lambda: len(cluster.answers()) >= 1000, 60, "1,000 answers scored")
    await asyncio.sleep(2)
    answers = cluster.answers()
    assert len(answers) == 1000 and len(set(answers)) == 1000

    # A question whose webhook answer came late is posted again, to another process: one answer.
    member = fake.user(850001, "Thành viên")
    question = fake.text_update(fake.private_chat(member), member, "Người đứng đầu phải làm gì?")
    await asyncio.gather(fake.deliver(question, to=0), fake.deliver(question, to=1))
    await fake.wait_for("sendMessage", lambda c: int(c.params["chat_id"]) == member["id"])
    await asyncio.sleep(2)
    assert len(fake.sent_to(member["id"])) == 1

    # An upload previewed on process 0 and confirmed through process 2 builds once; all three
    # answer from the new version within 10 s.
    chat = fake.private_chat(admin)
    before = len(fake.calls)
    await fake.deliver(fake.document_update(chat, admin, "kế hoạch 77.docx", as_docx(KH77), "application/msword"), to=0)
    preview = await fake.wait_for("sendMessage", lambda c: int(c.params["chat_id"]) == ADMIN, after=before)
    button = next(
        b for row in preview.params["reply_markup"]["inline_keyboard"] for b in row if "Cập nhật" in b["text"]
    )
    versions = len(cluster.stored_versions())
    before = len(fake.calls)
    await fake.deliver(fake.callback_update(preview.result, admin, button["callback_data"]), to=2)
    await fake.wait_for(
        "editMessageText", lambda c: "Đã cập nhật chỉ mục" in c.params["text"], after=before, timeout=180
    )
    built = time.monotonic()
    assert len(cluster.stored_versions()) == versions + 1  # built once
    for i in range(PROCESSES):
        member = fake.user(860000 + i, "Thành viên")
        while True:
            before = len(fake.calls)
            await fake.deliver(
                fake.text_update(fake.private_chat(member), member, "Khi có cảnh báo bão, cấp ủy phải làm gì?"), to=i
            )
            reply = await fake.wait_for(
                "sendMessage", lambda c, m=member: int(c.params["chat_id"]) == m["id"], after=before
            )
            if "77-KH/TU" in reply.params["text"]:
                break
            assert time.monotonic() - built < 10, f"process {i} still answers from the old version"
            await asyncio.sleep(0.5)

    # The minute of the two chats came: the control chat got its quiz, the turned-off one none.
    await until(lambda: polls_to(fake, [control]), 150, "the control chat's quiz")
    await asyncio.sleep(3)
    assert not polls_to(fake, [off])

    # Killing a process mid-delivery: Telegram is slow, 60 more groups are due, process 1 dies while
    # sending. Its claims are taken over after the claim timeout; every group gets exactly one quiz.
    fake.slow["sendPoll"] = 0.4
    more = [fake.group_chat(-100200000 - i, f"Tổ {i}") for i in range(60)]
    cluster.subscribe(more, dt.datetime.now(local).replace(second=0, microsecond=0))
    await until(lambda: len(polls_to(fake, more)) >= 6, 60, "the first quizzes of the second batch")
    killed_at = time.monotonic()  # the fake's clock too (Call.at)
    cluster.kill(1)
    await until(lambda: len(polls_to(fake, more)) == 60, 120, "all 60 quizzes after the kill")
    fake.slow.clear()
    await asyncio.sleep(CLAIM_TIMEOUT + 3)
    sent = polls_to(fake, more)
    twice = {chat: [c.at for c in calls] for chat, calls in sent.items() if len(calls) != 1}
    # The one case no bot can rule out (docs/quiz.md: the Bot API has no idempotency key): a process
    # killed after Telegram accepted sendPoll and before the reply reached it. The kill above comes
    # right after quizzes were seen accepted, so it can land there; such a quiz goes out once more after
    # the claim timeout. Only a quiz accepted in the instant before the kill may be doubled, never more.
    in_flight = {chat: at for chat, at in twice.items() if len(at) == 2 and killed_at - 1.0 <= at[0] <= killed_at}
    assert len(sent) == 60 and twice == in_flight, (twice, killed_at, cluster.log(0)[-3000:])
    with cluster.db.session() as s:
        unsent = s.scalar(select(func.count()).select_from(QuizDelivery).where(QuizDelivery.status != "sent"))
    assert unsent == 0

    # Killing a process holding accepted updates: 60 questions answered 200 by process 2 while Telegram
    # is slow to take the answers, then SIGKILL. Telegram never posts them again; process 0 answers all.
    fake.slow["sendMessage"] = 1.0
    members = [fake.user(880000 + i, f"Hỏi {i}") for i in range(60)]
    statuses = await asyncio.gather(
        *(fake.deliver(fake.text_update(fake.private_chat(m), m, "Người đứng đầu phải làm gì?"), to=2) for m in members)
    )
    assert statuses == [200] * 60
    await asyncio.sleep(0.3)
    cluster.kill(2)
    fake.slow.clear()
    await until(lambda: all(fake.sent_to(m["id"]) for m in members), 60, "answers to the 60 accepted questions")
    assert all("nêu gương" in fake.sent_to(m["id"])[0].params["text"] for m in members)


# --- what the processes share in Redis, checked directly --------------------------------------------
@pytest.fixture
def redis_pair():
    """Two processes' views of one Redis (same key prefix), cleaned afterwards."""
    import uuid

    import redis

    from bot.shared import Shared
    from tests.cluster import REDIS_URL

    prefix = f"hoidap-test-{uuid.uuid4().hex[:8]}"
    yield Shared(REDIS_URL, prefix), Shared(REDIS_URL, prefix)
    r = redis.Redis.from_url(REDIS_URL)
    for key in r.scan_iter(f"{prefix}*"):
        r.delete(key)
    r.close()


def test_a_members_question_limit_counts_in_every_process(redis_pair):
    from bot.conversation.ratelimit import UserRateLimiter

    a, b = (UserRateLimiter(3, shared) for shared in redis_pair)
    assert a.allow("telegram:42") and b.allow("telegram:42") and a.allow("telegram:42")
    assert not b.allow("telegram:42") and not a.allow("telegram:42")  # the 4th, wherever it lands
    assert b.should_warn("telegram:42") and not a.should_warn("telegram:42")  # warned once, not per process
    assert b.allow("telegram:43")  # another member is not held back


async def test_the_telegram_send_budget_is_one_for_all_processes(redis_pair):
    from bot.channels.telegram.budget import PER_GROUP, OverallLimiter, SendBudget

    budgets = [SendBudget(shared, per_second=6) for shared in redis_pair]  # 5 a second: one kept in hand
    hooks = [OverallLimiter(b) for b in budgets]
    sent = []

    async def send(i):
        sent.append(i)
        return True

    for i in range(5):  # five messages, alternately through each process
        await hooks[i % 2].process_request(send, (i,), {}, "sendMessage", {"chat_id": 1000 + i}, None)
    assert sent == [0, 1, 2, 3, 4]
    limiter = redis_pair[0].async_limiter()
    assert not await limiter.test(budgets[0].overall, "telegram-send")  # the bot's second is used up
    stats = await limiter.get_window_stats(budgets[1].overall, "telegram-send")
    assert stats.remaining == 0

    # A group's 20 messages a minute, posted through both processes: the window is full for both.
    for i in range(PER_GROUP.amount):
        await budgets[i % 2].group("-100123")
    assert await budgets[0].group_room("-100123") == 0 and await budgets[1].group_room("-100123") == 0
    assert await budgets[1].group_room("-100456") == PER_GROUP.amount  # another group is not held back


async def test_an_update_posted_again_to_another_process_is_handled_once(redis_pair):
    from bot.shared import Seen

    here, there = Seen(redis_pair[0]), Seen(redis_pair[1])
    assert await here.first_time("telegram-update:501")
    assert not await there.first_time("telegram-update:501")  # Telegram's retry, landed elsewhere
    assert await there.first_time("telegram-update:502")


async def test_one_members_updates_wait_for_each_other_across_processes(redis_pair):
    from bot.shared import KeyedLocks

    here, there = KeyedLocks(redis_pair[0]), KeyedLocks(redis_pair[1])
    events = []

    async def handle(locks, name, key, hold):
        async with locks.hold(key):
            events.append(f"{name} starts")
            await asyncio.sleep(hold)
            events.append(f"{name} ends")

    first = asyncio.create_task(handle(here, "vote", ("user", 7), 0.3))
    await asyncio.sleep(0.05)
    await asyncio.gather(first, handle(there, "changed vote", ("user", 7), 0), handle(there, "other", ("user", 8), 0))
    assert events.index("vote ends") < events.index("changed vote starts")  # same member: one after another
    assert events.index("other ends") < events.index("vote ends")  # another member did not wait


async def test_redis_out_of_reach_never_costs_a_member_an_answer(caplog, monkeypatch):
    import logging

    from bot import outages
    from bot.channels.telegram.budget import OverallLimiter, SendBudget
    from bot.conversation.ratelimit import UserRateLimiter
    from bot.shared import KeyedLocks, Seen, Shared

    caplog.set_level(logging.WARNING, logger="bot.dependencies")
    outages.reset()  # nothing logged by an earlier test within "the last minute"
    gone = Shared("redis://127.0.0.1:1/0")  # nothing listens there: every call is refused
    assert UserRateLimiter(1, gone).allow("telegram:42")  # counted nowhere, so allowed
    assert await Seen(gone).first_time("telegram-update:7")
    async with KeyedLocks(gone).hold(("user", 42)):  # this process's order still holds
        pass
    sent = []

    async def send():
        sent.append(1)
        return True

    budget = SendBudget(gone, 30)
    await OverallLimiter(budget).process_request(send, (), {}, "sendMessage", {"chat_id": 42}, None)
    await budget.group("-100777")  # a group's window that cannot be read does not hold its answers
    assert await budget.until_group_room("-100777") > 0
    assert sent == [1]

    # With Redis down every request fails; the log says so once a minute, not once a request.
    for _ in range(200):
        assert UserRateLimiter(1, gone).allow("telegram:43")
    warnings = [r for r in caplog.records if "redis unavailable" in r.getMessage()]
    assert len(warnings) == 1
    monkeypatch.setattr(outages, "EVERY", 0.0)  # as if the minute were over
    gone.allow(UserRateLimiter(1, gone)._item, "questions", "x")
    warnings = [r for r in caplog.records if "redis unavailable" in r.getMessage()]
    assert len(warnings) == 2 and "more since the last warning" in warnings[-1].getMessage()
    outages.reset()
