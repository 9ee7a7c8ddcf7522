"""Officers manage the quiz from the dashboard through the conversation core: a written question is
checked as an imported row is, an edited generated one against the official text, questions turn
off and on (and stay off across version syncs), groups get a time, days and on/off; members are
refused. Results per question and group, the hardest questions, and their exports in Vietnam time."""

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from bot.channels.web import quiz_exports
from bot.conversation import texts
from bot.conversation.actor import PRIVATE, Actor
from bot.conversation.replies import Listing, Text
from bot.quiz.results import HARDEST_MIN_ANSWERS
from bot.service import Assistant
from tests.turns import OFFICER_QUESTION

ADMIN_ID = "1"
OFFICER_ID = "5"


@pytest.fixture
def core(settings, embedder):
    settings.admin_ids = [int(ADMIN_ID)]
    assistant = Assistant(settings, embedder=embedder)
    assistant.library.build()
    yield assistant
    assistant.close()


def actor(user_id: str) -> Actor:
    return Actor("telegram", user_id, user_id, PRIVATE, f"Người {user_id}")


@pytest.fixture
def officer(core):
    conv = core.conversation()
    admin = actor(ADMIN_ID)
    conv.command(admin, "officer_add", [OFFICER_ID])
    return actor(OFFICER_ID)


GOOD = OFFICER_QUESTION


def texts_of(turn) -> list[str]:
    out = []
    for r in turn.replies:
        if isinstance(r, Listing):
            out += [r.title] + [line for _, lines in r.sections for line in lines]
        elif isinstance(r, Text):
            out.append(r.text)
    return out


def test_a_written_question_is_checked_like_an_imported_row_and_served(core, officer):
    conv = core.conversation()
    bad = {**GOOD, "correct": "E", "question_number": "15"}
    refused = conv.save_quiz_question(officer, bad)
    assert isinstance(refused.replies[0], Listing)
    assert "đáp án đúng" in " ".join(texts_of(refused))
    saved = conv.save_quiz_question(officer, GOOD)
    assert "Đã lưu câu hỏi mới" in texts_of(saved)[0]
    written = [e for e in core.quizzes.quiz_entries() if e.question.question == GOOD["question"]]
    assert len(written) == 1 and written[0].active and written[0].question.correct == 1
    assert written[0].question.kind == "imported"
    # A cited question the document does not have is refused, as in a file.
    missing = conv.save_quiz_question(officer, {**GOOD, "question": "Câu khác?", "question_number": "15"})
    assert "46-CT/TU không có Câu hỏi 15" in texts_of(missing)


def test_members_cannot_write_or_turn_off_questions(core, officer):
    conv = core.conversation()
    member = actor("999")
    assert texts_of(conv.save_quiz_question(member, GOOD)) == [texts.NOT_OFFICER]
    some = core.quizzes.quiz_entries()[0].question.id
    conv.set_quiz_question_active(member, some, False)
    assert core.quizzes.quiz_entry(some).active


def test_an_edited_generated_question_must_still_be_the_official_text(core, officer):
    conv = core.conversation()
    cloze = next(e.question for e in core.quizzes.quiz_entries() if e.question.kind == "cloze")
    form = {"question": cloze.question, "correct": "ABCDEFGHIJ"[cloze.correct], "explanation": cloze.explanation}
    form |= {"ABCDEFGHIJ"[i]: o for i, o in enumerate(cloze.options)}
    wrong = (cloze.correct + 1) % len(cloze.options)
    refused = conv.save_quiz_question(officer, {**form, "correct": "ABCDEFGHIJ"[wrong]}, replaces=cloze.id)
    assert any("nguyên văn" in t or "văn bản chính thức" in t for t in texts_of(refused)), texts_of(refused)
    assert core.quizzes.quiz_entry(cloze.id).active  # nothing changed
    # The explanation alone: the same question, corrected in place.
    conv.save_quiz_question(officer, {**form, "explanation": "Giải thích mới"}, replaces=cloze.id)
    assert (
        core.quizzes.quiz_entry(cloze.id).active
        and core.quizzes.quiz_entry(cloze.id).question.explanation == "Giải thích mới"
    )
    # Options in another order: a new question; the old one is off and points to it.
    order = [cloze.correct] + [i for i in range(len(cloze.options)) if i != cloze.correct]
    moved = {"question": cloze.question, "correct": "A", "explanation": "Giải thích mới"}
    moved |= {"ABCDEFGHIJ"[n]: cloze.options[i] for n, i in enumerate(order)}
    edited = conv.save_quiz_question(officer, moved, replaces=cloze.id)
    assert "Đã sửa câu hỏi" in texts_of(edited)[0]
    old = core.quizzes.quiz_entry(cloze.id)
    assert not old.active and old.replaced_by
    new = core.quizzes.quiz_entry(old.replaced_by)
    assert new.active and new.question.kind == "cloze" and new.question.correct == 0
    assert cloze.id not in {e.question.id for e in core.quizzes.quiz_entries()}  # replaced: not listed


