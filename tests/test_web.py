"""The one HTTP app over real HTTP (uvicorn on 127.0.0.1): health, readiness and metrics; the web chat
as a channel of the conversation core (escaped answers, CSRF, per-client limit, today's quiz); the
dashboard's login by one-time link, roles, CSRF on every form, the unanswered report and its exports,
and the officers' quiz import. The browser tests (tests/test_web_browser.py) drive the same pages in
Chromium."""

import csv
import io
import re

import httpx
import pytest
from openpyxl import load_workbook
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from bot.channels.web.security import ClientLimiter
from bot.storage.models import WebLogin
from tests.conftest import WEB_ADMIN, WEB_MEMBER, WEB_OFFICER

PERSONAL = "em là Vũ Thị Bích, sđt 0912 345 678, email vu.bich@gmail.com, hỏi lương hưu tháng này bao nhiêu"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
TOKEN = re.compile(r'name="t" value="([^"]*)"')


@pytest.fixture
async def client(web):
    async with httpx.AsyncClient(base_url=web.url, timeout=60) as c:
        yield c


async def csrf_of(client, path="/") -> str:
    page = await client.get(path)
    return CSRF.search(page.text).group(1)


async def ask(client, text: str, csrf: str | None = None) -> httpx.Response:
    csrf = csrf or await csrf_of(client)
    return await client.post("/ask", data={"q": text, "csrf": csrf}, headers={"X-Requested-With": "fetch"})


async def log_in(client, web, user_id: int, url: str | None = None) -> httpx.Response:
    """Open the /web link, press the login button; returns the response to the POST."""
    page = await client.get(url or web.login_url(user_id))
    assert page.status_code == 200 and "Đăng nhập" in page.text
    token = TOKEN.search(page.text).group(1)
    return await client.post("/admin/login", data={"t": token, "csrf": CSRF.search(page.text).group(1)})


def samples(text: str) -> dict[tuple[str, tuple], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


async def test_health_readiness_and_metrics_after_a_few_questions(web, client):
    assert (await client.get("/healthz")).text == "ok"
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "ready": True,
        "index": web.core.index.current().name,
        "database": True,
        "redis": "off",  # one process, no Redis configured
        "degraded": False,
    }

    before = samples((await client.get("/metrics")).text)
    csrf = await csrf_of(client)  # the page also puts today's quiz on the site: a delivery
    assert (await ask(client, "người đứng đầu phải thế nào", csrf)).status_code == 200
    assert (await ask(client, "giá vàng hôm nay bao nhiêu", csrf)).status_code == 200
    metrics = await client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain; version=")
    after = samples(metrics.text)

    def grew(name, **labels):
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert grew("hoidap_questions_total", channel="web", outcome="answered") == 1
    assert grew("hoidap_questions_total", channel="web", outcome="refused") == 1
    assert grew("hoidap_answer_seconds_count", channel="web") == 2
    assert grew("hoidap_reply_seconds_count", channel="web") == 2  # end to end: request in, page out
    assert grew("hoidap_http_requests_total", route="/ask", method="POST", status="200") == 2
    assert grew("hoidap_http_request_seconds_count", route="/ask") == 2
    assert after[("hoidap_ready", ())] == 1
    assert ("hoidap_questions_total", (("channel", "telegram"), ("outcome", "confirm"))) in after
    assert after[("hoidap_quiz_deliveries_total", (("status", "sent"),))] >= 1
    assert ("hoidap_quiz_answers_total", (("channel", "web"), ("correct", "true"))) in after
    assert ("hoidap_channel_api_errors_total", (("channel", "telegram"), ("method", "sendMessage"))) in after
    version = web.core.index.current().name
    assert after[("hoidap_index_version_info", (("version", version),))] == 1


