"""What every page of the web app shares: the session (a signed cookie), the anonymous web member's id,
CSRF tokens on every state-changing form, per-client rate limits, and security headers."""

from __future__ import annotations

import hmac
import secrets
import time

from limits import RateLimitItemPerMinute
from starlette.requests import Request

from bot.shared import Shared

CSRF_FIELD = "csrf"

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


def csrf_token(request: Request) -> str:
    token = request.session.get(CSRF_FIELD)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(24)
        request.session[CSRF_FIELD] = token
    return token


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
    """``per_minute`` requests per client address (moving window, the limits library), counted in
    Redis when the bot runs as several processes (``shared``), else in this process."""

    def __init__(self, per_minute: int, shared: Shared | None = None) -> None:
        self._item = RateLimitItemPerMinute(per_minute)
        self._shared = shared or Shared()

    async def allow(self, request: Request) -> bool:
        client = request.client.host if request.client else "unknown"
        return await self._shared.allow_async(self._item, "web", client)


def now() -> float:
    return time.time()
