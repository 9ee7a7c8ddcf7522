"""The web chat and the dashboard in a real browser: Debian's Chromium driven by Playwright (one browser
for the session), against the one HTTP app served by uvicorn on 127.0.0.1.

The screenshots in docs/screenshots/ (shown in the README) are taken by these tests, at phone and
desktop widths; the dashboard's shows two weeks of activity the last test makes up (deterministic).
"""

import datetime as dt
import shutil

import pytest
from playwright.async_api import async_playwright, expect

from bot.answer.model import Answer, Suggestion
from tests.conftest import REPO, WEB_ADMIN
from tests.corpus import docx_with_numbering

SHOTS = REPO / "docs" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}
# Debian's chromium (Playwright's own browser download cannot work here); no GPU, no background traffic.
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
WAIT = 60_000  # ms: an answer on a busy 2-core machine


@pytest.fixture(scope="session")
async def browser():
    path = shutil.which("chromium")
    if path is None:
        pytest.fail("Debian's chromium package is required (.ci/run installs it: apt-get install chromium)")
    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=path, args=ARGS, headless=True)
        yield chromium
        await chromium.close()


@pytest.fixture
async def open_page(browser, web):
    """``await open_page(viewport)``: a fresh visitor (own cookies) on the site."""
    contexts = []

    async def make(viewport=PHONE):
        context = await browser.new_context(viewport=viewport, locale="vi-VN", base_url=web.url)
        contexts.append(context)
        page = await context.new_page()
        page.set_default_timeout(WAIT)
        return page

    yield make
    for context in contexts:
        await context.close()


async def ask(page, text: str):
    """Type a question and send it with Enter; returns the new answer bubble."""
    count = await page.locator("#log .msg.bot").count()
    await page.fill("#q", text)
    await page.press("#q", "Enter")
    await expect(page.locator("#log .msg.bot")).not_to_have_count(count)
    await expect(page.locator("#typing")).to_have_count(0)
    return page.locator("#log .msg.bot").nth(count)


async def log_in(page, url: str) -> None:
    await page.goto(url)
    await page.get_by_role("button", name="Đăng nhập").click()


async def show(page, element) -> None:
    """Scroll ``element`` to the top (under the sticky header) and let the smooth scrolling end."""
    await element.evaluate("e => e.scrollIntoView({block: 'start'})")
    await page.wait_for_timeout(800)


def shot(name: str) -> str:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return str(SHOTS / name)


async def test_a_member_asks_and_sees_the_quote_and_citation(open_page):
    page = await open_page(PHONE)
    await page.goto("/")
    answer = await ask(page, "người đứng đầu phải thế nào")
    await expect(answer.locator("blockquote")).to_contain_text("Phải thực sự nêu gương, là người truyền cảm hứng")
    await expect(answer.locator(".context")).to_have_text(
        "Câu hỏi 2: Ban Thường vụ Tỉnh ủy yêu cầu người đứng đầu cấp ủy, thủ trưởng cơ quan, đơn vị phải là người như thế nào?"
    )
    await expect(answer.locator(".citation")).to_have_text("📄 Câu hỏi 2 — Hỏi-Đáp Chỉ thị số 46-CT/TU ngày 03/4/2024")
    await answer.get_by_role("button", name="👍 Hữu ích").click()
    await expect(page.locator("#log .msg.note").last).to_have_text("Cảm ơn bạn đã góp ý!")

    # An item is quoted; the whole official answer is one tap away.
    item = await ask(page, "tham muu long vong")
    await expect(item.locator(".citation")).to_contain_text("Câu hỏi 4, mục (5)")
    await item.get_by_role("button", name="📖 Xem toàn văn câu trả lời").click()
    whole = page.locator("#log .msg.quote").last
    await expect(whole.locator("blockquote")).to_contain_text("(1) Không thực hiện đúng quy chế làm việc")
    await show(page, page.locator("#log .msg.me").nth(1))
    await page.screenshot(path=shot("chat-phone.png"))


