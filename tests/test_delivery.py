"""Delivery that never loses a message (Telegram, against a fake Bot API returning the real errors):
long answers cut into valid HTML parts, retries on 502 / dropped connections / 429, chats that
migrate or kick the bot, edits, captions, tampered buttons, "typing…", logging only when delivered."""

import asyncio
import contextlib
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.answer.model import Answer, Source
from bot.channels.split import split_blocks, split_text, utf16_len
from bot.channels.telegram import render
from bot.conversation.replies import Quote
from bot.conversation.scheduler import QuizScheduler
from bot.service import Assistant
from bot.storage.db import Database
from bot.storage.models import QuestionLog, QuizDelivery, QuizSubscription
from tests.conftest import bot_settings
from tests.fakes.telegram_api import parse_html

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
ADMIN, OFFICER = 610001, 610002
SOURCE = Source("Hỏi-Đáp <thử> & “kiểm”", "46-ct-tu", "46-CT/TU", "Hỏi-Đáp Chỉ thị số 46-CT/TU", 4, 5)
PIECES = st.sampled_from(
    ["<", "&", "&amp;", '"', "'", "“", "”", "😀", "👨‍👩‍👧", "\n", "\n\n", " ", "(1) ", "</blockquote>"]
)
WORDS = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12)


@st.composite
def long_answers(draw):
    size = draw(st.integers(1, 20_000))
    parts, length = [], 0
    while length < size:
        part = draw(st.one_of(PIECES, WORDS))
        parts.append(part)
        length += len(part)
    return "".join(parts)[:size]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=long_answers(), item=st.booleans())
def test_every_part_of_any_answer_is_valid_html_within_the_limit(text, item):
    answer = Answer(
        found=True,
        answer=text,
        question="Câu <hỏi> & “gốc”?",
        source=SOURCE,
        kind="item" if item else "answer",
    )
    parts = render.messages(Quote(answer=answer))
    assert parts
    shown = []
    for part in parts:
        assert utf16_len(part.html) <= render.MESSAGE_LIMIT
        shown.append(parse_html(part.html))  # raises as the Bot API does: "can't parse entities"
    # Nothing lost: every non-blank character of the official text reaches the member, in order.
    seen = "".join(shown)
    assert "".join(text.split()) in "".join(seen.split())
    assert parts[-1].html.endswith("Hỏi-Đáp Chỉ thị số 46-CT/TU")


def test_splitting_prefers_paragraphs_and_counts_utf16():
    paragraphs = [f"({i}) " + "lời văn chính thức " * 20 for i in range(1, 13)]
    pieces = split_text("\n".join(paragraphs), 1000)
    assert all(len(p) <= 1000 for p in pieces) and "\n".join(pieces) == "\n".join(paragraphs)
    assert all(p.startswith("(") for p in pieces)
    emoji = "😀" * 1500  # 3,000 UTF-16 units
    assert [utf16_len(p) for p in split_text(emoji, 2000)] == [2000, 1000]
    (one,) = split_blocks([("b", "a < b & c")], 4096)
    assert one == "<b>a &lt; b &amp; c</b>"


@pytest.fixture(params=["memory", "redis"])
async def bot(request, fake, seed_settings, tmp_path, embedder):
    """The bot as one process (limits, send budget and duplicate checks in memory) and as one of
    several (the same in Redis): Telegram's failures must be survived either way."""
    shared = {}
    if request.param == "redis":
        from pydantic import SecretStr

        from tests.cluster import REDIS_URL

        shared = {"redis_url": SecretStr(REDIS_URL), "redis_prefix": f"hoidap-test-{tmp_path.name}"}
    settings = bot_settings(
        seed_settings, fake, admin_ids=[ADMIN], database_url=f"sqlite:///{tmp_path / 'delivery.db'}", **shared
    )
    core = Assistant(settings, embedder=embedder)
    scheduler = QuizScheduler(core.conversation())
    from bot.channels.telegram.app import TelegramChannel

    channel = TelegramChannel(settings, core, scheduler)
    channel.typing_after = 0  # "typing…" at once (by default only for answers slower than half a second)
    await channel.start()
    yield core, scheduler
    fake.release_polls()
    await channel.stop()
    core.close()
    if shared:
        import redis

        r = redis.Redis.from_url(REDIS_URL)
        for key in r.scan_iter(f"{shared['redis_prefix']}*"):
            r.delete(key)
        r.close()


async def ask(fake, user, text, timeout=60):
    chat = fake.private_chat(user)
    before = len(fake.calls)
    await fake.send(chat, user, text)
    return await fake.wait_for(
        "sendMessage", lambda c: int(c.params["chat_id"]) == chat["id"], after=before, timeout=timeout
    )


