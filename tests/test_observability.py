"""What an operator sees: JSON log lines per request and per answered question (never question text,
ids or secret paths), end-to-end and HTTP metrics, /readyz with Redis (degraded, still ready) and the
database, dependency failures logged once a minute, and trusted proxies as a setting."""

from __future__ import annotations

import asyncio
import io
import json
import logging

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from bot import outages
from bot.channels.runner import Runner
from bot.observe import JsonFormatter
from bot.service import Assistant
from tests.conftest import bot_settings, free_port, make_settings

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens there


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@pytest.fixture
def json_log(caplog):
    """Everything logged at INFO and above, formatted as HOIDAP_LOG_FORMAT=json formats it."""
    caplog.set_level(logging.INFO)
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    logging.getLogger().addHandler(handler)
    yield lambda: [json.loads(line) for line in out.getvalue().splitlines()]
    logging.getLogger().removeHandler(handler)


async def test_a_json_line_per_request_and_per_answered_question_without_text_or_ids(
    fake, assistant, seed_settings, json_log
):
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/secret-path-8d1e"
    settings = bot_settings(
        seed_settings, fake, telegram_mode="webhook", webhook_url=url, webhook_secret=SecretStr("s3cret-value")
    )
    runner = Runner(settings, assistant, http=("127.0.0.1", port))
    await runner.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            before = samples((await client.get("/metrics")).text)
            user = fake.user(7310042, "Nguyễn Văn Hỏi")
            chat = fake.private_chat(user)
            assert await fake.deliver(fake.text_update(chat, user, "người đứng đầu phải thế nào")) == 200
            await fake.wait_for("sendMessage", lambda c: int(c.params["chat_id"]) == chat["id"])
            for _ in range(40):  # the line is written once the reply was delivered
                lines = json_log()
                if any(line.get("event") == "question" for line in lines):
                    break
                await asyncio.sleep(0.05)
            after = samples((await client.get("/metrics")).text)
    finally:
        await runner.stop()

    request = next(line for line in lines if line.get("event") == "request" and line["method"] == "POST")
    assert request["route"] == "webhook:telegram" and request["status"] == 200 and request["latency_ms"] >= 0
    question = next(line for line in lines if line.get("event") == "question")
    assert question["channel"] == "telegram" and question["outcome"] == "answered" and question["delivered"]
    assert question["version"] == assistant.index.current().name
    assert question["member"] == assistant.records.member_key("telegram", str(user["id"])) and question["member"]
    assert question["latency_ms"] >= question["answer_ms"] > 0
    everything = json.dumps(lines, ensure_ascii=False)
    for private in ("người đứng đầu", str(user["id"]), "Nguyễn Văn Hỏi", "secret-path-8d1e", "s3cret-value"):
        assert private not in everything

    def grew(name, **labels):
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert grew("hoidap_intake_accepted_total", channel="telegram") == 1
    assert grew("hoidap_reply_seconds_count", channel="telegram") == 1
    assert grew("hoidap_http_requests_total", route="webhook:telegram", method="POST", status="200") == 1


@pytest.fixture
def pg_url():
    from tests.cluster import fresh_database

    with fresh_database() as url:
        yield url


async def test_readyz_reports_redis_degraded_but_ready_and_the_database_not_ready(
    tmp_path, pg_url, seed_settings, embedder
):
    import shutil

    from sqlalchemy import create_engine, text

    from tests.cluster import PG_ADMIN_URL

    settings = make_settings(tmp_path, database_url=pg_url, redis_url=SecretStr(DEAD_REDIS))
    shutil.copytree(seed_settings.index_dir, settings.index_dir)
    core = Assistant(settings, embedder=embedder)
    port = free_port()
    runner = Runner(settings, core, http=("127.0.0.1", port))
    await runner.start()
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = pg_url.rsplit("/", 1)[1]
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            ready = await client.get("/readyz")
            assert ready.status_code == 200
            assert ready.json() | {"index": None} == {
                "ready": True,
                "index": None,
                "database": True,
                "redis": "unavailable",
                "degraded": True,
            }
            with admin.connect() as c:  # the database goes away: no new connections, the old ones cut
                c.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
                c.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
            down = await client.get("/readyz")
            assert down.status_code == 503 and down.json()["ready"] is False and down.json()["database"] is False
            scraped = samples((await client.get("/metrics")).text)
            assert scraped[("hoidap_ready", ())] == 0
            assert scraped[("hoidap_dependency_errors_total", (("dependency", "database"),))] >= 1
            assert scraped[("hoidap_dependency_errors_total", (("dependency", "redis"),))] >= 1
    finally:
        with admin.connect() as c:
            c.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()
        await runner.stop()
        core.close()


