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


async def wait_for(client, location: str) -> dict:
    import asyncio

    for _ in range(900):
        job = (await client.get(location + ".json")).json()
        if job["finished"]:
            return job
        await asyncio.sleep(0.2)
    raise AssertionError("the job did not finish")


async def test_versions_say_what_they_hold_and_rollback_says_what_members_lose_first(web, admin):
    from tests.conftest import DATA

    qd99 = DATA / "docs" / "quy-dinh-99-kiem-thu.txt"
    before = web.core.index.current().name
    page = await admin.get("/admin/documents")
    preview = await admin.post(
        "/admin/documents",
        data={"csrf": CSRF.search(page.text).group(1)},
        files={"file": (qd99.name, qd99.read_bytes(), "text/plain")},
    )
    yes = re.search(r'name="a" value="([^"]+)" class="btn primary"', preview.text).group(1)
    started = await admin.post("/admin/tap", data={"a": yes, "csrf": CSRF.search(preview.text).group(1)})
    assert not (await wait_for(admin, started.headers["location"]))["failed"]
    added = web.core.index.current().name
    assert added != before

    versions = await admin.get("/admin/versions")
    newest = versions.text.split(f"<code>{added}</code>", 1)[1].split("</tr>", 1)[0]
    assert re.search(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", newest)  # Vietnam time, dd/mm/yyyy HH:mm
    assert "Lê Văn Quản" in newest  # who built it (the upload's confirmation)
    assert "Chỉ thị 46-CT/TU <small>(8)</small>" in newest and "Quy định 99-QĐ/TU" in newest
    assert f"/admin/confirm/rollback?arg={before}" in versions.text

    # Rolling back is a confirmation page first, saying what members will lose; nothing changes yet.
    shown = await admin.get("/admin/confirm/rollback", params={"arg": before})
    assert shown.status_code == 200 and f"Quay về phiên bản {before}?" in shown.text
    lose = shown.text.split("Thành viên sẽ không còn được trả lời từ", 1)[1].split("</ul>", 1)[0]
    assert "Quy định 99-QĐ/TU:" in lose and "câu trả lời" in lose
    assert "Chỉ thị 46-CT/TU: 8 câu trả lời" in shown.text.split("Giữ nguyên", 1)[1]
    assert web.core.index.current().name == added
    back = await admin.post("/admin/run/rollback", data={"arg": before, "csrf": CSRF.search(shown.text).group(1)})
    assert back.status_code == 303 and web.core.index.current().name == before

    removing = await admin.get("/admin/confirm/remove", params={"arg": "46-ct-tu"})
    assert "Xóa Chỉ thị 46-CT/TU khỏi kho văn bản?" in removing.text and "sau khi xác nhận 0" in removing.text
    assert "/admin/run/remove" in removing.text and web.core.library.documents()  # still there
    unknown = await admin.get("/admin/confirm/unlink", params={"arg": "987654"})
    assert "Không có liên kết nào mã 987654" in unknown.text and "/admin/run/unlink" not in unknown.text
    assert (await admin.get("/admin/confirm/officer_add")).status_code == 404
    audit = await admin.get("/admin/audit", params={"action": "rollback"})
    assert "Quay về phiên bản" in audit.text and f"từ {added}" in audit.text


async def test_unanswered_and_review_lists_search_filter_page_and_act_from_a_row(web, admin):
    import datetime as dt

    from bot.localtime import ZONE
    from tests.test_web import ask

    question = "Cán bộ cứ đá bóng việc qua lại cho nhau thì sao?"
    async with httpx.AsyncClient(base_url=web.url, timeout=60) as member:
        csrf = CSRF.search((await member.get("/")).text).group(1)
        for text in (question, "Giá xăng tuần này bao nhiêu?"):
            await ask(member, text, csrf)
    web.core.flush_records(10)
    today = dt.datetime.now(ZONE).date()
    yesterday = today - dt.timedelta(days=1)

    # Search without diacritics, today's date, the web channel: found; another day or channel: not.
    found = await admin.get("/admin/unanswered", params={"q": "da bong", "from": today.isoformat(), "channel": "web"})
    assert question in found.text and "Giá xăng" not in found.text and "1–1 / 1 nhóm câu hỏi" in found.text
    assert f"{today:%d/%m/%Y}" in found.text  # last asked, Vietnam time
    gone = await admin.get("/admin/unanswered", params={"q": "da bong", "to": yesterday.isoformat()})
    assert question not in gone.text.split("</form>", 2)[-1] and "0 nhóm câu hỏi" in gone.text
    by_doc = await admin.get("/admin/unanswered", params={"q": "da bong", "doc": "46-ct-tu"})
    assert "1–1 / 1 nhóm câu hỏi" in by_doc.text
    assert "0 nhóm câu hỏi" in (await admin.get("/admin/unanswered", params={"doc": "99-qd-tu"})).text
    other = await admin.get("/admin/unanswered", params={"q": "da bong", "channel": "zalo"})
    assert "Không có câu hỏi nào thiếu câu trả lời khớp bộ lọc." in other.text
    exported = await admin.get("/admin/unanswered.csv", params={"q": "da bong"})
    assert question in exported.content.decode("utf-8-sig") and "Giá xăng" not in exported.content.decode("utf-8-sig")
    to_review = re.search(r'href="(/admin/review\?q=[^"]+)"', found.text).group(1).replace("&amp;", "&")

    # The review list: a compact row, the guess shown as a hint (not the primary button).
    listed = await admin.get(to_review)
    assert "1–1 / 1 câu chờ duyệt" in listed.text
    row = listed.text.split(f"“{question}”", 1)[1].split("</tr>", 1)[0]
    assert "Chưa chắc: Câu hỏi" in row and "btn small primary" not in row
    assert all(label in row for label in ("Gắn theo gợi ý", "✏️ Chọn câu khác", "🚫 Không thuộc văn bản", "⏭ Bỏ qua"))
    assert "Web" in row  # where members asked it
    by_channel = await admin.get("/admin/review", params={"q": "da bong", "channel": "zalo"})
    assert "Không có câu nào chờ duyệt khớp bộ lọc." in by_channel.text
    assert "1–1 / 1" in (await admin.get("/admin/review", params={"q": "da bong", "channel": "web"})).text
    dated = await admin.get(
        "/admin/review", params={"q": "da bong", "from": (today + dt.timedelta(days=1)).isoformat()}
    )
    assert "Không có câu nào chờ duyệt khớp bộ lọc." in dated.text

    # "Chọn câu khác" from the row, then the question and the whole answer: linked, back to the list as it was filtered.
    back = re.search(r'name="back" value="([^"]+)"', listed.text).group(1).replace("&amp;", "&")
    other_data = re.search(r'name="a" value="([^"]+)" class="btn small">✏️ Chọn câu khác', row).group(1)
    step = await admin.post(
        "/admin/review", data={"a": other_data, "back": back, "csrf": CSRF.search(listed.text).group(1)}
    )
    four = re.search(r'name="a" value="([^"]+)"[^>]*>Câu 4:', step.text).group(1)
    step = await admin.post("/admin/review", data={"a": four, "back": back, "csrf": CSRF.search(step.text).group(1)})
    whole = re.search(r'name="a" value="([^"]+)"[^>]*>Cả câu trả lời', step.text).group(1)
    done = await admin.post("/admin/review", data={"a": whole, "back": back, "csrf": CSRF.search(step.text).group(1)})
    assert done.status_code == 303 and done.headers["location"] == back
    after = await admin.get(back)
    assert "Đã liên kết" in after.text and "0 câu chờ duyệt" in after.text
    assert "Câu hỏi 4 – Chỉ thị 46-CT/TU: Ban Thường vụ" in after.text  # the link names its document
    link_id = re.search(r'href="/admin/confirm/unlink\?arg=(\d+)"', after.text).group(1)
    confirm = await admin.get(f"/admin/confirm/unlink?arg={link_id}")
    assert f"Bỏ liên kết #{link_id}" in confirm.text and "sẽ không còn được trả lời ngay bằng Câu hỏi 4" in confirm.text
    assert web.core.ask(question).found
