"""The dashboard (``/admin``) for officers and admins.

Login: ``/web`` in a private chat, or ``hoidap admin link`` on the server, gives a one-time link
(:mod:`bot.conversation.weblogin`); opening it
shows a button that logs in (a POST: link previewers that fetch URLs cannot use the link up). The
session is kept on the server (a ``web_sessions`` row: who logged in, until when) and the signed
cookie only carries its random token, so logging out ends it in every process, and a copied cookie
with it; their role is asked from the conversation core on every request, so a revoked officer is
out at once. Officers see the quiz
pages, admins everything, members nothing. Every state-changing form carries the session's CSRF
token (missing or wrong: 403). Actions are the chat commands' own library calls, through the
conversation core (upload → preview → confirm, remove, rollback, quiz import) or the Assistant's
services (read-only reports: ``assistant.library``, ``.records``, ``.quizzes``).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from bot.channels.web import admin_audit, admin_lists, admin_pages, admin_quiz_pages, charts, security
from bot.channels.web.labels import CHANNEL_NAMES
from bot.channels.web.render import views
from bot.conversation.actor import PRIVATE, Actor
from bot.conversation.core import ADMIN, MEMBER
from bot.conversation.replies import Work
from bot.storage import repository

log = logging.getLogger(__name__)
LOGIN_FAILED = (
    "Liên kết đăng nhập không hợp lệ, đã dùng hoặc đã hết hạn. Hãy gõ /web trong tin nhắn riêng với trợ lý, "
    "hoặc chạy hoidap admin link trên máy chủ, để nhận liên kết mới."
)
NOT_LOGGED_IN = (
    "Trang này dành cho cán bộ và quản trị viên. Hãy gõ /web trong tin nhắn riêng với trợ lý, "
    "hoặc chạy hoidap admin link trên máy chủ, để nhận liên kết đăng nhập."
)
NOT_ALLOWED = "Tài khoản của bạn không có quyền xem trang này."
COMMANDS = ("remove", "reindex", "rollback", "unlink")  # what the dashboard's buttons run
UPLOADS = ("/admin/documents", "/admin/quiz/import")  # the only paths whose bodies may be large


class Dashboard:
    def __init__(self, settings, assistant, tpl) -> None:
        self.settings = settings
        self.assistant = assistant
        self.conv = assistant.conversation()
        self.tpl = tpl

    # --- who is asking ---------------------------------------------------------------------
    async def _staff(self, request: Request) -> Actor | None:
        """Who is logged in: the session the cookie's token opens on the server (logout deleted it,
        in every process), or None."""
        token = security.session_token(request)
        if token is None:
            return None
        row = await asyncio.to_thread(repository.web_session, self.conv.db, token)
        if row is None:
            return None
        return Actor(row.channel, row.user_id, row.user_id, PRIVATE, row.name or row.user_id)

    def render(self, request: Request, name: str, status: int = 200, **context) -> Response:
        context.setdefault("csrf", security.csrf_token(request))
        context.setdefault("flash", request.session.pop("flash", []))
        context.setdefault("channel_names", CHANNEL_NAMES)
        return self.tpl.TemplateResponse(request, name, context, status_code=status)

    def refuse(self, request: Request, message: str) -> Response:
        return self.render(request, "admin_refused.html", status=403, message=message, role=None, staff=None)

    def flash(self, request: Request, replies) -> None:
        request.session["flash"] = [
            {"text": v.body or v.title or "", "alert": v.alert or v.kind == "note"} for v in views(replies)
        ][:5]

    # --- login -----------------------------------------------------------------------------
    async def login_page(self, request: Request) -> Response:
        token = request.query_params.get("t", "")
        return self.render(request, "admin_login.html", token=token, role=None, staff=None)

    async def login(self, request: Request) -> Response:
        form = await request.form()
        if not security.csrf_ok(request, form):
            return Response("CSRF token missing or wrong", status_code=403)
        staff = await asyncio.to_thread(self.conv.redeem_web_link, str(form.get("t") or ""))
        if staff is None:
            return self.refuse(request, LOGIN_FAILED)
        actor = Actor(staff.channel, staff.user_id, staff.user_id, PRIVATE, staff.name)
        if await asyncio.to_thread(self.conv.role, actor) == MEMBER:
            return self.refuse(request, NOT_ALLOWED)
        security.new_session(request)
        token = secrets.token_urlsafe(32)
        await asyncio.to_thread(
            repository.start_web_session,
            self.conv.db,
            token,
            staff.channel,
            staff.user_id,
            staff.name,
            self.settings.web_session_hours * 3600,
        )
        request.session[security.SESSION] = token
        return RedirectResponse("/admin/", status_code=303)

    async def logout(self, request: Request) -> Response:
        form = await request.form()
        if not security.csrf_ok(request, form):
            return Response("CSRF token missing or wrong", status_code=403)
        token = request.session.pop(security.SESSION, None)
        if isinstance(token, str):
            await asyncio.to_thread(repository.end_web_session, self.conv.db, token)  # a copied cookie dies too
        return RedirectResponse("/", status_code=303)

    # --- pages -------------------------------------------------------------------------------
    async def documents(self, request: Request, actor: Actor, role: str, preview=None) -> Response:
        docs = await asyncio.to_thread(self.assistant.library.documents)
        return self.render(
            request,
            "admin_documents.html",
            staff=actor,
            role=role,
            page="documents",
            docs=docs,
            preview=preview,
            limit=self.settings.max_upload_mb,
        )

    async def upload(self, request: Request, actor: Actor, role: str, form) -> Response:
        uploads = [u for u in form.getlist("file") if getattr(u, "filename", None)]
        if not uploads:
            request.session["flash"] = [
                {"text": "Hãy chọn một tệp .docx, .doc, .pdf, .txt, .md hoặc ảnh chụp trang .jpg/.png.", "alert": True}
            ]
            return RedirectResponse("/admin/documents", status_code=303)
        if len(uploads) > 1:
            return await self._upload_pages(request, actor, role, uploads)
        upload = uploads[0]
        refused = await asyncio.to_thread(self.conv.check_upload, actor, upload.filename, upload.size)
        if refused is None:
            data = await upload.read(self.settings.max_upload_bytes + 1)
            turn = await asyncio.to_thread(self.conv.upload, actor, upload.filename, data)
        else:
            turn = refused
        return await self._preview(request, actor, role, turn)

    async def _upload_pages(self, request: Request, actor: Actor, role: str, uploads) -> Response:
        """Several photos of pages, in order: one document (a multi-page image), read page by page."""
        from bot.documents.readers.scan import combine_pages

        if not all(Path(u.filename).suffix.lower() in (".jpg", ".jpeg", ".png") for u in uploads):
            request.session["flash"] = [
                {"text": "Chỉ chọn nhiều tệp khi đó là ảnh chụp các trang (.jpg/.png) của một văn bản.", "alert": True}
            ]
            return RedirectResponse("/admin/documents", status_code=303)
        name = f"{Path(uploads[0].filename).stem}-{len(uploads)}-trang.tif"
        size = sum(u.size or 0 for u in uploads)
        turn = await asyncio.to_thread(self.conv.check_upload, actor, name, size)
        if turn is None:
            pages = [await u.read(self.settings.max_upload_bytes + 1) for u in uploads]
            try:
                data = await asyncio.to_thread(combine_pages, pages)
            except (OSError, ValueError):
                request.session["flash"] = [{"text": "Có ảnh không mở được; hãy chụp lại và gửi lại.", "alert": True}]
                return RedirectResponse("/admin/documents", status_code=303)
            turn = await asyncio.to_thread(self.conv.upload, actor, name, data)
        return await self._preview(request, actor, role, turn)

    async def _preview(self, request: Request, actor: Actor, role: str, turn) -> Response:
        previews = [v for v in views(turn.replies) if v.kind == "preview"]
        turn.done(True)
        if not previews:
            self.flash(request, turn.replies)
            return RedirectResponse("/admin/documents", status_code=303)
        return await self.documents(request, actor, role, preview=previews[0])

    async def act(self, request: Request, actor: Actor, role: str, form) -> Response:
        """A button of a preview (confirm, cancel): the core's tap; long work becomes a job."""
        turn = await asyncio.to_thread(self.conv.tap, actor, str(form.get("a") or ""))
        return self._after(request, actor, turn, "/admin/documents")

    async def command(self, request: Request, actor: Actor, role: str, form) -> Response:
        """Remove, reindex, rollback: the chat commands themselves (same role checks)."""
        name = request.path_params["name"]
        if name not in COMMANDS:
            return Response("Not Found", status_code=404)
        args = [str(form.get("arg"))] if form.get("arg") else []
        # Asked already on the confirmation page (admin_pages.confirm): the core acts, it does not ask again.
        turn = await asyncio.to_thread(self.conv.command, actor, name, args, True)
        back = {"rollback": "/admin/versions", "unlink": "/admin/review"}.get(name, "/admin/documents")
        return self._after(request, actor, turn, back)

    def _after(self, request: Request, actor: Actor, turn, back: str) -> Response:
        work = next((r for r in turn.replies if isinstance(r, Work)), None)
        turn.done(True)
        if work is not None:
            job = request.app.state.jobs.start(_owner(actor), work)
            return RedirectResponse(f"/admin/jobs/{job.id}", status_code=303)
        self.flash(request, turn.replies)
        return RedirectResponse(back, status_code=303)

    async def job(self, request: Request, actor: Actor, role: str) -> Response:
        job = request.app.state.jobs.get(request.path_params["job"], _owner(actor))
        if job is None:
            return self.render(
                request, "admin_refused.html", status=404, message="Không có công việc này.", role=role, staff=actor
            )
        if request.path_params.get("fmt") == "json":
            return JSONResponse(job.as_json())
        return self.render(request, "admin_job.html", staff=actor, role=role, page="documents", job=job)