async def test_the_whole_long_answer_arrives_in_valid_parts(fake, bot):
    user = fake.user(620001, "Lan")
    full = await ask(fake, user, "tham mưu lòng vòng")
    button = next(b for row in full.params["reply_markup"]["inline_keyboard"] for b in row if "toàn văn" in b["text"])
    before = len(fake.calls)
    await fake.press(full.result, user, button["callback_data"])
    whole = await fake.wait_for("sendMessage", lambda c: "(12) Buông lỏng" in c.params["text"], after=before)
    assert whole.params["text"].count("<blockquote>") == whole.params["text"].count("</blockquote>") == 1


async def test_502_dropped_connections_and_five_429s_deliver_every_answer_once(fake, bot):
    core, _ = bot
    users = [fake.user(630000 + i, f"Hỏi {i}") for i in range(3)]
    fake.inject("sendMessage", 502, "network", 429, 429, 429, 429, 429)
    calls = await asyncio.gather(*(ask(fake, u, "khoán sản phẩm là gì", timeout=120) for u in users))
    assert all("Câu hỏi 5" in c.params["text"] for c in calls)
    await asyncio.sleep(0.5)
    for u in users:
        assert len(fake.sent_to(u["id"])) == 1  # once each: never lost, never doubled
    assert await asyncio.to_thread(core.flush_records, 30)
    with Database(core.settings.database_url).session() as s:
        logged = s.query(QuestionLog).filter(QuestionLog.user_id.in_([str(u["id"]) for u in users])).all()
    assert len(logged) == 3 and all(r.delivered for r in logged)


async def test_an_answer_that_cannot_be_delivered_is_not_logged_as_answered(fake, bot):
    core, _ = bot
    user = fake.user(640001, "Chặn")
    fake.kick(fake.private_chat(user), "Forbidden: bot was blocked by the user")
    await fake.send(fake.private_chat(user), user, "khoán sản phẩm là gì")
    for _ in range(100):
        await asyncio.to_thread(core.flush_records, 30)
        with Database(core.settings.database_url).session() as s:
            row = s.query(QuestionLog).filter_by(user_id=str(user["id"])).one_or_none()
        if row is not None:
            break
        await asyncio.sleep(0.1)
    assert row is not None and row.found and not row.delivered


async def _group_quiz(fake, core, scheduler, group):
    conv = core.conversation()
    from bot.conversation.actor import Actor, Incoming

    conv.roles.grant(Actor("telegram", str(ADMIN), str(ADMIN)), str(OFFICER))
    slot = (dt.datetime.now(TZ) + dt.timedelta(minutes=2)).replace(second=0, microsecond=0)
    officer = Actor("telegram", str(OFFICER), str(group["id"]), "group", "Tuyên giáo", group["title"])
    await asyncio.to_thread(conv.text, officer, Incoming(text=f"/quiz_on {slot:%H:%M}", addressed=True))
    return slot


async def test_a_migrated_group_gets_the_next_quiz_with_its_scores(fake, bot):
    core, scheduler = bot
    group = fake.group_chat(-650001, "Chi bộ Cũ", kind="group")
    slot = await _group_quiz(fake, core, scheduler, group)
    before = len(fake.calls)
    await scheduler.tick(slot + dt.timedelta(seconds=30))
    poll = (await fake.wait_for("sendPoll", lambda c: int(c.params["chat_id"]) == group["id"], after=before)).result
    right = poll["poll"]["correct_option_ids"][0]
    member = fake.user(650010, "Thành")
    await fake.deliver(fake.poll_answer_update(poll["poll"]["id"], member, [right]))

    new = fake.migrate(group, -1009990001)  # the group became a supergroup
    before = len(fake.calls)
    await scheduler.tick(slot + dt.timedelta(days=1, seconds=30))
    moved = await fake.wait_for("sendPoll", lambda c: int(c.params["chat_id"]) == new["id"], after=before)
    assert moved.result["poll"]["question"]
    sub = core.conversation().quiz.subscription("telegram", str(new["id"]))
    assert sub is not None and sub.active
    for _ in range(40):
        board = core.conversation().quiz.leaderboard("telegram", str(new["id"]), "all")
        if board:
            break
        await asyncio.sleep(0.1)
    assert [(r.name, r.points) for r in board] == [("Thành", 1)]  # scores kept


