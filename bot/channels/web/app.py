"""The one HTTP app (Starlette, served by uvicorn from ``hoidap serve``):

- ``POST <path of HOIDAP_WEBHOOK_URL>`` and ``POST <path of HOIDAP_ZALO_WEBHOOK_URL>``: the Telegram
  and Zalo webhooks (secret header checked in constant time; wrong or missing: 403);
- ``GET /``: the web chat, a third thin channel over the conversation core (``/ask``, ``/tap``);
- ``/admin``: the dashboard for officers and admins (:mod:`.dashboard`);
- ``GET /healthz`` (alive), ``GET /readyz`` (index loaded, database reachable; Redis reported),
  ``GET /metrics`` (this process's metrics: scrape every process, not the load balancer).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import jinja2
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from bot import metrics
from bot.channels.web import dashboard, security
from bot.channels.web.jobs import Jobs
from bot.channels.web.render import View, views
from bot.channels.webhook import MAX_BODY
from bot.conversation import texts
from bot.conversation.actor import PRIVATE, Actor, Incoming
from bot.conversation.replies import Turn
from bot.conversation.weblogin import web_secret
from bot.observe import RequestLog
from bot.settings import Settings
from bot.storage import repository

log = logging.getLogger(__name__)
CHANNEL = "web"
HERE = Path(__file__).parent
MAX_QUESTION_FIELD = 4000  # characters read from the form; the core refuses what is over its own limit
# Request bodies: a question or a tap is a few KB (4,000 characters, percent-encoded, fit in 64 KB);
# uploads may carry HOIDAP_MAX_UPLOAD_MB and the multipart framing around it.
SMALL_BODY = 64 * 1024
MULTIPART_OVERHEAD = 64 * 1024
WELCOME = "Xin chào! Hãy gõ câu hỏi về nội dung văn bản, có dấu hay không dấu đều được."
EXAMPLES = ("Người đứng đầu phải thế nào?", "Tham mưu lòng vòng là gì?", "khoán sản phẩm là gì")
NOT_READY = "Trợ lý đang khởi động, bạn vui lòng thử lại sau ít giây."


class SecurityHeaders:
    """CSP and friends on every response (pure ASGI: streaming responses pass untouched)."""

    def __init__(self, app) -> None:
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in security.HEADERS.items()]

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + self.headers
            await send(message)

        await self.app(scope, receive, with_headers)


def templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True, trim_blocks=True, lstrip_blocks=True
    )
    return Jinja2Templates(env=env)


def web_actor(request: Request) -> Actor:
    """An anonymous member of the web: their own private chat, identified by the session cookie."""
    uid = security.member_id(request)
    return Actor(CHANNEL, uid, uid, PRIVATE, "Bạn")


def fetched(request: Request) -> bool:
    """The page's script asked (it swaps in a fragment); a plain form post gets a whole page."""
    return request.headers.get("x-requested-with") == "fetch"


class WebChat:
    """The chat endpoints: map a request to an actor and one core call, render the typed replies."""

    def __init__(self, settings: Settings, assistant, tpl: Jinja2Templates) -> None:
        self.conv = assistant.conversation()
        self.conv.register_channel(CHANNEL, polls=False)
        self.tpl = tpl
        self.limiter = security.ClientLimiter(
            settings.web_requests_per_minute,
            assistant.shared,
            settings.web_address_requests_per_minute,
            lookup=lambda token: repository.web_session(self.conv.db, token),  # the server-side session
        )

    def _page(self, request: Request, exchange: list | None = None, status: int = 200, quiz=None):
        return self.tpl.TemplateResponse(
            request,
            "chat.html",
            {
                "csrf": security.csrf_token(request),
                "welcome": WELCOME,
                "examples": EXAMPLES,
                "exchange": exchange or [],
                "quiz": quiz or [],
            },
            status_code=status,
        )

    def _exchange(self, request: Request, asked: str | None, replies, status: int = 200) -> Response:
        items = ([View("asked", body=asked)] if asked else []) + views(replies)
        if fetched(request):
            return self.tpl.TemplateResponse(
                request, "_replies.html", {"items": items, "csrf": security.csrf_token(request)}, status_code=status
            )
        return self._page(request, items, status)

    async def page(self, request: Request) -> Response:
        quiz = []
        if request.app.state.ready:
            actor = web_actor(request)
            try:
                quiz = views((await asyncio.to_thread(self.conv.quiz_today, actor)).replies)
            except Exception:  # the quiz is extra: the chat still works without it
                log.exception("web: today's quiz not shown")
        return self._page(request, quiz=quiz)

    async def _guard(self, request: Request):
        """The form if the request may go on; else the response refusing it."""
        if not security.has_session(request):  # no page was ever opened: refused before reading a byte
            return None, PlainTextResponse("CSRF token missing or wrong", status_code=403)
        form = await request.form()
        if not security.csrf_ok(request, form):
            return None, PlainTextResponse("CSRF token missing or wrong", status_code=403)
        if not await self.limiter.allow(request):
            return None, self._note(request, texts.SLOW_DOWN, 429)
        if not request.app.state.ready:
            return None, self._note(request, NOT_READY, 503)
        return form, None

    def _note(self, request: Request, text: str, status: int) -> Response:
        items = [View("note", body=text, alert=True)]
        if fetched(request):
            return self.tpl.TemplateResponse(
                request, "_replies.html", {"items": items, "csrf": security.csrf_token(request)}, status_code=status
            )
        return self._page(request, items, status)

    async def ask(self, request: Request) -> Response:
        form, refused = await self._guard(request)
        if refused is not None:
            return refused
        text = str(form.get("q") or "")[:MAX_QUESTION_FIELD].strip()
        if not text:
            return self._exchange(request, None, [])
        actor = web_actor(request)
        try:
            turn = await asyncio.to_thread(self.conv.text, actor, Incoming(text=text, addressed=True))
        except Exception:
            return self._failed(request, "question")
        return self._deliver(request, text, turn)

    async def tap(self, request: Request) -> Response:
        form, refused = await self._guard(request)
        if refused is not None:
            return refused
        actor = web_actor(request)
        try:
            turn = await asyncio.to_thread(self.conv.tap, actor, str(form.get("a") or ""))
        except Exception:
            return self._failed(request, "tap")
        return self._deliver(request, None, turn)

    def _failed(self, request: Request, what: str) -> Response:
        """The channel's error handler: anything unexpected is logged with its traceback (secrets
        masked by the log filter) and the member gets the short apology."""
        log.exception("web: error while handling a %s", what)
        return self._note(request, texts.ERROR, 500)

    def _deliver(self, request: Request, asked: str | None, turn: Turn) -> Response:
        try:
            response = self._exchange(request, asked, turn.replies)
        except Exception:
            turn.done(False)
            raise
        turn.done(bool(turn.replies))  # rendered into the response: the question is logged as delivered
        return response


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


