"""The quiz pages in Chromium at phone (390 px) and desktop (1366 px) widths: an officer writes a
question and, once groups answered it, sees its results; imports a bad CSV and sees every bad row;
nothing scrolls sideways. Screenshots go to docs/screenshots/ (quiz-*.png)."""

import asyncio

import pytest
from playwright.async_api import expect

from tests import test_web_browser as chrome
from tests.conftest import WEB_OFFICER
from tests.test_web_browser import PHONE, WAIT, log_in, shot

# The same Chromium (one per session) and fresh visitors as the chat's browser tests.
browser = chrome.browser
open_page = chrome.open_page

DESKTOP_WIDE = {"width": 1366, "height": 900}
WIDTHS = [pytest.param(PHONE, "phone", id="390px"), pytest.param(DESKTOP_WIDE, "desktop", id="1366px")]
BAD_CSV = (
    "question,A,B,C,D,correct,explanation,doc_number,question_number,item\n"
    "Câu một?,Có,Không,,,E,,,,\n"
    "Câu hai?,Chỉ một,,,,A,,,,\n"
    "Câu ba?,Có,Không,,,A,,46-CT/TU,42,\n"
    "Câu bốn?,Có,Không,,,A,,99-XX/TU,,\n"
)


@pytest.fixture(scope="module", autouse=True)
async def bank_synced(web):
    """The generated bank, made once before the pages are driven (the first bank page would make it:
    tens of seconds on a busy 2-core machine, longer than a click should wait)."""
    await asyncio.to_thread(web.core.quizzes.quiz_entries)


async def tap(page, element) -> None:
    """Click ``element`` as a phone user taps it: the field being typed in is left first (its
    keyboard closed). Headless Chromium at 390 px otherwise scrolls the page between the mouse
    press and release when the focused number field loses focus, and the release lands elsewhere."""
    await page.evaluate("document.activeElement && document.activeElement.blur()")
    await element.evaluate("e => e.scrollIntoView({block: 'center'})")
    await page.wait_for_timeout(300)
    await element.click()


async def no_sideways_scroll(page) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert width <= 0, f"{page.url} scrolls {width}px sideways"


def answered(web, question_text: str, chats: list[tuple[str, str, int, int]]) -> None:
    """Groups got the question and answered it: (chat, title, right, wrong)."""
    quiz = web.core.quizzes.service
    question = next(e.question for e in web.core.quizzes.quiz_entries() if e.question.question == question_text)
    for chat, title, right, wrong in chats:
        sub = quiz.subscribe("telegram", chat, "group", title, "07:30", "12345", str(WEB_OFFICER))
        claim = quiz.claim("telegram", chat, "group", question, "poll", subscription_id=sub.id)
        quiz.mark_sent(claim.delivery_id, f"poll-{chat}-{question.id}", "1")
        for i in range(right + wrong):
            option = question.correct if i < right else (question.correct + 1) % len(question.options)
            quiz.record_answer("telegram", f"{chat}-{i}", f"Đảng viên {i}", option, delivery_id=claim.delivery_id)


@pytest.mark.parametrize("viewport, name", WIDTHS)
async def test_an_officer_writes_a_quiz_question_and_sees_its_results(open_page, web, viewport, name):
    page = await open_page(viewport)
    await log_in(page, web.login_url(WEB_OFFICER))
    await page.goto("/admin/quiz/new")
    text = f"Theo Chỉ thị 46, biện pháp “khoán sản phẩm” ở câu hỏi số mấy? ({name})"
    await page.get_by_label("Câu hỏi tối đa 300 ký tự").fill(text)
    for letter, option in zip("ABCD", ["Câu 2", "Câu 5", "Câu 7", "Câu 8"], strict=True):
        await page.get_by_label(f"Phương án {letter}", exact=True).fill(option)
    await page.get_by_label("Đáp án đúng là B").check()
    await page.get_by_label("Văn bản được dẫn").select_option(label="Chỉ thị số 46-CT/TU")
    await page.get_by_label("Câu hỏi số").fill("5")
    await no_sideways_scroll(page)
    await page.screenshot(path=shot(f"quiz-write-{name}.png"), full_page=True)
    await tap(page, page.get_by_role("button", name="Lưu câu hỏi"))
    # The bank page syncs the generated bank first: seconds on a busy machine.
    await expect(page.locator(".flash").first).to_contain_text("Đã lưu câu hỏi mới", timeout=WAIT)
    await expect(page.locator(".qrow", has_text=text)).to_contain_text("Do cán bộ soạn")
    await no_sideways_scroll(page)

    answered(
        web,
        text,
        [(f"-100{len(name)}1", f"Chi bộ 1 ({name})", 3, 1), (f"-100{len(name)}2", f"Chi bộ 2 ({name})", 1, 3)],
    )
    await page.get_by_role("link", name="Kết quả", exact=True).click()
    await page.get_by_role("link", name="7 ngày").click()
    row = page.locator("section", has_text="Theo câu hỏi").locator("tr", has_text=text)
    await expect(row).to_contain_text("50%", timeout=WAIT)
    await expect(page.locator("section", has_text="Theo nhóm")).to_contain_text(f"Chi bộ 1 ({name})")
    await no_sideways_scroll(page)
    await page.screenshot(path=shot(f"quiz-results-{name}.png"), full_page=True)
    await tap(page, row.get_by_role("link"))
    await expect(page.locator("#ket-qua")).to_contain_text("8")  # answers: 4 + 4
    await expect(page.locator("#ket-qua")).to_contain_text("50%")


@pytest.mark.parametrize("viewport, name", WIDTHS)
async def test_an_officer_imports_a_bad_csv_and_sees_every_bad_row(open_page, web, viewport, name, tmp_path):
    page = await open_page(viewport)
    await log_in(page, web.login_url(WEB_OFFICER))
    await page.goto("/admin/quiz")
    bad = tmp_path / "cau-hoi-loi.csv"
    bad.write_text(BAD_CSV, encoding="utf-8")
    await page.get_by_label("Tệp câu hỏi").set_input_files(bad)
    await tap(page, page.get_by_role("button", name="Nhập"))
    report = page.locator("#loi-nhap")
    await expect(report).to_contain_text("cau-hoi-loi.csv: 4 dòng có lỗi, chưa nhập câu nào.", timeout=WAIT)
    await expect(report.locator("li")).to_have_count(4)
    for line in ("Dòng 2: đáp án đúng", "Dòng 3: cần từ 2 đến 10 phương án", "Dòng 4: 46-CT/TU không có Câu hỏi 42"):
        await expect(report).to_contain_text(line)
    await expect(report).to_contain_text("Dòng 5: văn bản 99-XX/TU không có trong chỉ mục")
    await no_sideways_scroll(page)
    await page.screenshot(path=shot(f"quiz-import-errors-{name}.png"))
