"""The dashboard's quiz pages (officers and admins): the bank (write, edit, turn off one question;
import a file, with every bad row listed; download the template), groups' schedules and on/off,
results per question and per group with the hardest questions, and their exports.

Every change is a call of the conversation core with the logged-in actor (roles checked there);
these handlers read forms and render."""

from __future__ import annotations

import asyncio
import datetime as dt

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.channels.web import quiz_exports
from bot.channels.web.ranges import PRESETS, date_range
from bot.channels.web.render import views
from bot.conversation.core import OFFICER
from bot.conversation.replies import Listing
from bot.quiz.model import KIND_LABELS, LETTERS, OPTIONS_MAX, kind_label
from bot.quiz.results import HARDEST_MIN_ANSWERS
from bot.quiz.schedule import DAY_LABELS, describe_days
from bot.zones import zone_label

BANK_PAGE = 30  # questions per page of the bank
FORM_OPTIONS = 6  # option fields on the form (the importer reads up to OPTIONS_MAX)
WEEK = [1, 2, 3, 4, 5, 6, 0]  # T2 … CN, as Vietnamese weeks run
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(data: bytes, media: str, name: str) -> Response:
    return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


class QuizPages:
    def __init__(self, board) -> None:
        self.board = board
        self.conv = board.conv
        self.assistant = board.assistant
        self.settings = board.settings

    def render(self, request: Request, name: str, actor, role: str, **context) -> Response:
        return self.board.render(request, name, staff=actor, role=role, page="quiz", kinds=KIND_LABELS, **context)

    # --- the bank, groups, import --------------------------------------------------------
    async def home(self, request: Request, actor, role: str, report=None) -> Response:
        entries = await asyncio.to_thread(self.assistant.quizzes.quiz_entries)
        subs = await asyncio.to_thread(self.assistant.quizzes.quiz_subscriptions)
        search = (request.query_params.get("q") or "").strip()
        kind = request.query_params.get("kind") or ""
        shown = [
            e
            for e in entries
            if (not kind or e.question.kind == kind) and (not search or search.lower() in e.question.question.lower())
        ]
        try:
            page = max(1, int(request.query_params.get("page") or 1))
        except ValueError:
            page = 1
        pages = max(1, -(-len(shown) // BANK_PAGE))
        page = min(page, pages)
        return self.render(
            request,
            "admin_quiz.html",
            actor,
            role,
            subs=[(s, describe_days(s.days)) for s in subs],
            week=[(d, DAY_LABELS[d]) for d in WEEK],
            entries=shown[(page - 1) * BANK_PAGE : page * BANK_PAGE],
            total=len(entries),
            active=sum(1 for e in entries if e.active),
            matched=len(shown),
            search=search,
            kind=kind,
            page_no=page,
            pages=pages,
            kind_label=kind_label,
            letters=LETTERS,
            report=report,
        )

    async def import_file(self, request: Request, actor, role: str, form) -> Response:
        upload = form.get("file")
        if upload is None or not getattr(upload, "filename", None):
            request.session["flash"] = [{"text": "Hãy chọn một tệp .csv, .xlsx hoặc .yaml.", "alert": True}]
            return RedirectResponse("/admin/quiz", status_code=303)
        data = await upload.read(self.settings.max_upload_bytes + 1)
        turn = await asyncio.to_thread(self.conv.import_quiz, actor, upload.filename, data)
        turn.done(True)
        problems = [v for v in views(turn.replies) if v.kind == "listing"]
        if problems:  # every bad row, in a table on the page (a flash line would cut them)
            return await self.home(request, actor, role, report=problems[0])
        self.board.flash(request, turn.replies)
        return RedirectResponse("/admin/quiz", status_code=303)

    async def template(self, request: Request, actor, role: str) -> Response:
        if request.path_params["fmt"] == "xlsx":
            return _download(quiz_exports.template_xlsx(), XLSX, "mau-cau-hoi.xlsx")
        return _download(quiz_exports.template_csv(), "text/csv; charset=utf-8", "mau-cau-hoi.csv")

    async def schedule(self, request: Request, actor, role: str, form) -> Response:
        try:
            sub_id = int(request.path_params["sub"])
        except ValueError:
            return Response("Not Found", status_code=404)
        days = [DAY_LABELS[d] for d in WEEK if form.get(f"d{d}")]
        turn = await asyncio.to_thread(
            self.conv.set_quiz_schedule, actor, sub_id, str(form.get("time") or ""), days, bool(form.get("active"))
        )
        turn.done(True)
        self.board.flash(request, turn.replies)
        return RedirectResponse("/admin/quiz#nhom", status_code=303)

    # --- one question ----------------------------------------------------------------------
    async def edit(self, request: Request, actor, role: str, values=None, problems=None) -> Response:
        qid = request.path_params.get("qid")
        entry = None
        if qid:
            entry = await asyncio.to_thread(self.assistant.quizzes.quiz_entry, qid)
            if entry is None:
                return self.board.render(
                    request, "admin_refused.html", status=404, message="Không có câu hỏi này.", role=role, staff=actor
                )
        if values is None:
            values = _form_values(entry.question) if entry else {}
        docs = await asyncio.to_thread(self.assistant.library.citable_documents)
        today = await asyncio.to_thread(self.assistant.local_today)
        results = None
        if entry is not None:
            since = today - dt.timedelta(days=365)  # a year of answers: what one question's page shows
            summary = await asyncio.to_thread(self.assistant.quizzes.quiz_results, since, today)
            results = summary.question(entry.question.id)
        return self.render(
            request,
            "admin_quiz_question.html",
            actor,
            role,
            entry=entry,
            values=values,
            problems=problems,
            docs=docs,
            letters=LETTERS[: max(FORM_OPTIONS, len(entry.question.options) if entry else 0)],
            options_max=OPTIONS_MAX,
            kind_label=kind_label,
            results=results,
            status=422 if problems else 200,
        )

    async def save(self, request: Request, actor, role: str, form) -> Response:
        qid = request.path_params.get("qid")
        values = {k: str(v) for k, v in form.items() if k != "csrf"}
        turn = await asyncio.to_thread(self.conv.save_quiz_question, actor, values, qid)
        refused = next((r for r in turn.replies if isinstance(r, Listing)), None)
        turn.done(True)
        if refused is not None:
            problems = [line for _, lines in refused.sections for line in lines]
            return await self.edit(request, actor, role, values=values, problems=problems)
        self.board.flash(request, turn.replies)
        return RedirectResponse("/admin/quiz", status_code=303)

    async def toggle(self, request: Request, actor, role: str, form) -> Response:
        if request.path_params["state"] not in ("on", "off"):
            return Response("Not Found", status_code=404)
        active = request.path_params["state"] == "on"
        turn = await asyncio.to_thread(self.conv.set_quiz_question_active, actor, request.path_params["qid"], active)
        turn.done(True)
        self.board.flash(request, turn.replies)
        back = str(form.get("back") or "/admin/quiz")
        return RedirectResponse(back if back.startswith("/admin/quiz") else "/admin/quiz", status_code=303)

    # --- results -----------------------------------------------------------------------------
    async def results(self, request: Request, actor, role: str) -> Response:
        today = await asyncio.to_thread(self.assistant.local_today)
        span = date_range(request.query_params, today)
        results = await asyncio.to_thread(self.assistant.quizzes.quiz_results, span.since, span.until)
        fmt = request.path_params.get("fmt")
        tz = self.settings.timezone
        if fmt == "csv":
            data = quiz_exports.results_csv(results, tz)
            return _download(data, "text/csv; charset=utf-8", f"ket-qua-cau-do-{span.stamp}.csv")
        if fmt == "xlsx":
            return _download(quiz_exports.results_xlsx(results, tz), XLSX, f"ket-qua-cau-do-{span.stamp}.xlsx")
        if fmt is not None:
            return Response("Not Found", status_code=404)
        return self.render(
            request,
            "admin_quiz_results.html",
            actor,
            role,
            span=span,
            presets=PRESETS,
            results=results,
            min_answers=HARDEST_MIN_ANSWERS,
            zone=zone_label(tz),
            percent=quiz_exports.percent,
        )


def _form_values(q) -> dict:
    values = {LETTERS[i]: o for i, o in enumerate(q.options)}
    values |= {"question": q.question, "correct": LETTERS[q.correct], "explanation": q.explanation}
    for key in ("doc_number", "question_number", "item"):
        value = q.source.get(key)
        values[key] = "" if value is None else str(value)
    return values


def routes(board, page) -> list[Route]:
    """``page`` wraps a handler with the login, role and CSRF checks (bot.channels.web.dashboard)."""
    quiz = QuizPages(board)
    return [
        Route("/quiz", page(board, quiz.home, OFFICER)),
        Route("/quiz/import", page(board, quiz.import_file, OFFICER, post=True), methods=["POST"]),
        Route("/quiz/template.{fmt:str}", page(board, quiz.template, OFFICER)),
        Route("/quiz/groups/{sub:str}", page(board, quiz.schedule, OFFICER, post=True), methods=["POST"]),
        Route("/quiz/new", page(board, quiz.edit, OFFICER)),
        Route("/quiz/new", page(board, quiz.save, OFFICER, post=True), methods=["POST"]),
        Route("/quiz/q/{qid:str}", page(board, quiz.edit, OFFICER)),
        Route("/quiz/q/{qid:str}", page(board, quiz.save, OFFICER, post=True), methods=["POST"]),
        Route("/quiz/q/{qid:str}/{state:str}", page(board, quiz.toggle, OFFICER, post=True), methods=["POST"]),
        Route("/quiz/results", page(board, quiz.results, OFFICER)),
        Route("/quiz/results.{fmt:str}", page(board, quiz.results, OFFICER)),
    ]
