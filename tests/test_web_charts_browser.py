"""The overview's charts in Chromium at 390 and 1366 px: a range of 7 days or from–to, the three
charts drawn, every chart's CSV one tap away, nothing scrolling sideways. Screenshots:
docs/screenshots/overview-range-*.png."""

import csv
import io

import pytest
from playwright.async_api import expect

from tests import test_web_browser as chrome
from tests.conftest import WEB_ADMIN
from tests.test_web_browser import PHONE, WAIT, log_in, made_up_history, shot
from tests.test_web_quiz_browser import DESKTOP_WIDE, no_sideways_scroll, tap

browser = chrome.browser
open_page = chrome.open_page


@pytest.fixture(scope="module")
def history(web):
    made_up_history(web.core)
    return web


@pytest.mark.parametrize("viewport, name", [(PHONE, "phone"), (DESKTOP_WIDE, "desktop")], ids=["390px", "1366px"])
async def test_the_overview_over_a_chosen_range_with_each_chart_exportable(history, open_page, viewport, name):
    page = await open_page(viewport)
    await log_in(page, history.login_url(WEB_ADMIN))
    await tap(page, page.get_by_role("link", name="7 ngày", exact=True))
    await expect(page.locator("main")).to_contain_text("7 ngày gần nhất", timeout=WAIT)
    await page.wait_for_function("() => window.Chart && Object.keys(Chart.instances).length === 3")
    await expect(page.locator(".stats")).to_contain_text("Bấm xác nhận “Đúng” (nút “Có phải…?”)")
    assert await page.get_by_role("link", name="Xuất CSV").count() == 3
    async with page.expect_download() as download:
        await tap(page, page.get_by_role("link", name="Xuất CSV").first)
    saved = await (await download.value).path()
    rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    assert rows[0][0] == "Ngày (giờ Việt Nam, UTC+07:00)" and len(rows) == 1 + 7
    await no_sideways_scroll(page)
    await page.wait_for_timeout(600)  # chart animations end
    await page.screenshot(path=shot(f"overview-range-{name}.png"), full_page=True)