async def test_the_web_chat_is_a_channel_of_the_core(web, client):
    csrf = await csrf_of(client)
    answer = await ask(client, "tham muu long vong", csrf)
    html = answer.text
    assert '<div class="msg me"><p>tham muu long vong</p></div>' in html
    assert "<blockquote>(5) Tham mưu “lòng vòng”" in html
    assert "Câu hỏi 4, mục (5) — Hỏi-Đáp Chỉ thị số 46-CT/TU ngày 03/4/2024" in html
    full = re.search(r'value="(a\|46-ct-tu\|4)"[^>]*>📖 Xem toàn văn', html).group(1)
    assert 'value="f|' in html and "👍 Hữu ích" in html

    whole = await client.post("/tap", data={"a": full, "csrf": csrf}, headers={"X-Requested-With": "fetch"})
    assert "(1) Không thực hiện đúng quy chế làm việc" in whole.text  # the whole official answer

    # The question is logged for this member (the session's id), once delivered.
    web.core.flush_records(10)
    from bot.storage.db import Database
    from bot.storage.models import QuestionLog

    with Database(web.core.settings.database_url, migrate=False).session() as s:
        row = s.query(QuestionLog).filter_by(text="tham muu long vong").one()
    assert row.channel == "web" and row.user_id.startswith("w") and row.delivered and row.found

    # Everything a member types comes back escaped; without JavaScript the form gets a whole page.
    page = await client.post("/ask", data={"q": "<script>alert(1)</script> là gì", "csrf": csrf})
    assert page.status_code == 200 and page.text.startswith("<!doctype html>")
    assert "<script>alert(1)" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt; là gì" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]

    # Tampered button data gets the short notice, not an error.
    stale = await client.post("/tap", data={"a": "a|../../etc|1", "csrf": csrf}, headers={"X-Requested-With": "fetch"})
    assert "Nút này đã cũ hoặc không hợp lệ" in stale.text


