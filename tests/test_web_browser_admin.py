"""The dashboard officers would choose, in Debian's Chromium (Playwright) at 390 px and 1366 px, on a
fresh installation of its own (this module's site): log in through ``hoidap admin link`` (and, as
that admin, add a document and remove it through its confirmation page), roll back
through the confirmation page, find an unanswered question by search and date and link it from its
row, and every admin page on a phone with nothing wider than the screen. Screenshots go to
docs/screenshots/admin-*.png."""

import asyncio
import os
import re
import subprocess
import sys

import pytest
from playwright.async_api import expect

from tests.conftest import DATA, REPO, WEB_ADMIN
from tests.test_web_browser import ARGS, PHONE, WAIT, ask, browser, log_in, shot  # noqa: F401

DESKTOP = {"width": 1366, "height": 900}
QD99 = DATA / "docs" / "quy-dinh-99-kiem-thu.txt"
KH77 = DATA / "docs" / "ke-hoach-77-kiem-thu.md"


@pytest.fixture
async def open_page(browser, web):  # noqa: F811
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


def console_link(web, *args: str) -> str:
    """``hoidap admin link`` as an operator runs it on the server: a process of its own, configured
    like the site (its database, its data folder and secret, its port), no chat bot anywhere."""
    s = web.core.settings
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("HOIDAP_")},
        "PYTHONPATH": str(REPO),
        "HOIDAP_DATABASE_URL": s.database_url,
        "HOIDAP_DATA_DIR": str(s.data_dir),
        "HOIDAP_KNOWLEDGE_DIR": str(s.knowledge_dir),
        "HOIDAP_INDEX_DIR": str(s.index_dir),
        "HOIDAP_MODEL": str(s.model),
        "HOIDAP_WEB_PORT": str(web.port),
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "admin", "link", *args],
        env=env,
        cwd=s.data_dir,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


async def no_sideways_scroll(page) -> None:
    wide = await page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert wide[0] <= wide[1], (page.url, wide)


async def small_targets(page) -> list[str]:
    """Menu links and buttons a thumb cannot hit (under 44 px high), visible ones only."""
    return await page.evaluate(
        """() => [...document.querySelectorAll('.admin-top nav a, main .btn, .logout .btn')]
            .filter(e => e.offsetParent !== null)
            .filter(e => e.getBoundingClientRect().height < 43.5)
            .map(e => e.textContent.trim() + ' ' + e.getBoundingClientRect().height)"""
    )


async def test_a_fresh_install_logs_in_through_admin_link_at_both_widths(open_page, web):
    for viewport, name in ((PHONE, "phone"), (DESKTOP, "desktop")):
        url = await asyncio.to_thread(console_link, web, "--user", f"quan-tri-{name}")
        assert url.startswith(f"http://127.0.0.1:{web.port}/admin/login?t=")
        page = await open_page(viewport)
        await page.goto(url)
        await expect(page.locator("main")).to_contain_text("hoidap admin link")
        await page.get_by_role("button", name="Đăng nhập").click()
        await expect(page.locator(".who")).to_have_text(f"quan-tri-{name} · quản trị viên")
        nav = page.locator(".admin-top nav")
        for label in ("Tổng quan", "Chưa trả lời", "Duyệt câu hỏi", "Văn bản", "Phiên bản", "Câu đố", "Nhật ký"):
            await expect(nav.get_by_role("link", name=label, exact=True)).to_be_visible()
        await no_sideways_scroll(page)
        await page.screenshot(path=shot(f"admin-login-{name}.png"))
        if name == "desktop":  # the console's admin runs the documents: add one, then remove it
            await add_then_remove_a_document(page)
    again = await open_page(PHONE)  # the link works once
    await log_in(again, url)
    await expect(again.locator("main")).to_contain_text("hoidap admin link")
    await expect(again.locator("main")).to_contain_text("đã dùng hoặc đã hết hạn")


async def add_then_remove_a_document(page) -> None:
    await page.get_by_role("link", name="Văn bản", exact=True).click()
    await page.set_input_files("input[type=file][name=file]", str(KH77))
    await page.get_by_role("button", name="Tải lên và xem trước").click()
    await expect(page.locator("#preview")).to_contain_text("77-KH/TU")
    await page.locator("#preview").get_by_role("button", name="✅ Cập nhật chỉ mục").click()
    await expect(page.locator("#job-stage")).to_have_text("Xong.", timeout=180_000)
    await page.get_by_role("link", name="Văn bản", exact=True).click()
    row = page.locator("tbody tr", has_text="77-kh-tu")
    await row.get_by_role("link", name="Xóa…").click()
    lose = page.locator("h3:text-is('Thành viên sẽ không còn được trả lời từ') + ul")
    await expect(lose).to_contain_text("Kế hoạch 77-KH/TU")
    await page.screenshot(path=shot("admin-remove-confirm-desktop.png"))
    await page.get_by_role("button", name="Xóa văn bản").click()
    await expect(page.locator("#job-stage")).to_have_text("Xong.", timeout=180_000)
    await expect(page.locator("#job-results")).to_contain_text("Đã xóa")