async def test_a_kicked_bot_stops_the_quiz_and_tells_the_officer(fake, bot):
    core, scheduler = bot
    fake.private_chat(fake.user(OFFICER, "Tuyên giáo"))
    group = fake.group_chat(-1006600001, "Chi bộ Đóng")
    slot = await _group_quiz(fake, core, scheduler, group)
    fake.kick(group)
    before = len(fake.calls)
    await scheduler.tick(slot + dt.timedelta(seconds=30))
    notice = await fake.wait_for("sendMessage", lambda c: int(c.params["chat_id"]) == OFFICER, after=before)
    assert "Chi bộ Đóng" in notice.params["text"] and "/quiz_on" in notice.params["text"]
    with Database(core.settings.database_url).session() as s:
        sub = s.query(QuizSubscription).filter_by(chat_id=str(group["id"])).one()
        assert not sub.active and sub.stopped_reason == "forbidden"
    assert await scheduler.tick(slot + dt.timedelta(days=1, seconds=30)) == 0

    # The same when Telegram reports it as a membership change.
    other = fake.group_chat(-1006600002, "Chi bộ Rời")
    slot = await _group_quiz(fake, core, scheduler, other)
    before = len(fake.calls)
    await fake.deliver(fake.membership_update(other, fake.user(1, "Trưởng nhóm"), "kicked"))
    notice = await fake.wait_for("sendMessage", lambda c: "Chi bộ Rời" in c.params["text"], after=before)
    assert int(notice.params["chat_id"]) == OFFICER


async def test_editing_quiz_now_never_sends_a_second_quiz_but_questions_are_answered_again(fake, bot):
    core, _ = bot
    from bot.conversation.actor import Actor

    core.conversation().roles.grant(Actor("telegram", str(ADMIN), str(ADMIN)), str(OFFICER))
    group = fake.group_chat(-1006700001, "Chi bộ Sửa")
    officer = fake.user(OFFICER, "Tuyên giáo")
    update = fake.text_update(group, officer, "/quiz_now")
    await fake.deliver(update)
    await fake.wait_for("sendPoll", lambda c: int(c.params["chat_id"]) == group["id"])
    edited = dict(update)
    edited["edited_message"] = {**update["message"], "edit_date": 1}
    del edited["message"]
    edited["update_id"] = update["update_id"] + 10_000
    await fake.deliver(edited)
    await fake.send(group, officer, "/hoi khoán sản phẩm là gì")  # a marker
    await fake.wait_for("sendMessage", lambda c: "Câu hỏi 5" in c.params["text"])
    assert len(fake.sent_to(group["id"], "sendPoll")) == 1


async def test_captions_are_questions_and_groups_stay_quiet_for_chatter(fake, bot):
    user = fake.user(680001, "Ảnh")
    chat = fake.private_chat(user)
    before = len(fake.calls)
    await fake.deliver(fake.photo_update(chat, user, "khoán sản phẩm là gì"))
    answer = await fake.wait_for("sendMessage", lambda c: int(c.params["chat_id"]) == chat["id"], after=before)
    assert "Câu hỏi 5" in answer.params["text"]
    assert any(c.method == "sendChatAction" for c in fake.calls[before:])  # "typing…" while answering

    group = fake.group_chat(-1006800001, "Chi bộ Vui")
    await fake.send(group, user, "/hoi người đứng đầu phải thế nào")
    bot_message = await fake.wait_for("sendMessage", lambda c: int(c.params["chat_id"]) == group["id"])
    for chatter in ("cảm ơn bot", "ok", "👍", "Em chọn đáp án B"):
        await fake.send(group, user, chatter, reply_to=bot_message.result)
    before = len(fake.calls)
    await fake.send(group, user, "còn khoán sản phẩm là gì?", reply_to=bot_message.result)
    await fake.wait_for("sendMessage", lambda c: "Câu hỏi 5" in c.params["text"], after=before)
    assert len(fake.sent_to(group["id"])) == 2  # the chatter got nothing


@pytest.mark.parametrize("data", ["f|999999999999999999999|1", "u|x", "", "a|46-ct-tu|0", "a|../x|1", "x" * 80])
async def test_tampered_buttons_get_a_short_notice(fake, bot, data):
    user = fake.user(690001, "Tò mò")
    call = await ask(fake, user, "khoán sản phẩm là gì")
    before = len(fake.calls)
    await fake.press(call.result, user, data)
    ack = await fake.wait_for("answerCallbackQuery", after=before)
    assert "không hợp lệ" in ack.params.get("text", "")