async def test_chat_posts_need_the_csrf_token_and_are_limited_per_client(web, client):
    csrf = await csrf_of(client)
    assert (await client.post("/ask", data={"q": "người đứng đầu"})).status_code == 403
    assert (await client.post("/ask", data={"q": "người đứng đầu", "csrf": "forged"})).status_code == 403
    assert (await client.post("/tap", data={"a": "f|abcdefgh|1"})).status_code == 403
    async with httpx.AsyncClient(base_url=web.url) as stranger:  # another visitor's token is not ours
        assert (await stranger.post("/ask", data={"q": "người đứng đầu", "csrf": csrf})).status_code == 403

    chat = web.runner.web.state.chat
    saved, chat.limiter = chat.limiter, ClientLimiter(2, per_address=100)
    try:
        codes = [(await ask(client, "khoán sản phẩm là gì", csrf)).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        limited = await ask(client, "khoán sản phẩm là gì", csrf)
        assert "Bạn đang hỏi hơi nhanh" in limited.text
    finally:
        chat.limiter = saved


async def test_members_behind_one_office_nat_each_have_their_own_limit(web):
    """Limits count per member (session) and, higher, per address — the address as nginx reports it."""
    chat = web.runner.web.state.chat
    saved, chat.limiter = chat.limiter, ClientLimiter(2, per_address=5)
    office = {"X-Forwarded-For": "203.0.113.7"}  # one NAT; nginx on 127.0.0.1 is a trusted proxy
    try:
        codes = []
        for _ in range(3):  # three colleagues, each with their own session
            async with httpx.AsyncClient(base_url=web.url, timeout=60, headers=office) as member:
                csrf = await csrf_of(member)
                codes.append([(await ask(member, "khoán sản phẩm là gì", csrf)).status_code for _ in range(2)])
        assert codes == [[200, 200], [200, 200], [200, 429]]  # each member's 2; the office's 5 in all
        async with httpx.AsyncClient(base_url=web.url, timeout=60, headers={"X-Forwarded-For": "198.51.100.9"}) as c:
            assert (await ask(c, "khoán sản phẩm là gì")).status_code == 200  # another office is not held
    finally:
        chat.limiter = saved


async def test_the_chat_limit_reads_the_server_side_session_of_a_logged_in_officer(web):
    """An officer logged in on two devices (two cookies, two server-side sessions) is one member for the
    limit; once a device logs out, its session is gone from the server and that device counts as the
    anonymous member of its cookie again."""
    chat = web.runner.web.state.chat
    saved = chat.limiter
    chat.limiter = ClientLimiter(3, per_address=100, lookup=saved.lookup)
    try:
        async with (
            httpx.AsyncClient(base_url=web.url, timeout=60) as phone,
            httpx.AsyncClient(base_url=web.url, timeout=60) as laptop,
        ):
            for device in (phone, laptop):
                assert (await log_in(device, web, WEB_OFFICER)).status_code == 303
            phone_csrf, laptop_csrf = await csrf_of(phone), await csrf_of(laptop)
            codes = [(await ask(phone, "khoán sản phẩm là gì", phone_csrf)).status_code for _ in range(2)]
            codes += [(await ask(laptop, "khoán sản phẩm là gì", laptop_csrf)).status_code for _ in range(2)]
            assert codes == [200, 200, 200, 429]  # the officer's 3, wherever they ask from

            out = await laptop.post("/admin/logout", data={"csrf": await csrf_of(laptop, "/admin/quiz")})
            assert out.status_code == 303
            assert (await ask(laptop, "khoán sản phẩm là gì")).status_code == 200  # its own member now
            assert (await ask(phone, "khoán sản phẩm là gì", phone_csrf)).status_code == 429  # still the officer
    finally:
        chat.limiter = saved


async def test_todays_quiz_on_the_web_is_answered_once(web, client):
    page = await client.get("/")
    assert "❓ Câu đố hôm nay" in page.text
    letters = re.findall(r'value="(q\|\d+\|(\d))"[^>]*>([A-J])\. ', page.text)
    assert [letter for _, _, letter in letters] == ["A", "B", "C", "D"]
    csrf = CSRF.search(page.text).group(1)
    first = await client.post("/tap", data={"a": letters[0][0], "csrf": csrf}, headers={"X-Requested-With": "fetch"})
    assert "Bạn: ✅ Chính xác!" in first.text or "Bạn: ❌ Chưa đúng. Đáp án:" in first.text
    again = await client.post("/tap", data={"a": letters[1][0], "csrf": csrf}, headers={"X-Requested-With": "fetch"})
    assert "bạn đã trả lời câu đố này rồi" in again.text
    # Everyone gets the same question today; another member can answer it too.
    async with httpx.AsyncClient(base_url=web.url) as other:
        assert letters[0][0] in (await other.get("/")).text


async def test_login_by_one_time_link(web, client):
    assert "chỉ dành cho cán bộ" in web.link(WEB_MEMBER)  # members get no link
    url = web.login_url(WEB_ADMIN)
    assert url.startswith(f"{web.url}/admin/login?t=") and "dùng được một lần" in web.link(WEB_ADMIN)

    # Opening the link only shows a button (link previews cannot use it up); the POST logs in.
    logged = await log_in(client, web, WEB_ADMIN, url)
    assert logged.status_code == 303 and logged.headers["location"] == "/admin/"
    cookie = logged.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    overview = await client.get("/admin/")
    assert overview.status_code == 200 and "Câu hỏi mỗi ngày" in overview.text and "quản trị viên" in overview.text

    async def login_with(token: str) -> httpx.Response:
        async with httpx.AsyncClient(base_url=web.url) as c:
            page = await c.get(f"/admin/login?t={token}")
            return await c.post("/admin/login", data={"t": token, "csrf": CSRF.search(page.text).group(1)})

    used = url.split("t=", 1)[1]
    assert (await login_with(used)).status_code == 403  # once only
    fresh = web.login_url(WEB_ADMIN).split("t=", 1)[1]
    forged = fresh[:-3] + ("AAA" if not fresh.endswith("AAA") else "BBB")
    refused = await login_with(forged)
    assert refused.status_code == 403 and "không hợp lệ, đã dùng hoặc đã hết hạn" in refused.text
    assert (await login_with("")).status_code == 403

    expired = web.login_url(WEB_ADMIN).split("t=", 1)[1]
    from bot.storage.db import Database
    from bot.storage.models import utcnow

    with Database(web.core.settings.database_url, migrate=False).session() as s:
        s.execute(update(WebLogin).where(WebLogin.used_at.is_(None)).values(expires_at=utcnow().replace(year=2020)))
    assert (await login_with(expired)).status_code == 403
    assert (await login_with(fresh)).status_code == 403  # expired as well


async def test_logout_ends_the_session_on_the_server(web, client):
    assert (await log_in(client, web, WEB_OFFICER)).status_code == 303
    copied = dict(client.cookies.items())  # the same cookie, replayed from elsewhere
    assert (await client.get("/admin/quiz")).status_code == 200
    out = await client.post("/admin/logout", data={"csrf": await csrf_of(client, "/admin/quiz")})
    assert out.status_code == 303
    async with httpx.AsyncClient(base_url=web.url, cookies=copied) as replay:
        refused = await replay.get("/admin/quiz")
    assert refused.status_code == 403 and "Hãy gõ /web" in refused.text
    assert (await client.get("/admin/quiz")).status_code == 403


async def test_roles_members_officers_admins(web):
    async with httpx.AsyncClient(base_url=web.url) as member:
        await member.get("/")  # a web chat session: an anonymous member
        for path in ("/admin/", "/admin/quiz", "/admin/documents", "/admin/unanswered.csv"):
            refused = await member.get(path)
            assert refused.status_code == 403 and "Trang này dành cho cán bộ" in refused.text, path

    async with httpx.AsyncClient(base_url=web.url) as officer:
        assert (await log_in(officer, web, WEB_OFFICER)).status_code == 303
        home = await officer.get("/admin/")
        assert home.status_code == 303 and home.headers["location"] == "/admin/quiz"
        quiz = await officer.get("/admin/quiz")
        assert quiz.status_code == 200 and "Ngân hàng câu hỏi" in quiz.text and "cán bộ" in quiz.text
        assert "/admin/documents" not in quiz.text  # no admin links in the menu
        for path in ("/admin/documents", "/admin/versions", "/admin/unanswered", "/admin/unanswered.xlsx"):
            assert (await officer.get(path)).status_code == 403, path

        # A revoked officer is out at once: the role is asked from the core on every request.
        from bot.conversation.actor import PRIVATE, Actor

        admin = Actor("telegram", str(WEB_ADMIN), str(WEB_ADMIN), PRIVATE, "Quản trị")
        web.core.conversation().command(admin, "officer_remove", [str(WEB_OFFICER)])
        try:
            assert (await officer.get("/admin/quiz")).status_code == 403
        finally:
            web.core.conversation().command(admin, "officer_add", [str(WEB_OFFICER)])


async def test_every_dashboard_form_needs_the_csrf_token(web, client):
    assert (await log_in(client, web, WEB_ADMIN)).status_code == 303
    docs_before = [d.doc_id for d in web.core.library.documents()]
    version = web.core.index.current().name
    forms = [
        ("/admin/documents", {}, {"file": ("qd.txt", b"x", "text/plain")}),
        ("/admin/tap", {"a": "u|abcdefghijkl|1"}, None),
        ("/admin/run/remove", {"arg": "46-ct-tu"}, None),
        ("/admin/run/reindex", {}, None),
        ("/admin/run/rollback", {"arg": version}, None),
        ("/admin/quiz/import", {}, {"file": ("q.csv", b"question,A,B,correct\nx,a,b,A\n", "text/csv")}),
        ("/admin/logout", {}, None),
        ("/admin/login", {"t": "x"}, None),
    ]
    for path, data, files in forms:
        for token in (None, "wrong-token"):
            sent = dict(data, **({"csrf": token} if token else {}))
            response = await client.post(path, data=sent, files=files)
            assert response.status_code == 403, (path, token)
    assert [d.doc_id for d in web.core.library.documents()] == docs_before and web.core.index.current().name == version
    assert (await client.get("/admin/")).status_code == 200  # still logged in: logout was refused too


async def test_unanswered_grouped_with_counts_and_exported_for_excel(web, client):
    csrf = await csrf_of(client)
    asked = [
        "Tuổi nghỉ hưu của nữ cán bộ là bao nhiêu?",
        "tuổi nghỉ hưu của nữ cán bộ là bao nhiêu",
        "nữ cán bộ nghỉ hưu năm bao nhiêu tuổi",
        '=HYPERLINK("http://x") giá vàng hôm nay?',
        "Thời tiết ngày mai thế nào?",
        PERSONAL,
    ]
    for text in asked:
        await ask(client, text, csrf)
    web.core.flush_records(10)
    assert (await log_in(client, web, WEB_ADMIN)).status_code == 303

    page = await client.get("/admin/unanswered?days=7")
    assert page.status_code == 200
    row = re.search(r"<b>(\d+)</b></td>\s*<td[^>]*>[Tt]uổi nghỉ hưu của nữ cán bộ là bao nhiêu\??\s", page.text)
    assert row and int(row.group(1)) == 3  # two spellings and one rewording, counted together
    assert "nữ cán bộ nghỉ hưu năm bao nhiêu tuổi" in page.text  # shown as a variant

    exported = await client.get("/admin/unanswered.csv?days=7")
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.content.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8 Vietnamese
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["Số lần", "Câu hỏi"]
    assert rows[1][0] == "3" and rows[1][1].lower().startswith("tuổi nghỉ hưu của nữ cán bộ")
    assert any(r[1].startswith("'=HYPERLINK") for r in rows[1:])  # never a live formula

    xlsx = await client.get("/admin/unanswered.xlsx?days=7")
    assert "attachment" in xlsx.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:2] == ("Số lần", "Câu hỏi") and values[1][0] == 3
    assert values[1][1].lower().startswith("tuổi nghỉ hưu của nữ cán bộ")

    # What members typed about themselves stays in the database: masked on the page and in both files.
    shown = [page.text, exported.content.decode("utf-8-sig"), " ".join(str(v) for r in values for v in r)]
    for text in shown:
        assert "[số điện thoại]" in text and "[email]" in text and "[tên]" in text
        assert not any(secret in text for secret in ("0912", "345 678", "vu.bich", "Vũ Thị Bích"))


