"""The daily quiz data on SQLite and on real PostgreSQL: subscriptions, claims sent once, rotation,
scoring once, leaderboards."""

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from zoneinfo import ZoneInfo

import pytest

from bot.quiz.model import QuizQuestion
from bot.quiz.service import QuizService
from bot.storage.models import QuizAnswer, QuizDelivery

OFFICER = "2"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
GRACE = dt.timedelta(hours=1)


def bank(n=5):
    return [
        QuizQuestion("fact", f"Câu hỏi thử {i}?", ["A", "B", "C", "D"], i % 4, "Giải thích", {"doc_number": "X"})
        for i in range(n)
    ]


@pytest.fixture
def quiz(database):
    service = QuizService(database, "Asia/Ho_Chi_Minh")
    service.sync_bank("v1", lambda: bank())
    return service


def record_delivery(quiz, chat, question, poll_id, message_id, anonymous, sub_id=None):
    claim = quiz.claim("telegram", chat, "group", question, "poll", subscription_id=sub_id, anonymous=anonymous)
    quiz.mark_sent(claim.delivery_id, poll_id, message_id)
    return claim.delivery_id


def test_subscriptions_update_and_stop(quiz):
    sub = quiz.subscribe("telegram", "-100", "group", "Chi bộ", "07:30", "12345", OFFICER)
    assert (sub.time, sub.days, sub.active) == ("07:30", "12345", True)
    assert quiz.subscribe("telegram", "-100", "group", "Chi bộ", "08:00", "0123456", "1").id == sub.id  # updated
    assert quiz.unsubscribe("telegram", "-100")
    assert quiz.active_subscriptions("telegram") == []


def _slot_today(minutes_from_now=-5):
    now = dt.datetime.now(TZ)
    return (now + dt.timedelta(minutes=minutes_from_now)).replace(second=0, microsecond=0)


def test_a_due_quiz_is_claimed_once_by_many_processes_at_once(quiz, database):
    """Eight schedulers ticking together (threads, each its own service as a process would) claim
    each due subscription once: the claim is a row inserted with ON CONFLICT DO NOTHING."""
    quizzes = [QuizService(database, "Asia/Ho_Chi_Minh") for _ in range(8)]
    subs = []
    for i in range(20):
        sub = quiz.subscribe("telegram", f"-10{i}", "group", f"Nhóm {i}", "00:00", "0123456", OFFICER)
        subs.append(sub)
    slot = _slot_today(2)
    from sqlalchemy import update

    from bot.storage.models import QuizSubscription

    with database.session() as s:  # scheduled before the slot, at the slot's time
        s.execute(
            update(QuizSubscription).values(time=f"{slot:%H:%M}", schedule_changed_at=slot - dt.timedelta(days=1))
        )
    tick = slot + dt.timedelta(seconds=30)

    def run(service):
        won = []
        for sub, day in service.due({"telegram"}, tick, GRACE):
            q = service.next_question(sub.channel, sub.chat_id)
            claim = service.claim(
                sub.channel,
                sub.chat_id,
                sub.chat_type,
                q,
                "poll",
                subscription_id=sub.id,
                local_date=day,
                slot=sub.time,
            )
            if claim is not None:
                won.append(claim.chat_id)
        return won

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(run, quizzes))
    claimed = [chat for won in results for chat in won]
    assert sorted(claimed) == sorted(s.chat_id for s in subs)  # every chat once, none twice
    assert quiz.due({"telegram"}, tick, GRACE) == []  # and nothing is due any more


def test_misfire_grace_and_new_schedules(quiz, database):
    slot = _slot_today(-30)
    sub = quiz.subscribe("telegram", "-100", "group", "Chi bộ", f"{slot:%H:%M}", "0123456", OFFICER)
    assert quiz.due({"telegram"}, slot + dt.timedelta(minutes=30), GRACE) == []  # set after today's slot
    from sqlalchemy import update

    from bot.storage.models import QuizSubscription

    with database.session() as s:
        s.execute(update(QuizSubscription).values(schedule_changed_at=slot - dt.timedelta(days=2)))
    late = quiz.due({"telegram"}, slot + dt.timedelta(minutes=50), GRACE)  # a late tick still delivers
    assert [s.id for s, _ in late] == [sub.id]
    assert quiz.due({"telegram"}, slot + dt.timedelta(minutes=61), GRACE) == []  # past the grace
    assert quiz.due({"zalo"}, slot + dt.timedelta(minutes=50), GRACE) == []  # other channels' processes