def test_a_question_turned_off_stays_off_when_the_bank_syncs_again(core, officer):
    conv = core.conversation()
    q = core.quizzes.quiz_entries()[0].question
    assert "Đã tắt câu hỏi" in texts_of(conv.set_quiz_question_active(officer, q.id, False))[0]
    core.quizzes.service._synced = None  # as a new process, or a new version, would sync
    core.quizzes.sync_quiz_bank()
    entry = core.quizzes.quiz_entry(q.id)
    assert not entry.active and entry.disabled_by == f"telegram:{OFFICER_ID}"
    assert q.id not in {x.id for x in core.quizzes.service.active_questions()}
    conv.set_quiz_question_active(officer, q.id, True)
    assert core.quizzes.quiz_entry(q.id).active


def test_a_groups_time_days_and_on_off_are_set_from_the_web(core, officer):
    conv = core.conversation()
    sub = core.quizzes.service.subscribe("zalo", "g1", "group", "Chi bộ 3", "07:30", "0123456", "z-officer")
    done = conv.set_quiz_schedule(officer, sub.id, "6h45", ["T2", "T4", "T6"], True)
    assert texts_of(done) == ["Chi bộ 3: câu đố lúc 06:45 (T2, T4, T6, giờ Việt Nam)."]
    changed = core.quizzes.quiz_subscription(sub.id)
    assert (changed.time, changed.days, changed.active, changed.created_by) == ("06:45", "135", True, "z-officer")
    assert "Giờ không hợp lệ" in texts_of(conv.set_quiz_schedule(officer, sub.id, "25:00", ["T2"], True))[0]
    assert "ít nhất một ngày" in texts_of(conv.set_quiz_schedule(officer, sub.id, "07:00", [], True))[0]
    conv.set_quiz_schedule(officer, sub.id, "07:00", ["CN"], False)
    assert not core.quizzes.quiz_subscription(sub.id).active


def _answered(core, chat: str, title: str, question, right: int, wrong: int):
    quiz = core.quizzes.service
    quiz.subscribe("telegram", chat, "group", title, "07:30", "0123456", OFFICER_ID)
    claim = quiz.claim("telegram", chat, "group", question, "poll")
    quiz.mark_sent(claim.delivery_id, f"poll-{chat}-{question.id}", "1")
    for i in range(right + wrong):
        option = question.correct if i < right else (question.correct + 1) % len(question.options)
        quiz.record_answer("telegram", f"{chat}-{i}", f"Đảng viên {i}", option, delivery_id=claim.delivery_id)


def test_results_per_question_and_group_and_the_hardest_questions(core, officer):
    easy, hard, few = core.quizzes.quiz_entries()[:3]
    _answered(core, "-1001", "Chi bộ 1", easy.question, right=4, wrong=0)
    _answered(core, "-1002", "Chi bộ 2", hard.question, right=1, wrong=3)
    _answered(core, "-1003", "Chi bộ 3", few.question, right=0, wrong=HARDEST_MIN_ANSWERS - 1)
    today = core.local_today()
    results = core.quizzes.quiz_results(today - dt.timedelta(days=6), today)
    by_id = {q.question_id: q for q in results.questions}
    assert (by_id[easy.question.id].answers, by_id[easy.question.id].share) == (4, 1.0)
    assert (by_id[hard.question.id].answers, by_id[hard.question.id].share) == (4, 0.25)
    # Too few answers to call a question hard: left out of the hardest, listed with its results.
    assert [q.question_id for q in results.hardest] == [hard.question.id, easy.question.id]
    assert {g.title: (g.answers, g.correct) for g in results.groups} == {
        "Chi bộ 1": (4, 4),
        "Chi bộ 2": (4, 1),
        "Chi bộ 3": (2, 0),
    }


def test_result_exports_give_times_in_vietnam_time_and_name_the_zone(core, officer):
    q = core.quizzes.quiz_entries()[0].question
    _answered(core, "-1009", "Chi bộ 9", q, right=2, wrong=1)
    today = core.local_today()
    results = core.quizzes.quiz_results(today, today)
    sent = results.deliveries[0].sent_at
    local = sent.astimezone(dt.timezone(dt.timedelta(hours=7))).strftime("%d/%m/%Y %H:%M")
    rows = list(csv.reader(io.StringIO(quiz_exports.results_csv(results, "Asia/Ho_Chi_Minh").decode("utf-8-sig"))))
    header = rows[0]
    assert any("giờ Việt Nam" in h and "UTC+07:00" in h for h in header), header
    assert rows[1][0] == local and "Chi bộ 9" in rows[1] and "67%" in rows[1]
    book = load_workbook(io.BytesIO(quiz_exports.results_xlsx(results, "Asia/Ho_Chi_Minh")))
    assert book.sheetnames == ["Theo câu hỏi", "Theo nhóm", "Từng lần gửi"]
    sheet = book["Từng lần gửi"]
    assert "giờ Việt Nam" in sheet.cell(1, 1).value and sheet.cell(2, 1).value == local