async def test_officers_import_their_own_quiz_questions(web):
    good = (
        "question,A,B,C,D,correct,explanation,doc_number,question_number,item\n"
        '"Khoán sản phẩm là biện pháp ở câu hỏi nào?",Câu 2,Câu 5,Câu 7,Câu 8,B,"Câu hỏi 5, Chỉ thị 46-CT/TU",46-CT/TU,5,\n'
    ).encode()
    bad = good.replace("Câu 8,B,".encode(), "Câu 8,E,".encode())
    async with httpx.AsyncClient(base_url=web.url, timeout=60) as officer:
        assert (await log_in(officer, web, WEB_OFFICER)).status_code == 303
        for name, data, expected in (
            ("cau-hoi-thang-12.csv", bad, "cau-hoi-thang-12.csv, dòng 2: đáp án đúng"),
            ("cau-hoi-thang-12.csv", good, "Đã nhập 1 câu hỏi từ cau-hoi-thang-12.csv."),
            ("cau-hoi-thang-12.csv", good, "Đã nhập 0 câu hỏi từ cau-hoi-thang-12.csv (1 câu đã có, bỏ qua)."),
            ("cau-hoi.docx", good, "Tệp câu hỏi phải là .csv, .xlsx, .yaml hoặc .yml"),
        ):
            csrf = await csrf_of(officer, "/admin/quiz")
            done = await officer.post(
                "/admin/quiz/import", data={"csrf": csrf}, files={"file": (name, data, "text/csv")}
            )
            assert done.status_code == 303
            page = await officer.get("/admin/quiz")
            assert expected in page.text, expected
        assert "Khoán sản phẩm là biện pháp ở câu hỏi nào?" in page.text  # in the bank browser