async def test_a_rollback_goes_through_the_confirmation_page(open_page, web):
    first = web.core.index.current().name
    await asyncio.to_thread(web.core.library.add_documents, [(QD99, None)])
    page = await open_page(PHONE)
    await log_in(page, web.login_url(WEB_ADMIN))
    await page.get_by_role("link", name="Phiên bản", exact=True).click()
    older = page.locator("tr", has=page.locator(f"code:text-is('{first}')"))
    await expect(older).to_contain_text("Chỉ thị 46-CT/TU")
    await expect(page.locator("tr.active")).to_contain_text("Quy định 99-QĐ/TU")
    await expect(page.locator("tr.active")).to_contain_text(re.compile(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}"))
    await no_sideways_scroll(page)
    await page.screenshot(path=shot("admin-versions-phone.png"), full_page=True)
    await older.get_by_role("link", name="Quay lại phiên bản này…").click()
    await expect(page.locator("h2")).to_have_text(re.compile(f"Quay về phiên bản {first}"))
    lose = page.locator("h3:text-is('Thành viên sẽ không còn được trả lời từ') + ul")
    await expect(lose).to_contain_text("Quy định 99-QĐ/TU")
    await no_sideways_scroll(page)
    await page.screenshot(path=shot("admin-rollback-confirm-phone.png"), full_page=True)
    assert web.core.index.current().name != first  # nothing happened yet
    await page.get_by_role("button", name="Quay về phiên bản này").click()
    await expect(page.locator(".flash")).to_contain_text(f"Đã chuyển chỉ mục về phiên bản {first}.")
    assert web.core.index.current().name == first


async def test_an_unanswered_question_found_by_search_and_date_is_linked_from_its_row(open_page, web):
    for viewport, name, question in (
        (DESKTOP, "desktop", "Cán bộ cứ đá bóng việc qua lại cho nhau thì sao?"),
        (PHONE, "phone", "Cán bộ sợ sai không dám làm thì có được đi học nước ngoài không?"),
    ):
        member = await open_page(PHONE)
        await member.goto("/")
        await ask(member, question)
        web.core.flush_records(10)
        page = await open_page(viewport)
        await log_in(page, web.login_url(WEB_ADMIN))
        await page.get_by_role("link", name="Chưa trả lời", exact=True).click()
        today = await page.evaluate("() => new Date().toLocaleDateString('en-CA', {timeZone: 'Asia/Ho_Chi_Minh'})")
        await page.fill("input[name=q]", "da bong" if name == "desktop" else "so sai khong dam lam")
        await page.fill("input[name=from]", today)
        await page.fill("input[name=to]", today)
        await page.get_by_role("button", name="Lọc").click()
        row = page.locator("tbody tr", has_text=question)
        await expect(row).to_have_count(1)
        await expect(page.locator(".pager .count")).to_contain_text("1–1 / 1")
        await no_sideways_scroll(page)
        await page.screenshot(path=shot(f"admin-unanswered-{name}.png"), full_page=True)
        await row.get_by_role("link", name="Liên kết…").click()
        card = page.locator("tbody tr", has_text=question)
        await expect(card).to_have_count(1)
        await expect(card).to_contain_text("Chưa chắc:")  # the guess is a hint, not the main button
        assert await card.locator(".btn.primary").count() == 0
        await no_sideways_scroll(page)
        await page.screenshot(path=shot(f"admin-review-{name}.png"), full_page=True)
        await card.get_by_role("button", name="✏️ Chọn câu khác").click()
        await page.locator(".review-step").get_by_role("button", name=re.compile(r"^Câu 4:")).click()
        await page.locator(".review-step").get_by_role("button", name="Cả câu trả lời").click()
        await expect(page.locator(".flash")).to_contain_text("Đã liên kết")
        assert web.core.ask(question).found


async def test_every_admin_page_fits_a_phone(open_page, web):
    page = await open_page(PHONE)
    await log_in(page, web.login_url(WEB_ADMIN))
    versions = [v.name for v in web.core.library.index_versions() if not v.active]
    pages = {
        "overview": "/admin/",
        "unanswered": "/admin/unanswered",
        "review": "/admin/review",
        "documents": "/admin/documents",
        "versions": "/admin/versions",
        "quiz": "/admin/quiz",
        "audit": "/admin/audit",
        "remove-confirm": "/admin/confirm/remove?arg=46-ct-tu",
    }
    if versions:
        pages["rollback-confirm"] = f"/admin/confirm/rollback?arg={versions[-1]}"
    small = {}
    for name, path in pages.items():
        response = await page.goto(path)
        assert response.status == 200, path
        await no_sideways_scroll(page)
        small[name] = await small_targets(page)
        await page.screenshot(path=shot(f"admin-{name}-phone.png"), full_page=True)
    # Every menu item is whole (none cut off) and every action a thumb can hit.
    await page.goto("/admin/audit")
    for link in await page.locator(".admin-top nav a").all():
        assert await link.evaluate("e => e.scrollWidth <= e.clientWidth"), await link.inner_text()
    assert not any(small.values()), small


async def test_the_member_chat_on_a_phone_keeps_the_quiz_folded_below_the_welcome(open_page, web):
    page = await open_page(PHONE)
    await page.goto("/")
    welcome = page.locator("#log .msg.text").first
    fold = page.locator("details.quiz-fold")
    await expect(welcome).to_be_in_viewport()
    await expect(fold.locator("summary")).to_be_in_viewport()
    await expect(fold.locator(".question")).to_be_hidden()  # the first screen is for asking
    await no_sideways_scroll(page)
    await page.screenshot(path=shot("chat-first-screen-phone.png"))
    await fold.locator("summary").click()
    letters = fold.locator("button.letter")
    await expect(letters).to_have_count(4)
    for text in await letters.all_inner_texts():  # whole options, wrapped, never cut with "…"
        assert not text.rstrip().endswith("…"), text
    for box in [await b.bounding_box() for b in await letters.all()]:
        assert box["height"] >= 44 and box["x"] + box["width"] <= PHONE["width"]
    await fold.locator("summary").scroll_into_view_if_needed()
    await page.screenshot(path=shot("chat-quiz-open-phone.png"))