def test_a_claim_whose_process_died_is_taken_over_once(quiz):
    sub = quiz.subscribe("telegram", "-100", "group", "Chi bộ", "00:00", "0123456", OFFICER)
    q = quiz.next_question("telegram", "-100")
    local = dt.datetime.now(TZ)
    claim = quiz.claim("telegram", "-100", "group", q, "poll", sub.id, local.date(), f"{local:%H:%M}")
    assert claim is not None
    # Never marked sent: after the timeout one taker resends it, the next finds nothing.
    taken = quiz.reclaim_stale({"telegram"}, dt.timedelta(seconds=-1), GRACE)
    assert [c.delivery_id for c in taken] == [claim.delivery_id]
    assert quiz.reclaim_stale({"telegram"}, dt.timedelta(minutes=5), GRACE) == []
    quiz.mark_sent(claim.delivery_id, "poll-x", "1")
    assert quiz.reclaim_stale({"telegram"}, dt.timedelta(seconds=-1), GRACE) == []


def test_no_question_repeats_in_a_chat_until_the_bank_is_exhausted(quiz):
    sent = []
    for _ in range(5):
        q = quiz.next_question("telegram", "-100")
        record_delivery(quiz, "-100", q, f"p{len(sent)}", None, False)
        sent.append(q.id)
    assert len(set(sent)) == 5
    sixth = quiz.next_question("telegram", "-100")
    assert sixth.id in sent  # the bank is exhausted: cycling starts again
    other_chat = [quiz.next_question("telegram", "-200").id]
    assert other_chat[0] in sent  # every chat has its own rotation


def test_preview_pins_and_skip_replaces_the_next_question(quiz):
    sub = quiz.subscribe("telegram", "-100", "group", "Chi bộ", "07:30", "12345", OFFICER)
    first = quiz.next_question("telegram", "-100", pin=True)
    assert quiz.next_question("telegram", "-100").id == first.id
    replaced = quiz.skip("telegram", "-100")
    assert replaced.id != first.id and quiz.next_question("telegram", "-100").id == replaced.id
    record_delivery(quiz, "-100", replaced, "p1", "m1", False, sub.id)
    assert quiz.next_question("telegram", "-100").id != replaced.id  # the pin was used


def test_each_member_scores_once(quiz):
    q = quiz.next_question("telegram", "-100")
    record_delivery(quiz, "-100", q, "poll-1", "m1", False)
    wrong = (q.correct + 1) % 4
    assert quiz.record_answer("telegram", "7", "An", None, poll_id="poll-1") is None  # retracted: nothing
    first = quiz.record_answer("telegram", "7", "An", q.correct, poll_id="poll-1")
    assert first.correct
    assert quiz.record_answer("telegram", "7", "An", wrong, poll_id="poll-1") is None  # changed vote: not twice
    assert not quiz.record_answer("telegram", "8", "Bình", wrong, poll_id="poll-1").correct
    assert quiz.record_answer("telegram", "9", "Chi", q.correct, poll_id="unknown") is None
    rows = quiz.leaderboard("telegram", "-100")
    assert [(r.name, r.points, r.answered) for r in rows] == [("An", 1, 1), ("Bình", 0, 1)]


def test_leaderboard_periods_and_streaks(quiz, database):
    today = quiz.today()
    monday = today - dt.timedelta(days=today.weekday())
    days_back = [today - dt.timedelta(days=i) for i in (10, 2, 1, 0)]
    for i, day in enumerate(days_back):
        q = quiz.next_question("telegram", "-100")
        d_id = record_delivery(quiz, "-100", q, f"poll-{i}", None, False)
        with database.session() as s:
            s.get(QuizDelivery, d_id).local_date = day
        quiz.record_answer("telegram", "7", "An", q.correct, poll_id=f"poll-{i}")  # right every day
        quiz.record_answer("telegram", "8", "Bình", q.correct if i != 2 else (q.correct + 1) % 4, poll_id=f"poll-{i}")
    all_time = {r.name: (r.points, r.streak) for r in quiz.leaderboard("telegram", "-100", "all")}
    assert all_time == {"An": (4, 4), "Bình": (3, 1)}
    week = {r.name: r.points for r in quiz.leaderboard("telegram", "-100", "week")}
    expected_week = sum(1 for d in days_back if d >= monday)
    assert week["An"] == expected_week
    today_rows = quiz.leaderboard("telegram", "-100", "today")
    assert [(r.name, r.points) for r in today_rows] == [("An", 1), ("Bình", 1)]
    stats = quiz.stats("telegram", ["-100"], days=14)
    assert stats[0].date == today and stats[0].participants == 2 and stats[0].correct_rate == 1.0


