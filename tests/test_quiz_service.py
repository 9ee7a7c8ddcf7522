"""The daily quiz core on SQLite and on real PostgreSQL: roles, rotation, scoring once, leaderboards."""

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.errors import PermissionDenied
from bot.quiz.model import QuizQuestion
from bot.quiz.service import QuizService
from bot.storage.models import QuizAnswer, QuizDelivery

ADMIN, OFFICER, MEMBER = "1", "2", "3"


def bank(n=5):
    return [
        QuizQuestion("fact", f"Câu hỏi thử {i}?", ["A", "B", "C", "D"], i % 4, "Giải thích", {"doc_number": "X"})
        for i in range(n)
    ]


@pytest.fixture
def quiz(database):
    service = QuizService(database, "Asia/Ho_Chi_Minh", {"telegram": {ADMIN}})
    service.sync_bank("v1", lambda: bank())
    service.grant_officer("telegram", ADMIN, OFFICER)
    return service


def test_only_admins_grant_and_only_officers_manage(quiz):
    with pytest.raises(PermissionDenied):
        quiz.grant_officer("telegram", MEMBER, MEMBER)
    with pytest.raises(PermissionDenied, match="/officer_add"):
        quiz.subscribe("telegram", "-100", "group", "Chi bộ", "07:30", "12345", MEMBER)
    assert quiz.subscription("telegram", "-100") is None
    sub = quiz.subscribe("telegram", "-100", "group", "Chi bộ", "07:30", "12345", OFFICER)
    assert (sub.time, sub.days, sub.active) == ("07:30", "12345", True)
    assert quiz.subscribe("telegram", "-100", "group", "Chi bộ", "08:00", "0123456", ADMIN).id == sub.id  # updated
    with pytest.raises(PermissionDenied):
        quiz.unsubscribe("telegram", "-100", MEMBER)
    assert quiz.unsubscribe("telegram", "-100", OFFICER)
    assert quiz.active_subscriptions("telegram") == []


def test_no_question_repeats_in_a_chat_until_the_bank_is_exhausted(quiz):
    sent = []
    for _ in range(5):
        q = quiz.next_question("telegram", "-100")
        quiz.record_delivery("telegram", "-100", q, f"p{len(sent)}", None, False)
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
    replaced = quiz.skip("telegram", "-100", OFFICER)
    assert replaced.id != first.id and quiz.next_question("telegram", "-100").id == replaced.id
    quiz.record_delivery("telegram", "-100", replaced, "p1", "m1", False, sub.id)
    assert quiz.next_question("telegram", "-100").id != replaced.id  # the pin was used


def test_each_member_scores_once(quiz):
    q = quiz.next_question("telegram", "-100")
    quiz.record_delivery("telegram", "-100", q, "poll-1", "m1", False)
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
        d_id = quiz.record_delivery("telegram", "-100", q, f"poll-{i}", None, False)
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
    quiz.record_delivery("telegram", "-100777", q, "chan-poll", "m", True)
    assert quiz.record_answer("telegram", "7", "An", q.correct, poll_id="chan-poll") is None
    votes = [0, 0, 0, 0]
    votes[q.correct] = 5
    votes[(q.correct + 1) % 4] = 3
    quiz.record_poll_counts("telegram", "chan-poll", 8, votes)
    (day,) = quiz.stats("telegram", ["-100777"])
    assert (day.answers, day.correct) == (8, 5)


def test_300_concurrent_answers_are_all_stored_and_scored_exactly(quiz, database):
    q = quiz.next_question("telegram", "-100")
    quiz.record_delivery("telegram", "-100", q, "busy-poll", None, False)
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