async def _readiness(request: Request) -> tuple[bool, dict]:
    """Ready: the index loaded and the database answering. Redis out of reach is reported (degraded:
    limits, the send budget and ordering fall back to this process) but does not make it unready."""
    health = await asyncio.to_thread(request.app.state.assistant.health)
    ready = bool(request.app.state.ready and health["index"] is not None and health["database"])
    metrics.READY.set(1 if ready else 0)
    metrics.index_version(health["index"])
    return ready, {**health, "degraded": health["redis"] == "unavailable"}


async def readyz(request: Request) -> Response:
    ready, health = await _readiness(request)
    return JSONResponse({"ready": ready, **health}, status_code=200 if ready else 503)


async def metrics_endpoint(request: Request) -> Response:
    await _readiness(request)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


async def not_found(request: Request, exc) -> Response:
    return HTMLResponse("<!doctype html><meta charset=utf-8><title>404</title><p>Không có trang này.", status_code=404)


async def server_error(request: Request, exc) -> Response:
    """Dashboard pages and the rest: uvicorn logs the traceback (secrets masked); the person gets a line."""
    page = f"<!doctype html><meta charset=utf-8><title>500</title><p>{texts.ERROR}"
    return HTMLResponse(page, status_code=500)


def build_app(settings: Settings, assistant, telegram=None, zalo=None) -> Starlette:
    """The app over ``assistant``; ``telegram``/``zalo``: channels in webhook mode get their routes."""
    tpl = templates()
    chat = WebChat(settings, assistant, tpl)
    routes = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics_endpoint),
        Route("/", chat.page),
        Route("/ask", chat.ask, methods=["POST"]),
        Route("/tap", chat.tap, methods=["POST"]),
    ]
    bodies = {path: settings.max_upload_bytes + MULTIPART_OVERHEAD for path in dashboard.UPLOADS}
    for channel in (telegram, zalo):
        hook = getattr(channel, "webhook", None)
        if hook is not None:
            routes.insert(0, hook.route())
            bodies[hook.path] = MAX_BODY
    routes += [
        Mount("/admin", routes=dashboard.routes(settings, assistant, tpl)),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    secure = bool(settings.public_url and settings.public_url.startswith("https://"))
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(RequestLog),  # outermost: every request counted and timed, whatever answers it
            Middleware(SecurityHeaders),
            Middleware(security.BodyLimit, default=SMALL_BODY, limits=bodies),
            Middleware(
                SessionMiddleware,
                secret_key=web_secret(settings),
                session_cookie="hoidap_session",
                max_age=settings.web_session_hours * 3600,
                same_site="lax",  # the login link arrives from a chat app: a top-level GET must carry it
                https_only=secure,
            ),
        ],
        exception_handlers={404: not_found, 500: server_error},
    )
    app.state.assistant = assistant
    app.state.settings = settings
    app.state.ready = False
    app.state.jobs = Jobs()
    app.state.chat = chat  # its per-client limiter (tests tighten it)
    return app