async def test_429s_are_counted_apart_from_failures():
    """Telegram's "retry after" paces the bot; it is not a failure: twelve 429s in a row do not use up
    the ten attempts, and the 500 after them waits the first backoff step, not the fifteenth second."""
    from telegram.error import NetworkError, RetryAfter

    from bot.channels.retry import ATTEMPTS, BASE, send_retrying
    from bot.channels.telegram.app import retry_wait

    waits: list[float] = []

    async def no_sleep(seconds: float) -> None:
        waits.append(round(seconds, 2))

    answers = [RetryAfter(1)] * 12 + [NetworkError("Internal Server Error")]

    async def send():
        if answers:
            raise answers.pop(0)
        return "delivered"

    assert await send_retrying(send, retry_wait, "telegram sendMessage", sleep=no_sleep) == "delivered"
    assert waits == [1.1] * 12 + [BASE]

    # Failures alone are bounded: the tenth gives up.
    waits.clear()
    failures = 0

    async def down():
        nonlocal failures
        failures += 1
        raise NetworkError("Bad Gateway")

    with pytest.raises(NetworkError):
        await send_retrying(down, retry_wait, "telegram sendMessage", sleep=no_sleep)
    assert failures == ATTEMPTS and waits[:3] == [BASE, 2 * BASE, 4 * BASE]


@contextlib.asynccontextmanager
async def _quiz_held_by_the_group_budget(fake, seed_settings, tmp_path, embedder, group_id: int, title: str, **extra):
    """A bot whose scheduled quiz for one group is waiting for the group's send budget (a flood used it
    up): yields (settings, group, go_on, tick) once it waits; ``go_on`` lets it through, ``tick`` is the
    scheduler's run that sends it."""
    from bot.channels.telegram.app import TelegramChannel

    database = f"sqlite:///{tmp_path / 'q.db'}"
    settings = bot_settings(seed_settings, fake, admin_ids=[ADMIN], database_url=database, **extra)
    core = Assistant(settings, embedder=embedder)
    scheduler = QuizScheduler(core.conversation())
    channel = TelegramChannel(settings, core, scheduler)
    await channel.start()
    try:
        group = fake.group_chat(group_id, title)
        slot = await _group_quiz(fake, core, scheduler, group)
        waiting, go_on = asyncio.Event(), asyncio.Event()
        real = channel.budget.group

        async def used_up(chat_id):
            waiting.set()
            await go_on.wait()
            await real(chat_id)

        channel.budget.group = used_up
        tick = asyncio.create_task(scheduler.tick(slot + dt.timedelta(seconds=30)))
        await waiting.wait()
        yield settings, group, go_on, tick
    finally:
        fake.release_polls()
        await channel.stop()
        core.close()


async def test_a_quiz_taken_over_while_it_waited_is_never_sent_by_its_first_owner(
    fake, seed_settings, tmp_path, embedder
):
    """The window for a second copy of a quiz is one request: a process whose quiz waited for the
    group's budget past the claim timeout finds, just before sending, that another process took the
    claim over (compare-and-set on the claim's mark), and does not send it."""
    from bot.quiz.service import QuizService

    async with _quiz_held_by_the_group_budget(fake, seed_settings, tmp_path, embedder, -1006900001, "Chi bộ Chờ") as (
        settings,
        group,
        go_on,
        tick,
    ):
        other = QuizService(Database(settings.database_url), settings.timezone)  # another process
        taken = other.reclaim_stale({"telegram"}, dt.timedelta(0), dt.timedelta(hours=1))
        assert len(taken) == 1  # the claim timeout passed: it is theirs now
        go_on.set()
        await tick
        await asyncio.sleep(0.5)
        assert fake.sent_to(group["id"], "sendPoll") == []  # not sent here: the other process sends it
        with Database(settings.database_url).session() as s:
            assert s.query(QuizDelivery).filter_by(chat_id=str(group["id"])).one().status == "claimed"


async def test_a_quiz_kept_waiting_longer_than_the_claim_timeout_stays_its_living_process_s(
    fake, seed_settings, tmp_path, embedder
):
    """While a process waits to send a quiz (a group's budget, a slow API, retries) it keeps its claim
    fresh: another process takes over only the claims of a process that died, so no group gets two."""
    from bot.quiz.service import QuizService

    timeout = 5.0
    async with _quiz_held_by_the_group_budget(
        fake, seed_settings, tmp_path, embedder, -1006900002, "Chi bộ Đợi Lâu", quiz_claim_timeout_seconds=timeout
    ) as (settings, group, go_on, tick):
        await asyncio.sleep(timeout + 1.5)  # longer than the claim timeout
        other = QuizService(Database(settings.database_url), settings.timezone)  # another, living process
        assert other.reclaim_stale({"telegram"}, dt.timedelta(seconds=timeout), dt.timedelta(hours=1)) == []
        go_on.set()
        await tick
        await fake.wait_for("sendPoll", lambda c: int(c.params["chat_id"]) == group["id"])
        assert len(fake.sent_to(group["id"], "sendPoll")) == 1
