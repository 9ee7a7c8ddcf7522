"""``/web``: a one-time, short-lived link that logs an officer or admin into the web dashboard.

The link carries a random nonce signed with the web secret (itsdangerous, timed); the nonce is a
database row saying whom it logs in and until when, used once by a compare-and-set update, so a
link works once in any process and a forged, altered, expired or reused one is refused.
"""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer

from bot.conversation import texts
from bot.conversation.actor import Actor, Incoming
from bot.conversation.replies import Text, Turn
from bot.settings import Settings
from bot.storage import repository

log = logging.getLogger(__name__)
SALT = "hoidap-web-login"
LOGIN_PATH = "/admin/login"


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


def link(core, actor: Actor, message: Incoming, args: list[str]) -> Turn:
    """The command: a login link for this person, valid for a few minutes, once."""
    settings = core.settings
    if not settings.public_url:
        return Turn([Text(text=texts.WEB_NO_URL)])
    nonce = secrets.token_urlsafe(18)
    minutes = settings.web_login_minutes
    repository.store_web_login(core.db, nonce, actor.channel, actor.user_id, actor.name, minutes * 60)
    token = _serializer(settings).dumps(nonce)
    url = f"{settings.public_url.rstrip('/')}{LOGIN_PATH}?t={token}"
    return Turn([Text(text=texts.WEB_LINK.format(url=url, minutes=minutes))])


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