def test_anonymous_channel_polls_are_counted_not_scored(quiz):
    q = quiz.next_question("telegram", "-100777")
    record_delivery(quiz, "-100777", q, "chan-poll", "m", True)
    assert quiz.record_answer("telegram", "7", "An", q.correct, poll_id="chan-poll") is None
    votes = [0, 0, 0, 0]
    votes[q.correct] = 5
    votes[(q.correct + 1) % 4] = 3
    quiz.record_poll_counts("telegram", "chan-poll", 8, votes)
    (day,) = quiz.stats("telegram", ["-100777"])
    assert (day.answers, day.correct) == (8, 5)


def test_300_concurrent_answers_are_all_stored_and_scored_exactly(quiz, database):
    q = quiz.next_question("telegram", "-100")
    record_delivery(quiz, "-100", q, "busy-poll", None, False)
    wrong = (q.correct + 1) % 4

    def vote(i):
        option = q.correct if i % 3 == 0 else wrong
        first = quiz.record_answer("telegram", str(10_000 + i), f"M{i}", option, poll_id="busy-poll")
        again = quiz.record_answer("telegram", str(10_000 + i), f"M{i}", q.correct, poll_id="busy-poll")
        return first is not None, again is None

    with ThreadPoolExecutor(max_workers=32) as pool:
        results = list(pool.map(vote, range(300)))
    assert all(first and again for first, again in results)
    with database.session() as s:
        assert s.query(QuizAnswer).count() == 300
        assert s.query(QuizAnswer).filter_by(correct=True).count() == 100
    points = {r.user_id: r.points for r in quiz.leaderboard("telegram", "-100", limit=1000)}
    assert len(points) == 300 and sum(points.values()) == 100


def test_the_web_sites_quiz_chat_is_created_once_under_concurrent_first_visits(quiz):
    """The first visitors of the day may arrive together (several requests, several processes)."""

    def ensure(_):
        return quiz.ensure_subscription("web", "site", "group", "Trang web", "00:00", "0123456")

    with ThreadPoolExecutor(8) as pool:
        subs = list(pool.map(ensure, range(16)))
    assert len({s.id for s in subs}) == 1 and subs[0].active and subs[0].title == "Trang web"
    quiz.unsubscribe("web", "site")  # an officer stopped it: it stays stopped
    assert not ensure(0).active


def test_quiz_taps_during_a_postgresql_outage_are_kept_and_scored_when_it_is_back(seed_settings, embedder, caplog):
    """The database goes away (connections refused, open ones killed) while members answer: a Telegram
    poll vote and a web tap are kept, the web member is told their answer was received, and both are
    scored — once — when PostgreSQL accepts connections again. The outage is logged once, not per tap."""
    from sqlalchemy import create_engine, select, text

    from bot import outages
    from bot.conversation.actions import QuizVote
    from bot.conversation.actor import PRIVATE, Actor
    from bot.service import Assistant
    from tests.cluster import PG_ADMIN_URL, fresh_database

    outages.reset()
    with fresh_database() as url:
        core = Assistant(seed_settings.model_copy(update={"database_url": url}), embedder=embedder)
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        name = url.rsplit("/", 1)[1]
        try:
            conv = core.conversation()
            conv.register_channel("telegram", polls=True)
            conv.register_channel("web", polls=False)
            member = Actor("web", "w-member", "w-member", PRIVATE, "Khách")
            (today,) = conv.quiz_today(member).replies  # the site's quiz of the day, A–D to tap
            question = core.quizzes.quiz_questions()[0]
            claim = conv.quiz.claim("telegram", "-100777", "group", question, "poll")
            conv.quiz.mark_sent(claim.delivery_id, "poll-77", "77")

            with admin.connect() as c:  # the outage
                c.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
                c.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
            assert conv.knows_poll("telegram", "poll-77") is None  # cannot tell now: not "unknown poll"
            conv.poll_answer("telegram", "8801", "Thành viên Một", "poll-77", question.correct)
            right = today.question.correct
            kept = conv.tap(member, QuizVote(today.delivery_id, right))
            assert "đã nhận câu trả lời" in kept.replies[0].text and "Xin lỗi" not in kept.replies[0].text
            said = [r for r in caplog.records if r.name == "bot.dependencies" and "quiz answers kept" in r.getMessage()]
            assert len(said) == 1  # two taps kept, one line (once a minute)

            with admin.connect() as c:  # back
                c.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
            assert core.flush_records(120)
            with conv.db.session() as s:
                answers = s.execute(select(QuizAnswer.delivery_id, QuizAnswer.user_id, QuizAnswer.correct)).all()
            assert sorted(answers) == sorted([(claim.delivery_id, "8801", True), (today.delivery_id, "w-member", True)])
            again = conv.tap(member, QuizVote(today.delivery_id, (right + 1) % len(today.question.options)))
            assert "đã trả lời câu đố này rồi" in again.replies[0].text  # scored once, kept or not
        finally:
            with admin.connect() as c:
                c.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
            admin.dispose()
            core.close()
            outages.reset()
