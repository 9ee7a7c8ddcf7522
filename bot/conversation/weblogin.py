"""``/web`` (in a chat) and ``hoidap admin link`` (on the server's console): a one-time, short-lived
link that logs an officer or admin into the web dashboard.

The link carries a random nonce signed with the web secret (itsdangerous, timed); the nonce is a
database row saying whom it logs in and until when, used once by a compare-and-set update, so a
link works once in any process and a forged, altered, expired or reused one is refused.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer

from bot.conversation import audit, texts
from bot.conversation.actor import Actor, Incoming
from bot.conversation.replies import Text, Turn
from bot.conversation.roles import ADMIN, OFFICER
from bot.errors import UserInputError
from bot.settings import Settings
from bot.storage import repository

log = logging.getLogger(__name__)
SALT = "hoidap-web-login"
LOGIN_PATH = "/admin/login"
WEB = "web"  # the channel of dashboard-only staff made on the console
STAFF_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")


def web_secret(settings: Settings) -> str:
    """The key signing login links and session cookies: configured, or generated once into the data
    folder (readable by the owner only), so every process on the host signs with the same key."""
    if settings.web_secret is not None:
        return settings.web_secret.get_secret_value()
    path = settings.data_dir / "web-secret"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first: use theirs
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(web_secret(settings), salt=SALT)


@dataclass(frozen=True)
class Staff:
    """Who a redeemed link logs in: a person of a chat channel (their role is checked on every page)."""

    channel: str
    user_id: str
    name: str


def _issue(core, channel: str, user_id: str, name: str) -> str:
    """A fresh one-time login URL for this person (under HOIDAP_PUBLIC_URL, else the server's address)."""
    settings = core.settings
    nonce = secrets.token_urlsafe(18)
    repository.store_web_login(core.db, nonce, channel, user_id, name, settings.web_login_minutes * 60)
    token = _serializer(settings).dumps(nonce)
    return f"{settings.site_url}{LOGIN_PATH}?t={token}"


def link(core, actor: Actor, message: Incoming, args: list[str]) -> Turn:
    """The command: a login link for this person, valid for a few minutes, once."""
    url = _issue(core, actor.channel, actor.user_id, actor.name)
    audit.record(core, actor, "login_link", f"{actor.channel}:{actor.user_id}")
    return Turn([Text(text=texts.WEB_LINK.format(url=url, minutes=core.settings.web_login_minutes))])


def console_link(core, actor: Actor, role: str, user: str) -> str:
    """``hoidap admin link``: a login link for the dashboard-only person ``user`` (channel "web"),
    made ``role`` first if they are not yet (a role change, in the audit log). Only the terminal's
    admin — whoever runs commands on the server — may do it."""
    if not core.roles.is_admin(actor):
        raise UserInputError(texts.NOT_ADMIN)
    if role not in (ADMIN, OFFICER):
        raise UserInputError(texts.CONSOLE_LINK_ROLE)
    if not STAFF_NAME.fullmatch(user):
        raise UserInputError(texts.CONSOLE_LINK_USER)
    granted = repository.grant_role(core.db, WEB, user, role, f"{actor.channel}:{actor.user_id}")
    if granted:
        audit.record(core, actor, "role_grant", f"{WEB}:{user}", "quản trị viên" if role == ADMIN else "cán bộ")
    url = _issue(core, WEB, user, user)
    audit.record(core, actor, "login_link", f"{WEB}:{user}")
    return url


def redeem(core, token: str) -> Staff | None:
    """The person a link logs in; None for a forged, altered, expired or already used link."""
    settings = core.settings
    try:
        nonce = _serializer(settings).loads(token, max_age=settings.web_login_minutes * 60)
    except BadSignature:  # also SignatureExpired
        return None
    if not isinstance(nonce, str):
        return None
    row = repository.use_web_login(core.db, nonce)
    if row is None:
        log.info("web login: link already used or expired")
        return None
    return Staff(row.channel, row.user_id, row.name or row.user_id)
