"""One logging filter that keeps secrets — and members' e-mail addresses and phone numbers — out of
every log line.

Bot tokens are part of every Bot API URL, so they turn up in library logs (PTB prints the endpoint
at DEBUG, httpx logs request URLs, a rejected token is quoted in ``InvalidToken``, a proxy's 502 page
echoes the path into a traceback). Installed once at start, the filter rewrites every record — its
message, arguments, exception and stack text — at every level, from every logger, before any
handler formats it: a LogRecord factory, so handlers added later (pytest's caplog included) are
covered too.

Question text itself is never logged (database errors do not carry their parameters:
``hide_parameters`` in :mod:`bot.storage.db`); should a member's words reach a line anyway, their
e-mail addresses and phone numbers are masked (:func:`bot.personal.mask_contacts`). Chat and user ids
stay: operators need them to follow a delivery.
"""

from __future__ import annotations

import logging
import traceback
from urllib.parse import quote

MASK = "***"
_secrets: set[str] = set()
_installed = False


def _variants(secret: str) -> set[str]:
    out = {secret, quote(secret, safe=""), quote(secret, safe="/:")}
    if ":" in secret:  # "123456:AA…" — the part after the colon is the secret part on its own
        tail = secret.split(":", 1)[1]
        if len(tail) >= 8:
            out.add(tail)
    return {v for v in out if len(v) >= 8}


def redact(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def scrub(text: str) -> str:
    """Secrets, e-mail addresses and phone numbers masked."""
    from bot.personal import mask_contacts

    return mask_contacts(redact(text))


def add_secrets(*secrets: str | None) -> None:
    """Mask these values (and their URL-encoded forms) in every log record from now on."""
    for secret in secrets:
        if secret:
            _secrets.update(_variants(secret))
    protect_logs()


def protect_logs() -> None:
    """Install the filter (once): from now on every record is scrubbed."""
    _install()


def _install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    make_record = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep the raw parts, scrubbed
            message = f"{record.msg} {record.args}"
        record.msg, record.args = scrub(message), ()
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = scrub("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return record

    logging.setLogRecordFactory(factory)
