"""The dashboard as officers expect it: the audit log with filters, confirmation pages before
anything destructive, the versions list in Vietnam time, lists with search, dates, filters and pages."""

import re

import httpx
import pytest

from tests.conftest import WEB_ADMIN, WEB_OFFICER
from tests.test_web import CSRF, log_in


@pytest.fixture
async def admin(web):
    async with httpx.AsyncClient(base_url=web.url, timeout=60) as c:
        assert (await log_in(c, web, WEB_ADMIN)).status_code == 303
        yield c


async def test_the_audit_log_lists_who_did_what_with_filters(web, admin):
    # Two actions by the admin: an officer granted (in chat) and a /web link (the one logged in with).
    page = await admin.get("/admin/audit")
    assert page.status_code == 200
    assert "Nhật ký thao tác" in page.text and "Lúc (giờ Việt Nam)" in page.text
    assert re.search(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", page.text)
    assert "Tạo liên kết đăng nhập" in page.text and "Lê Văn Quản" in page.text
    grants = await admin.get("/admin/audit", params={"action": "role_grant"})
    assert "Cấp quyền" in grants.text and f"telegram:{WEB_OFFICER}" in grants.text
    assert "telegram:910001</td>" not in grants.text
    future = await admin.get("/admin/audit", params={"from": "2099-01-01"})
    assert "Không có việc nào khớp bộ lọc." in future.text and "0 việc" in future.text
    async with httpx.AsyncClient(base_url=web.url, timeout=60) as officer:  # admins only
        assert (await log_in(officer, web, WEB_OFFICER)).status_code == 303
        assert (await officer.get("/admin/audit")).status_code == 403


async def test_the_audit_log_pages_keep_the_filters(web, admin):
    from bot.conversation import audit
    from bot.conversation.actor import PRIVATE, Actor

    someone = Actor("zalo", "z77", "z77", PRIVATE, "Cán bộ Zalo")
    for n in range(30):
        audit.record(web.core.conversation(), someone, "skip", f"#{n}")
    first = await admin.get("/admin/audit", params={"actor": "zalo:z77"})
    assert "1–25 / 30 việc" in first.text and "Trang 1/2" in first.text
    following = re.search(r'href="([^"]+)" rel="next"', first.text).group(1).replace("&amp;", "&")
    assert "actor=zalo%3Az77" in following
    second = await admin.get(following)
    assert "26–30 / 30 việc" in second.text and second.text.count("Bỏ qua câu hỏi") == 5 + 1  # + the filter's option
    assert CSRF.search(second.text)  # the logout form: a whole dashboard page
