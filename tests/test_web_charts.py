"""The overview's charts over a date range, each exported to CSV: local days (Vietnam time, named in
the header), "xác nhận Đúng" counting only taps on "Có phải…?" (suggestions tapped are their own
series). (The unanswered export's Vietnam time is issue 21 part A's, on main.)"""

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot.answer.model import Answer
from bot.storage import repository
from bot.storage.models import Confirmation
from tests.conftest import WEB_ADMIN
from tests.test_web import log_in

VN = ZoneInfo("Asia/Ho_Chi_Minh")
ZONE = "giờ Việt Nam, UTC+07:00"


def rows_of(response) -> list[list[str]]:
    assert "attachment" in response.headers["content-disposition"]
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.fixture
async def admin(web):
    async with httpx.AsyncClient(base_url=web.url, timeout=60) as client:
        assert (await log_in(client, web, WEB_ADMIN)).status_code == 303
        yield client


def history(core) -> dt.date:
    """Yesterday 23:30 Vietnam time (16:30 UTC): two questions answered, one refused, one "Có phải…?"
    confirmed and one suggestion tapped; the same day's 00:30 local (17:30 UTC the day before) one more."""
    today = dt.datetime.now(VN).date()
    yesterday = today - dt.timedelta(days=1)
    late = dt.datetime.combine(yesterday, dt.time(23, 30), VN).astimezone(dt.UTC)
    early = dt.datetime.combine(yesterday, dt.time(0, 30), VN).astimezone(dt.UTC)
    official = core.answering.official_answer("46-ct-tu", 2)
    with core._db.session() as s:
        for when, answer, text in (
            (late, official, "người đứng đầu"),
            (late, official, "người đứng đầu phải thế nào"),
            (late, Answer(found=False), "giá vàng hôm nay"),
            (early, official, "người đứng đầu cần gì"),
        ):
            row = repository.question_row("telegram", "g1", "u1", text, answer, delivered=True)
            row.created_at = when
            s.add(row)
        for origin in ("confirm", "suggestion"):
            s.add(
                Confirmation(
                    channel="web",
                    chat_id="w",
                    user_id="w0",
                    asked="chấn chỉnh",
                    doc_id="46-ct-tu",
                    question_number=4,
                    official_question="…",
                    origin=origin,
                    created_at=late,
                )
            )
    return yesterday


async def test_charts_count_local_days_and_only_real_confirmations(web, admin):
    yesterday = history(web.core)
    page = await admin.get("/admin/", params={"days": 7})
    assert page.status_code == 200 and "7 ngày gần nhất" in page.text and ZONE in page.text
    assert "Bấm xác nhận “Đúng” (nút “Có phải…?”)" in page.text and "Chọn một câu gợi ý" in page.text
    for name in ("days", "top", "quiz"):
        assert f"/admin/charts/{name}.csv?days=7" in page.text

    days = rows_of(await admin.get("/admin/charts/days.csv", params={"days": 7}))
    assert days[0][0] == f"Ngày ({ZONE})" and days[0][4] == "Bấm xác nhận “Đúng” (nút “Có phải…?”)"
    assert len(days) == 1 + 7
    by_day = {r[0]: [int(v) for v in r[1:]] for r in days[1:]}
    # answered, "Có phải…?" offered, refused, confirmed, suggestions — on the local day, 00:30 and 23:30 alike.
    assert by_day[f"{yesterday:%d/%m/%Y}"] == [3, 0, 1, 1, 1]

    # A custom range of that one day; a wrong one falls back to 30 days and says so.
    one = rows_of(
        await admin.get("/admin/charts/days.csv", params={"from": yesterday.isoformat(), "to": yesterday.isoformat()})
    )
    assert [r[0] for r in one[1:]] == [f"{yesterday:%d/%m/%Y}"]
    wrong = await admin.get("/admin/", params={"from": "2026-12-31", "to": "2026-01-01"})
    assert "Khoảng ngày không hợp lệ" in wrong.text and "30 ngày gần nhất" in wrong.text

    top = rows_of(await admin.get("/admin/charts/top.csv", params={"days": 7}))
    assert top[0][-1] == f"Số lần được trích (7 ngày gần nhất, {ZONE})"
    assert top[1][:2] == ["Chỉ thị số 46-CT/TU", "2"] and top[1][-1] == "3"
