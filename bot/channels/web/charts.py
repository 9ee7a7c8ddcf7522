"""The dashboard's overview: charts over a date range (the last 7/30/90 days or from–to, local
days), each exportable to CSV, with labels that say exactly what is counted, and days in the
configured zone (named in every export's header).

What is counted (so a label never promises more than the records hold):
- questions per day: each member message looked up, by outcome — answered with an official quote,
  answered with "Có phải bạn muốn hỏi…?", not answered; greetings, small talk and empty messages
  are not questions and are left out;
- "xác nhận Đúng": taps on the "Có phải…?" button only (``confirmations.origin = confirm``);
  suggestions tapped under a refusal are their own series;
- official answers quoted most; quiz answers and share right per group (bot.quiz.results).
"""

from __future__ import annotations

import asyncio
import csv
import io

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.channels.web.exports import safe_cell
from bot.channels.web.labels import CHANNEL_NAMES
from bot.channels.web.quiz_exports import percent
from bot.channels.web.ranges import PRESETS, date_range
from bot.conversation.core import ADMIN, OFFICER
from bot.zones import zone_label

SERIES = {  # key: what the chart and the export call it
    "answered": "Đã trả lời bằng trích dẫn chính thức",
    "confirm": "Hỏi lại “Có phải bạn muốn hỏi…?”",
    "refused": "Chưa có câu trả lời",
    "confirmed": "Bấm xác nhận “Đúng” (nút “Có phải…?”)",
    "suggested": "Chọn một câu gợi ý",
}
CHARTS = {  # name in the URL: file name
    "days": "cau-hoi-moi-ngay",
    "top": "cau-tra-loi-dung-nhieu-nhat",
    "quiz": "cau-do-theo-nhom",
}
TOP = 10


class Charts:
    def __init__(self, board) -> None:
        self.board = board
        self.assistant = board.assistant
        self.settings = board.settings

    async def _data(self, span):
        days = await asyncio.to_thread(self.assistant.records.question_stats, span.since, span.until)
        top = await asyncio.to_thread(self.assistant.records.top_answers, span.since, span.until, TOP)
        quiz = await asyncio.to_thread(self.assistant.quizzes.quiz_results, span.since, span.until)
        return days, top, quiz.groups

    async def overview(self, request: Request, actor, role: str) -> Response:
        if role != ADMIN:
            return RedirectResponse("/admin/quiz", status_code=303)
        today = await asyncio.to_thread(self.assistant.local_today)
        span = date_range(request.query_params, today)
        days, top, groups = await self._data(span)
        leaders = await asyncio.to_thread(self.assistant.quizzes.streak_leaders, 10)
        names = CHANNEL_NAMES
        charts = {
            "series": SERIES,
            "days": {
                "labels": [f"{d.date:%d/%m}" for d in days],
                **{key: [getattr(d, key) for d in days] for key in SERIES},
            },
            "top": {
                # Short labels: a phone's chart has little room left of the bars.
                "labels": [f"{t.name.split(' số ')[-1]} · câu {t.question_number}" for t in top],
                "values": [t.times for t in top],
            },
            "quiz": {
                "labels": [f"{g.title} ({names.get(g.channel, g.channel)})" for g in groups],
                "answers": [g.answers for g in groups],
                "share": [round(100 * g.share) for g in groups],
            },
        }
        totals = {key: sum(getattr(d, key) for d in days) for key in SERIES}
        return self.board.render(
            request,
            "admin_overview.html",
            staff=actor,
            role=role,
            page="overview",
            span=span,
            presets=PRESETS,
            charts=charts,
            series=SERIES,
            totals=totals,
            top=top,
            groups=groups,
            leaders=leaders,
            zone=zone_label(self.settings.timezone),
            percent=percent,
        )

    async def export(self, request: Request, actor, role: str) -> Response:
        name = request.path_params["name"]
        if name not in CHARTS:
            return Response("Not Found", status_code=404)
        today = await asyncio.to_thread(self.assistant.local_today)
        span = date_range(request.query_params, today)
        days, top, groups = await self._data(span)
        zone = zone_label(self.settings.timezone)
        if name == "days":
            header = [f"Ngày ({zone})", *SERIES.values()]
            rows = [[f"{d.date:%d/%m/%Y}", *(getattr(d, key) for key in SERIES)] for d in days]
        elif name == "top":
            header = ["Văn bản", "Câu hỏi số", "Câu hỏi chính thức", f"Số lần được trích ({span.label}, {zone})"]
            rows = [[t.name, t.question_number, t.question, t.times] for t in top]
        else:
            names = CHANNEL_NAMES
            header = ["Nhóm", "Kênh", "Số câu đố", "Lượt trả lời", "Trả lời đúng", f"Tỉ lệ đúng ({span.label}, {zone})"]
            rows = [
                [g.title, names.get(g.channel, g.channel), g.deliveries, g.answers, g.correct, percent(g.share)]
                for g in groups
            ]
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(header)
        for row in rows:
            writer.writerow([safe_cell(v) for v in row])
        return Response(
            buf.getvalue().encode("utf-8-sig"),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{CHARTS[name]}-{span.stamp}.csv"'},
        )


def routes(board, page) -> list[Route]:
    charts = Charts(board)
    return [
        Route("/", page(board, charts.overview, OFFICER)),  # officers are sent on to the quiz
        Route("/charts/{name:str}.csv", page(board, charts.export, ADMIN)),
    ]