async def test_a_member_taps_a_suggestion_and_a_confirmation(open_page, web, monkeypatch):
    page = await open_page(DESKTOP)
    await page.goto("/")
    refused = await ask(page, "tuổi nghỉ hưu của cán bộ nữ là bao nhiêu")
    await expect(refused).to_contain_text("chưa tìm thấy câu trả lời chính thức")
    await expect(refused.locator(".header")).to_have_text("Có phải bạn muốn hỏi…")
    suggestion = refused.locator("button.choice").first
    label = await suggestion.inner_text()
    number = label.split(":")[0].removeprefix("Câu hỏi ").strip()
    await suggestion.click()
    quoted = page.locator("#log .msg.quote").last
    await expect(quoted.locator(".citation")).to_contain_text(f"Câu hỏi {number}")

    # A plausible but uncertain match: "Có phải bạn muốn hỏi: …" and one tap to the quote (recorded).
    official = web.core.answering.official_answer("46-ct-tu", 4)
    plausible = Answer(
        found=False, confirm=True, suggestions=[Suggestion(official.gid, "46-ct-tu", 4, official.question)]
    )
    real_ask = web.core.ask
    monkeypatch.setattr(
        web.core, "ask", lambda text, context=None: plausible if "chấn chỉnh" in text else real_ask(text, context)
    )
    offer = await ask(page, "mấy cái biểu hiện phải chấn chỉnh là gì z ad")
    await expect(offer.locator(".header")).to_have_text(f"Có phải bạn muốn hỏi: {official.question}")
    await offer.get_by_role("button", name="✅ Đúng, xem câu trả lời chính thức").click()
    confirmed = page.locator("#log .msg.quote").last
    await expect(confirmed.locator(".context")).to_have_text(f"Câu hỏi 4: {official.question}")
    await expect(confirmed.locator("blockquote")).to_contain_text("(1) Không thực hiện đúng quy chế làm việc")
    web.core.flush_records(10)
    from bot.storage.repository import confirmations

    assert any(c.channel == "web" and c.question_number == 4 for c in confirmations(web.core._db))
    await show(page, offer)
    await page.screenshot(path=shot("chat-desktop.png"))


async def test_a_members_session_is_refused_on_the_dashboard(open_page):
    page = await open_page(PHONE)
    await page.goto("/")
    refused = await page.goto("/admin/")
    assert refused.status == 403
    await expect(page.locator("main")).to_contain_text("Trang này dành cho cán bộ và quản trị viên")


async def test_a_forged_or_used_link_is_refused(open_page, web):
    page = await open_page(PHONE)
    url = web.login_url(WEB_ADMIN)
    await log_in(page, url[:-4] + ("abcd" if not url.endswith("abcd") else "wxyz"))
    await expect(page.locator("main")).to_contain_text("không hợp lệ, đã dùng hoặc đã hết hạn")
    await log_in(page, url)  # the real one works, once
    await expect(page.locator("nav")).to_contain_text("Văn bản")
    other = await open_page(PHONE)
    await log_in(other, url)
    await expect(other.locator("main")).to_contain_text("không hợp lệ, đã dùng hoặc đã hết hạn")


async def test_an_admin_adds_a_docx_and_the_web_chat_answers_from_it(open_page, web, tmp_path):
    sample = docx_with_numbering(tmp_path)
    admin = await open_page(DESKTOP)
    await log_in(admin, web.login_url(WEB_ADMIN))
    await admin.get_by_role("link", name="Văn bản", exact=True).click()
    await admin.set_input_files("input[type=file][name=file]", str(sample.path))
    await admin.get_by_role("button", name="Tải lên và xem trước").click()
    preview = admin.locator("#preview")
    await expect(preview).to_contain_text("Số hiệu: 20-KH/TU")
    await expect(preview).to_contain_text("Tìm thấy: 5 câu hỏi, 14 mục")
    await expect(preview).to_contain_text("Câu hỏi 1: Kế hoạch đặt ra những mục tiêu nào đến hết năm 2025?")
    await admin.screenshot(path=shot("dashboard-upload-desktop.png"))
    await preview.get_by_role("button", name="✅ Cập nhật chỉ mục").click()
    await expect(admin.locator("#job-results")).to_contain_text("Đã cập nhật chỉ mục", timeout=180_000)
    await expect(admin.locator("#job-stage")).to_have_text("Xong.")

    member = await open_page(PHONE)
    await member.goto("/")
    answer = await ask(member, "Kế hoạch chuyển đổi số đặt ra những mục tiêu nào đến hết năm 2025?")
    await expect(answer.locator("blockquote")).to_contain_text("100% văn bản của các cơ quan đảng")
    await expect(answer.locator(".citation")).to_contain_text("Kế hoạch số 20-KH/TU")

    await admin.get_by_role("link", name="Văn bản", exact=True).click()
    await expect(admin.locator("table")).to_contain_text("20-kh-tu")


