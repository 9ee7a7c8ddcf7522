"""A document's table in the web chat, in Chromium at 390 and 1366 px: a question about one figure is
answered with that row under its header, shown as a real table that never makes the page scroll
sideways. Screenshots: docs/screenshots/chat-table-*.png."""

import asyncio

import pytest
from playwright.async_api import expect

from tests import test_web_browser as chrome
from tests.test_tables import FUNDS, funds_docx
from tests.test_web_browser import PHONE, ask, shot
from tests.test_web_quiz_browser import DESKTOP_WIDE, no_sideways_scroll

browser = chrome.browser
open_page = chrome.open_page


@pytest.fixture(scope="module")
async def funds(web, tmp_path_factory):
    path = funds_docx(tmp_path_factory.mktemp("funds"))
    await asyncio.to_thread(web.core.library.add_documents, [(path, path.name)], True)
    return web


@pytest.mark.parametrize("viewport, name", [(PHONE, "phone"), (DESKTOP_WIDE, "desktop")], ids=["390px", "1366px"])
async def test_a_figure_in_a_table_is_quoted_as_a_table_row_under_its_header(funds, open_page, viewport, name):
    page = await open_page(viewport)
    await page.goto("/")
    answer = await ask(page, "ngân sách tỉnh chiếm bao nhiêu phần trăm")
    table = answer.locator("blockquote .doc-table table")
    await expect(table.locator("th")).to_have_text(FUNDS[0])
    await expect(table.locator("tbody tr")).to_have_count(1)
    await expect(table.locator("tbody td")).to_have_text(FUNDS[2])
    await expect(answer.locator(".citation")).to_contain_text("Câu hỏi 2, mục (2)")
    await no_sideways_scroll(page)
    await answer.evaluate("e => e.scrollIntoView({block: 'center'})")
    await page.wait_for_timeout(500)
    await page.screenshot(path=shot(f"chat-table-{name}.png"))
    # The whole answer: its sentence, then the whole table.
    await answer.get_by_role("button", name="📖 Xem toàn văn câu trả lời").click()
    whole = page.locator("#log .msg.quote").last
    await expect(whole.locator("blockquote")).to_contain_text("Tổng kinh phí thực hiện Đề án là 4.000 tỷ đồng")
    await expect(whole.locator("tbody tr")).to_have_count(len(FUNDS) - 1)
    await no_sideways_scroll(page)
