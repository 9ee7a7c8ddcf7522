"""The dashboard's quiz pages over real HTTP: an officer writes a question (refused with the reasons,
then saved), turns it off, downloads the template whose columns are the importer's, imports a bad
file and sees every bad row, sets a group's schedule, and reads and exports the results in Vietnam
time. The browser tests (tests/test_web_quiz_browser.py) drive the same pages in Chromium."""

import csv
import html
import io
import re

import httpx
import pytest
from openpyxl import load_workbook

from bot.quiz.importer import COLUMNS
from tests.conftest import WEB_OFFICER
from tests.test_web import csrf_of, log_in

QUESTION = "Theo Chỉ thị 46, cụm từ “khoán sản phẩm” nằm trong câu hỏi số mấy?"
FORM = {"question": QUESTION, "A": "Câu 2", "B": "Câu 5", "C": "Câu 7", "correct": "B"}
FORM |= {"explanation": "Câu hỏi 5, Chỉ thị 46-CT/TU", "doc_number": "46-CT/TU", "question_number": "5"}


@pytest.fixture
async def officer(web):
    async with httpx.AsyncClient(base_url=web.url, timeout=60) as client:
        assert (await log_in(client, web, WEB_OFFICER)).status_code == 303
        yield client


def entry_id(web, text: str) -> str:
    return next(e.question.id for e in web.core.quizzes.quiz_entries() if e.question.question == text)


async def test_an_officer_writes_a_question_turns_it_off_and_on(web, officer):
    form_page = await officer.get("/admin/quiz/new")
    assert form_page.status_code == 200 and "Chỉ thị số 46-CT/TU" in form_page.text  # citable documents
    csrf = await csrf_of(officer, "/admin/quiz/new")
    refused = await officer.post("/admin/quiz/new", data={**FORM, "correct": "", "question_number": "99", "csrf": csrf})
    assert refused.status_code == 422 and "Chưa lưu được câu hỏi" in refused.text
    assert "thiếu đáp án đúng" in refused.text
    assert html.escape(QUESTION, quote=True) in refused.text  # what was typed is kept
    saved = await officer.post("/admin/quiz/new", data={**FORM, "csrf": csrf})
    assert saved.status_code == 303
    bank = await officer.get("/admin/quiz", params={"q": "khoán sản phẩm"})
    assert "Đã lưu câu hỏi mới" in bank.text and "Do cán bộ soạn" in bank.text
    assert not re.search(r">\s*(cloze|item|fact|imported)\s*<", bank.text)  # kinds shown in Vietnamese
    qid = entry_id(web, QUESTION)
    off = await officer.post(f"/admin/quiz/q/{qid}/off", data={"csrf": csrf, "back": "/admin/quiz"})
    assert off.status_code == 303 and not web.core.quizzes.quiz_entry(qid).active
    await officer.post(f"/admin/quiz/q/{qid}/on", data={"csrf": csrf})
    assert web.core.quizzes.quiz_entry(qid).active


async def test_the_template_has_the_importers_columns_and_a_bad_file_shows_every_row(web, officer):
    template = await officer.get("/admin/quiz/template.csv")
    rows = list(csv.reader(io.StringIO(template.content.decode("utf-8-sig"))))
    assert tuple(rows[0]) == COLUMNS
    book = load_workbook(io.BytesIO((await officer.get("/admin/quiz/template.xlsx")).content))
    assert tuple(c.value for c in book.active[1]) == COLUMNS
    bad = (
        ",".join(COLUMNS) + "\n"
        "Câu một?,Có,Không,,,E,,,,\n"
        "Câu hai?,Chỉ một,,,,A,,,,\n"
        "Câu ba?,Có,Không,,,A,,46-CT/TU,42,\n"
    ).encode()
    csrf = await csrf_of(officer, "/admin/quiz")
    page = await officer.post("/admin/quiz/import", data={"csrf": csrf}, files={"file": ("loi.csv", bad, "text/csv")})
    assert page.status_code == 200 and "loi.csv: 3 dòng có lỗi, chưa nhập câu nào." in page.text
    for line, reason in ((2, "đáp án đúng"), (3, "từ 2 đến 10 phương án"), (4, "không có Câu hỏi 42")):
        assert f"Dòng {line}: " in page.text and reason in page.text
    assert not any(e.question.question == "Câu một?" for e in web.core.quizzes.quiz_entries())


async def test_a_groups_schedule_is_set_and_results_are_read_and_exported(web, officer):
    quiz = web.core.quizzes.service
    sub = quiz.subscribe("telegram", "-100777", "group", "Chi bộ Khu phố 7", "07:30", "0123456", str(WEB_OFFICER))
    question = web.core.quizzes.quiz_entries()[0].question
    claim = quiz.claim("telegram", "-100777", "group", question, "poll", subscription_id=sub.id)
    quiz.mark_sent(claim.delivery_id, "poll-777", "1")
    for i, option in enumerate([question.correct, question.correct, (question.correct + 1) % len(question.options)]):
        quiz.record_answer("telegram", f"m{i}", f"Đảng viên {i}", option, delivery_id=claim.delivery_id)
    csrf = await csrf_of(officer, "/admin/quiz")
    done = await officer.post(
        f"/admin/quiz/groups/{sub.id}", data={"csrf": csrf, "time": "06:15", "d1": "1", "d3": "1", "active": "1"}
    )
    assert done.status_code == 303
    page = await officer.get("/admin/quiz")
    assert "Chi bộ Khu phố 7: câu đố lúc 06:15 (T2, T4, giờ Việt Nam)." in page.text
    results = await officer.get("/admin/quiz/results", params={"days": 7})
    assert "Chi bộ Khu phố 7" in results.text and "67%" in results.text and "giờ Việt Nam, UTC+07:00" in results.text
    assert "Câu khó nhất" in results.text and html.escape(question.question, quote=True) in results.text
    custom = await officer.get("/admin/quiz/results", params={"from": "2026-02-30", "to": "x"})
    assert "Khoảng ngày không hợp lệ" in custom.text
    exported = await officer.get("/admin/quiz/results.csv", params={"days": 7})
    header = next(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert header[0] == "Gửi lúc (giờ Việt Nam, UTC+07:00)"
    assert "attachment" in exported.headers["content-disposition"]
    xlsx = load_workbook(io.BytesIO((await officer.get("/admin/quiz/results.xlsx", params={"days": 7})).content))
    assert xlsx["Theo nhóm"].cell(2, 1).value == "Chi bộ Khu phố 7"