def made_up_history(core) -> None:
    """Two weeks of questions, confirmations and quizzes in two groups, for the dashboard's screenshot."""
    from bot.storage import repository
    from bot.storage.models import Confirmation

    now = dt.datetime.now(dt.UTC)
    official = core.answering.official_answer("46-ct-tu", 2)
    refused = Answer(found=False)
    with core._db.session() as s:
        for day in range(28, 0, -1):
            when = now - dt.timedelta(days=day, hours=2)
            for k in range(6 + (day * 7) % 9):
                row = repository.question_row("telegram", "g1", f"u{k}", "người đứng đầu", official, delivered=True)
                row.created_at = when
                # Some answers more asked than others (question 2 most, then 4, 1, 7 …).
                row.question_number = (2, 4, 2, 1, 7, 2, 4, 3, 5, 8, 6, 2)[(k + day) % 12]
                s.add(row)
            for k in range(1 + day % 4):
                row = repository.question_row("zalo", "z1", f"z{k}", "giá vàng hôm nay", refused, delivered=True)
                row.created_at = when
                s.add(row)
            for k in range(day % 3):
                row = repository.question_row("web", "w", f"w{k}", "chấn chỉnh", refused, delivered=True)
                row.confirm, row.created_at = True, when
                s.add(row)
            if day % 2:
                s.add(
                    Confirmation(
                        channel="web",
                        chat_id="w",
                        user_id="w0",
                        asked="chấn chỉnh",
                        doc_id="46-ct-tu",
                        question_number=4,
                        official_question=official.question,
                        created_at=when,
                    )
                )
    quiz = core.quizzes.service
    core.quizzes.sync_quiz_bank()
    members = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Minh Châu", "Phạm Thu Dung", "Hoàng Đức Em"]
    for chat, title, reach in (("-1001", "Chi bộ Văn phòng", 5), ("-1002", "Chi bộ Tuyên giáo", 3)):
        sub = quiz.subscribe("telegram", chat, "group", title, "07:30", "0123456", str(WEB_ADMIN))
        for back in range(6, 0, -1):
            day = quiz.today() - dt.timedelta(days=back)
            question = quiz.next_question("telegram", chat)
            claim = quiz.claim("telegram", chat, "group", question, "poll", sub.id, day, "07:30")
            quiz.mark_sent(claim.delivery_id, f"p{chat}{back}", None)
            for i, name in enumerate(members[:reach]):
                right = (i + back) % 4 != 0
                option = question.correct if right else (question.correct + 1) % len(question.options)
                quiz.record_answer("telegram", f"{chat}{i}", name, option, delivery_id=claim.delivery_id)


async def test_dashboard_charts_at_phone_and_desktop_widths(open_page, web):
    made_up_history(web.core)
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = await open_page(viewport)
        await log_in(page, web.login_url(WEB_ADMIN))
        await expect(page.locator("#chart-days")).to_be_visible()
        # Chart.js drew the three charts: the vendored file, loaded under our CSP (no CDN, no inline script).
        await page.wait_for_function("() => window.Chart && Object.keys(Chart.instances).length === 3")
        await expect(page.locator(".stats")).to_contain_text("đã trả lời")
        await expect(page.locator("table").first).to_contain_text("Nguyễn Văn An")
        await page.wait_for_timeout(600)  # chart animations end
        await page.screenshot(path=shot(f"dashboard-{name}.png"), full_page=True)
    await page.goto("/admin/quiz")
    await expect(page.locator("main")).to_contain_text("Chi bộ Văn phòng")
    await expect(page.locator("main")).to_contain_text("Ngân hàng câu hỏi")
