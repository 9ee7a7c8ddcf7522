"""What every page of the web app shares: the session (a signed cookie; a dashboard login's is kept on the
server), the anonymous web member's id, CSRF tokens on every state-changing form, per-member and
per-address rate limits, request-size limits, and security headers."""

from __future__ import annotations

import asyncio
import hmac
import secrets
from collections.abc import Callable

from limits import RateLimitItemPerMinute
from starlette.requests import Request

from bot import outages
from bot.shared import Shared

CSRF_FIELD = "csrf"
SESSION = "sid"  # the cookie's key holding the token of a server-side session (a web_sessions row)

# No inline script or style, nothing from elsewhere: charts and scripts are vendored files of ours.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # login links carry a token: never pass it on
    "X-Frame-Options": "DENY",
}


def member_id(request: Request) -> str:
    """The anonymous web member's id, kept in the signed session cookie (made on first visit)."""
    uid = request.session.get("uid")
    if not isinstance(uid, str) or not uid:
        uid = "w" + secrets.token_urlsafe(9)
        request.session["uid"] = uid
    return uid


def session_token(request: Request) -> str | None:
    """The token of the server-side session the cookie names (a dashboard login), if any: only the
    ``web_sessions`` row it opens says whose it is, and whether it is still alive."""
    token = request.session.get(SESSION)
    return token if isinstance(token, str) and token else None


def csrf_token(request: Request) -> str:
    token = request.session.get(CSRF_FIELD)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(24)
        request.session[CSRF_FIELD] = token
    return token


def has_session(request: Request) -> bool:
    """Whether the request comes with a session that holds a CSRF token (a form can then be valid)."""
    token = request.session.get(CSRF_FIELD)
    return isinstance(token, str) and bool(token)


def csrf_ok(request: Request, form) -> bool:
    """The form's token is the session's (constant-time); a missing one on either side fails."""
    expected = request.session.get(CSRF_FIELD)
    given = form.get(CSRF_FIELD) if form is not None else None
    if not isinstance(expected, str) or not expected or not isinstance(given, str):
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def new_session(request: Request) -> None:
    """A login starts a fresh session (a session id fixed before login is worth nothing after)."""
    uid = request.session.get("uid")
    request.session.clear()
    if uid:
        request.session["uid"] = uid
    request.session[CSRF_FIELD] = secrets.token_urlsafe(24)


class ClientLimiter:
    """Web chat requests per minute, counted per member and per address (moving windows, the limits
    library; in Redis when the bot runs as several processes, else in this process).

    Per member, so that members behind one office NAT are not one member; per address as well, with a
    higher limit, so that a client throwing its cookie away for a fresh session each time is still held.
    The member is read from the server-side session when the cookie carries one (``lookup(token)``: the
    live ``web_sessions`` row, or None): an officer logged in on a phone and a laptop is one member, and
    a session revoked by logout no longer counts as them. Anyone else is the anonymous member of the
    cookie. The address is the client's as the trusted proxy reports it (``HOIDAP_FORWARDED_ALLOW_IPS``).
    """

    def __init__(
        self,
        per_session: int,
        shared: Shared | None = None,
        per_address: int | None = None,
        lookup: Callable[[str], object | None] | None = None,
    ) -> None:
        self._session = RateLimitItemPerMinute(per_session)
        self._address = RateLimitItemPerMinute(per_address) if per_address else None
        self._shared = shared or Shared()
        self.lookup = lookup

    async def member(self, request: Request) -> str:
        """Whose requests these are, for the per-member window."""
        token = session_token(request)
        if token is not None and self.lookup is not None:
            try:
                row = await asyncio.to_thread(self.lookup, token)
            except Exception as e:  # the database out of reach: counted as the cookie's member
                outages.failure("database", "a web session could not be read for the chat limit", e)
                row = None
            if row is not None:
                return f"staff:{row.channel}:{row.user_id}"
        return member_id(request)

    async def allow(self, request: Request) -> bool:
        member = await self._shared.allow_async(self._session, "web-session", await self.member(request))
        address = True
        if self._address is not None:
            client = request.client.host if request.client else "unknown"
            address = await self._shared.allow_async(self._address, "web", client)
        return member and address


class BodyTooLarge(Exception):
    """A request body went past its route's limit while it was being read."""


class BodyLimit:
    """The size of every request body, enforced by the app itself while it is read (pure ASGI), before
    any of it reaches a form parser or is spooled to disk: a declared ``Content-Length`` over the limit
    is refused before a byte is read; a body that goes on past it (chunked, or lying) is cut off there.
    Either way: 413. ``limits`` maps a path to its limit (uploads); every other path gets ``default``.
    (nginx's ``client_max_body_size``, when configured, stands in front; this holds without it.)"""

    def __init__(self, app, default: int, limits: dict[str, int] | None = None) -> None:
        self.app = app
        self.default = default
        self.limits = dict(limits or {})

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.get(scope.get("path", ""), self.default)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit)
            return
        received = 0
        started = False

        async def counted():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge()
            return message

        async def watched(message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if not started:
                await _too_large(send, limit)


async def _too_large(send, limit: int) -> None:
    body = f"Yêu cầu quá lớn (tối đa {limit // 1024} KB).".encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