async def test_several_asks_in_one_message_get_one_quote_each(web, client, monkeypatch):
    first, second = web.core.answering.official_answer("46-ct-tu", 2), web.core.answering.official_answer("46-ct-tu", 5)
    first.more = [second]
    monkeypatch.setattr(web.core, "ask", lambda text, context=None: first)
    html = (await ask(client, "người đứng đầu phải thế nào, còn khoán sản phẩm là gì")).text
    assert html.count("<blockquote>") == 2
    assert html.index("📄 Câu hỏi 2 —") < html.index("📄 Câu hỏi 5 —")


async def test_an_admin_rebuilds_follows_the_progress_and_rolls_back(web, client):
    import asyncio

    assert (await log_in(client, web, WEB_ADMIN)).status_code == 303
    before = web.core.index.current().name
    started = await client.post("/admin/run/reindex", data={"csrf": await csrf_of(client, "/admin/documents")})
    assert started.status_code == 303 and started.headers["location"].startswith("/admin/jobs/")
    page = await client.get(started.headers["location"])
    assert page.status_code == 200 and "Đang xây dựng lại chỉ mục" in page.text
    for _ in range(600):
        job = (await client.get(started.headers["location"] + ".json")).json()
        if job["finished"]:
            break
        await asyncio.sleep(0.2)
    assert job["finished"] and not job["failed"] and "Đã cập nhật chỉ mục" in job["results"][0]
    async with httpx.AsyncClient(base_url=web.url) as stranger:  # jobs are their owner's only
        assert (await stranger.get(started.headers["location"] + ".json")).status_code == 403
    rebuilt = web.core.index.current().name
    assert rebuilt != before

    versions = await client.get("/admin/versions")
    assert re.search(rf"<code>{rebuilt}</code> <span class=\"badge\">đang dùng</span>", versions.text)
    back = await client.post("/admin/run/rollback", data={"arg": before, "csrf": CSRF.search(versions.text).group(1)})
    assert back.status_code == 303 and back.headers["location"] == "/admin/versions"
    shown = await client.get("/admin/versions")
    assert f"Đã chuyển chỉ mục về phiên bản {before}." in shown.text
    assert re.search(rf"<code>{before}</code> <span class=\"badge\">đang dùng</span>", shown.text)
    assert web.core.index.current().name == before
    assert (
        await client.post("/admin/run/officer_add", data={"arg": "1", "csrf": CSRF.search(shown.text).group(1)})
    ).status_code == 404