def test_a_dependency_that_is_down_is_logged_once_a_minute_and_counted_every_time(caplog):
    import uuid

    from limits import RateLimitItemPerMinute

    from bot import metrics
    from bot.shared import Shared
    from tests.cluster import REDIS_URL

    outages.reset()
    gone = Shared(DEAD_REDIS)
    counted = metrics.DEPENDENCY_ERRORS.labels("redis")._value.get()
    for i in range(50):  # fifty requests while Redis is down
        assert gone.allow(RateLimitItemPerMinute(10), "web", str(i))
    warnings = [r for r in caplog.records if r.name == "bot.dependencies"]
    assert len(warnings) == 1 and "redis unavailable" in warnings[0].getMessage()
    assert metrics.DEPENDENCY_ERRORS.labels("redis")._value.get() - counted == 50

    outages.failure("redis", "limits not counted", "down", every=0)  # a minute later: one more line
    later = [r for r in caplog.records if r.name == "bot.dependencies"]
    assert len(later) == 2 and "49 more since the last warning" in later[1].getMessage()
    assert "web" not in later[0].getMessage()  # the key (it holds ids) is not logged

    # Redis back: said once, however many calls then work; the next failure is logged again.
    prefix = f"hoidap-test-{uuid.uuid4().hex[:8]}"
    back = Shared(REDIS_URL, prefix)
    for i in range(5):
        assert back.allow(RateLimitItemPerMinute(10), "web", str(i))
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.dependencies"]
    assert len(lines) == 3 and lines[2].startswith("redis reachable again")
    outages.failure("redis", "limits not counted", "down again", every=0)
    assert sum("unavailable" in r.getMessage() for r in caplog.records if r.name == "bot.dependencies") == 3
    outages.reset()


@pytest.mark.parametrize(("proxies", "trusted"), [("127.0.0.1", True), ("192.0.2.10,198.51.100.0/24", False)])
async def test_x_forwarded_for_is_believed_only_from_the_configured_proxies(
    tmp_path, assistant, seed_settings, proxies, trusted
):
    """Behind nginx on another host, HOIDAP_FORWARDED_ALLOW_IPS names it; a client elsewhere cannot
    pick its address (and so its limit) by writing the header itself."""
    from bot.channels.web.security import ClientLimiter

    settings = seed_settings.model_copy(update={"forwarded_allow_ips": proxies})
    port = free_port()
    runner = Runner(settings, assistant, http=("127.0.0.1", port))
    await runner.start()
    runner.web.state.chat.limiter = ClientLimiter(100, per_address=2)
    codes = []
    try:
        for address in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):  # three "addresses" from one client
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}", headers={"X-Forwarded-For": address}, timeout=60
            ) as client:
                page = await client.get("/")
                csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
                for _ in range(2):
                    codes.append((await client.post("/ask", data={"q": "khoán sản phẩm", "csrf": csrf})).status_code)
    finally:
        await runner.stop()
    if trusted:  # nginx on 127.0.0.1 reports each client's address: three clients, 2 each
        assert codes == [200] * 6
    else:  # not from a trusted proxy: all of it is 127.0.0.1's, 2 in all
        assert codes == [200, 200, 429, 429, 429, 429]


def test_quizzes_due_unsent_and_late_are_measured(tmp_path, seed_settings, embedder):
    """What the HoidapQuizLate alert reads: quizzes due and not sent, how long the oldest waited, and
    those sent more than 5 minutes after their time."""
    import datetime as dt
    import shutil
    from zoneinfo import ZoneInfo

    from sqlalchemy import update

    from bot import metrics
    from bot.storage.models import QuizSubscription

    settings = make_settings(tmp_path)
    shutil.copytree(seed_settings.index_dir, settings.index_dir, dirs_exist_ok=True)
    assistant = Assistant(settings, embedder=embedder)
    conv = assistant.conversation()
    local = dt.datetime.now(ZoneInfo(assistant.settings.timezone))
    late_slot = (local - dt.timedelta(minutes=10)).replace(second=0, microsecond=0)
    chat = "-100777001"
    conv.quiz.subscribe("telegram", chat, "supergroup", "Chi bộ trễ", late_slot.strftime("%H:%M"), "0123456", "1")
    with conv.db.session() as s:  # subscribed yesterday: today's slot is owed
        s.execute(
            update(QuizSubscription)
            .where(QuizSubscription.chat_id == chat)
            .values(schedule_changed_at=local - dt.timedelta(days=1), created_at=local - dt.timedelta(days=1))
        )
    late_before = metrics.QUIZ_LATE._value.get()
    claims = [c for c, _ in conv.due_quizzes({"telegram"}) if c.chat_id == chat]  # the scheduler's tick
    assert len(claims) == 1
    assert metrics.QUIZ_DUE._value.get() >= 1 and metrics.QUIZ_UNSENT_AGE._value.get() >= 600 - 60
    conv.quiz_sent(claims[0].delivery_id, "poll-late", "1")  # ten minutes after its time
    assert metrics.QUIZ_LATE._value.get() == late_before + 1
    conv.due_quizzes({"telegram"})  # the next tick: nothing owed any more
    assert metrics.QUIZ_DUE._value.get() == 0 and metrics.QUIZ_UNSENT_AGE._value.get() == 0
    assistant.close()