def _owner(actor: Actor) -> str:
    return f"{actor.channel}:{actor.user_id}"


def _page(board: Dashboard, handler, need: str, post: bool = False):
    """Wrap a handler: logged-in staff with at least role ``need``; POSTs carry the CSRF token."""

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        # Who it is first: a body (an upload of many MB) is read only for someone logged in.
        actor = await board._staff(request)
        if actor is None:
            return board.refuse(request, NOT_LOGGED_IN)
        form = None
        if post:
            form = await request.form()
            if not security.csrf_ok(request, form):
                return Response("CSRF token missing or wrong", status_code=403)
        role = await asyncio.to_thread(board.conv.role, actor)
        if role == MEMBER or (need == ADMIN and role != ADMIN):
            return board.refuse(request, NOT_ALLOWED)
        if not request.app.state.ready:
            return Response("Đang khởi động", status_code=503)
        return await (handler(request, actor, role, form) if post else handler(request, actor, role))

    return endpoint


def routes(settings, assistant, tpl) -> list[Route]:
    board = Dashboard(settings, assistant, tpl)
    return [
        Route("/login", board.login_page, methods=["GET"]),
        Route("/login", board.login, methods=["POST"]),
        Route("/logout", board.logout, methods=["POST"]),
        *charts.routes(board, _page),
        Route("/unanswered", _page(board, functools.partial(admin_lists.unanswered, board), ADMIN)),
        Route("/unanswered.{fmt:str}", _page(board, functools.partial(admin_lists.unanswered, board), ADMIN)),
        Route("/documents", _page(board, board.documents, ADMIN)),
        Route("/documents", _page(board, board.upload, ADMIN, post=True), methods=["POST"]),
        Route("/tap", _page(board, board.act, ADMIN, post=True), methods=["POST"]),
        Route("/run/{name:str}", _page(board, board.command, ADMIN, post=True), methods=["POST"]),
        Route("/jobs/{job:str}.{fmt:str}", _page(board, board.job, ADMIN)),
        Route("/jobs/{job:str}", _page(board, board.job, ADMIN)),
        Route("/versions", _page(board, functools.partial(admin_pages.versions, board), ADMIN)),
        Route("/confirm/{name:str}", _page(board, functools.partial(admin_pages.confirm, board), ADMIN)),
        Route("/review", _page(board, functools.partial(admin_lists.review, board), ADMIN)),
        Route(
            "/review",
            _page(board, functools.partial(admin_lists.review_step, board), ADMIN, post=True),
            methods=["POST"],
        ),
        *admin_quiz_pages.routes(board, _page),
        Route("/audit", _page(board, functools.partial(admin_audit.page, board), ADMIN)),
    ]