async def test_an_admin_links_a_members_question_on_the_dashboard(web, client):
    """The review queue on the web is the chat's /review flow: the member's question, the guess, then
    "Chọn câu khác" → the official question → the item; from then on the question is answered."""
    question = "Cán bộ cứ đá bóng việc qua lại cho nhau thì sao?"
    csrf = await csrf_of(client)
    before = web.core.ask(question)
    await ask(client, question, csrf)
    web.core.flush_records(10)
    assert (await log_in(client, web, WEB_ADMIN)).status_code == 303

    page = await client.get("/admin/review")
    assert page.status_code == 200 and f"“{question}”" in page.text
    card = page.text.split(f"“{question}”", 1)[1]
    other = re.search(r'name="a" value="([^"]+)"[^>]*>✏️ Chọn câu khác', card).group(1)
    token = CSRF.search(page.text).group(1)
    step = await client.post("/admin/review", data={"a": other, "csrf": token})
    four = re.search(r'name="a" value="([^"]+)"[^>]*>Câu 4:', step.text).group(1)
    step = await client.post("/admin/review", data={"a": four, "csrf": token})
    item = re.search(r'name="a" value="([^"]+)"[^>]*>Mục \(6\)', step.text).group(1)
    done = await client.post("/admin/review", data={"a": item, "csrf": token})
    assert done.status_code == 303 and done.headers["location"] == "/admin/review"
    page = await client.get("/admin/review")
    assert "Đã liên kết" in page.text and question in page.text  # the flash, and the link in the list

    after = web.core.ask(question)
    assert after.found and (after.source.question_number, after.source.item) == (4, 6), (before, after)
    refused = await client.post("/admin/review", data={"a": item})  # no CSRF token
    assert refused.status_code == 403


async def raw_post(port: int, path: str, headers: dict, chunks) -> tuple[int, int]:
    """POST over a bare connection, writing ``chunks`` until the server answers: (status, bytes sent)."""
    import asyncio

    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    writer.write((head + "\r\n").encode())
    answer = asyncio.ensure_future(reader.readline())
    sent = 0
    for chunk in chunks:
        if answer.done():
            break
        try:
            writer.write(chunk)
            await writer.drain()
        except ConnectionError:
            break
        sent += len(chunk)
        await asyncio.sleep(0.001)  # the server's answer gets a chance to arrive
    status = int((await asyncio.wait_for(answer, 60)).split()[1])
    writer.close()
    return status, sent


def chunked(total: int, size: int = 16 * 1024):
    """A multipart form whose one file field goes on for ``total`` bytes, in HTTP chunks made as they are
    sent (3 GB never exist anywhere)."""
    head = b'--b\r\nContent-Disposition: form-data; name="file"; filename="x.pdf"\r\n\r\n'
    yield f"{len(head):x}\r\n".encode() + head + b"\r\n"
    block = b"x" * size
    for _ in range(total // size):
        yield f"{size:x}\r\n".encode() + block + b"\r\n"


async def test_request_bodies_are_limited_by_the_app_while_they_are_read(web, client):
    three_gb = 3 * 1024**3
    multipart = {"Content-Type": "multipart/form-data; boundary=b"}

    def cookies() -> dict:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in client.cookies.items())}

    await csrf_of(client)  # a session, as a visitor who opened the page has
    visitor = {**multipart, **cookies()}
    # Declared too large: refused before a byte of the body is read.
    assert await raw_post(web.port, "/ask", {**visitor, "Content-Length": str(three_gb)}, []) == (413, 0)
    # Not declared (chunked): read up to the limit of a question's form (64 KB), then cut off.
    status, sent = await raw_post(web.port, "/ask", {**visitor, "Transfer-Encoding": "chunked"}, chunked(three_gb))
    assert status == 413 and sent < 16 * 1024**2
    # Without a session nothing is read at all: 403 at once, on the chat and on the dashboard.
    stranger = {**multipart, "Transfer-Encoding": "chunked"}
    for path in ("/ask", "/admin/documents"):
        status, sent = await raw_post(web.port, path, stranger, chunked(three_gb))
        assert status == 403 and sent < 16 * 1024**2, path

    # An admin's upload may be as large as HOIDAP_MAX_UPLOAD_MB (2 MB here) and its framing, no larger.
    assert (await log_in(client, web, WEB_ADMIN)).status_code == 303
    admin = {**multipart, **cookies()}
    declared = {**admin, "Content-Length": str(3 * 1024**2)}
    assert await raw_post(web.port, "/admin/documents", declared, []) == (413, 0)
    status, sent = await raw_post(
        web.port, "/admin/documents", {**admin, "Transfer-Encoding": "chunked"}, chunked(three_gb)
    )
    assert status == 413 and 2 * 1024**2 < sent < 32 * 1024**2
    await client.post("/admin/logout", data={"csrf": await csrf_of(client, "/admin/")})
