"""What an operator sees: structured logs (one line per HTTP request and per answered question) and the
HTTP metrics. Metrics themselves are declared in :mod:`bot.metrics`.

``HOIDAP_LOG_FORMAT=json`` writes every log record as one JSON object per line. The lines about
requests and questions carry their fields under ``event`` — channel, outcome, latency, index
version, a pseudonymous member key (the keyed hash exports use) — and never a question's text, a
chat or user id, an address or a URL path with a secret in it.

End-to-end latency starts when an update arrived: the durable intake, the web app and the channels
set :data:`ARRIVED` (a context variable, so it follows the update into worker threads) and the
conversation core reads it when the reply was delivered.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import time

from bot import metrics

log = logging.getLogger("bot.events")

# time.time() when the update being handled arrived (webhook accepted, request received).
ARRIVED: contextvars.ContextVar[float | None] = contextvars.ContextVar("arrived", default=None)
QUIET_ROUTES = {"/healthz", "/readyz", "/metrics", "/static"}  # logged at DEBUG: probes and scrapes


def arrived_at() -> float:
    """When the update being handled arrived (now, if nobody said)."""
    value = ARRIVED.get()
    return value if value is not None else time.time()


def mark_arrival() -> contextvars.Token | None:
    """Set the arrival time to now unless an earlier step (the intake) already did."""
    return ARRIVED.set(time.time()) if ARRIVED.get() is None else None


# --- JSON logs -------------------------------------------------------------------------------------
class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, the record's ``event`` fields, and the
    exception (already masked by bot.channels.logs)."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        event = getattr(record, "event", None)
        if isinstance(event, dict):
            out.update(event)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            out["exception"] = record.exc_text
        return json.dumps(out, ensure_ascii=False, default=str)


def configure(settings) -> None:
    """Apply ``HOIDAP_LOG_FORMAT`` and ``HOIDAP_LOG_LEVEL`` to the root logger's handlers."""
    root = logging.getLogger()
    root.setLevel(settings.log_level)
    if settings.log_format == "json":
        if not root.handlers:
            root.addHandler(logging.StreamHandler())
        for handler in root.handlers:
            handler.setFormatter(JsonFormatter())


# --- answered questions ------------------------------------------------------------------------------
def question_answered(
    channel: str, outcome: str, version: str | None, member: str, answer_seconds: float, arrived: float, delivered: bool
) -> None:
    """One line and the end-to-end latency of a question whose reply was delivered (or given up)."""
    latency = max(time.time() - arrived, 0.0)
    if delivered:
        metrics.REPLY_SECONDS.labels(channel).observe(latency)
    log.info(
        "question %s: %s in %.0f ms",
        channel,
        outcome,
        latency * 1000,
        extra={
            "event": {
                "event": "question",
                "channel": channel,
                "outcome": outcome,
                "delivered": delivered,
                "latency_ms": round(latency * 1000, 1),
                "answer_ms": round(answer_seconds * 1000, 1),
                "version": version,
                "member": member,
            }
        },
    )


# --- HTTP requests --------------------------------------------------------------------------------------
def route_name(scope) -> str:
    """The matched route's path template ("/admin/versions"); a webhook by its name ("webhook:telegram"),
    never by its secret path; "other" when nothing matched."""
    route = scope.get("route")
    name = getattr(route, "name", None) or ""
    if name.startswith("webhook:"):
        return name
    path = getattr(route, "path", None)
    if path is None:
        return "other"
    mount = scope.get("root_path", "")
    return f"{mount}{path}" if not mount.endswith(path) else mount


class RequestLog:
    """Pure ASGI middleware: each request counted by route, method and status, timed, and logged as
    one line (probes and scrapes at DEBUG). Sets the arrival time of web chat requests."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        token = ARRIVED.set(time.time())
        status = {"code": 500}

        async def sending(message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            ARRIVED.reset(token)
            seconds = time.perf_counter() - started
            route = route_name(scope)
            method = scope.get("method", "")
            try:
                metrics.HTTP_REQUESTS.labels(route, method, str(status["code"])).inc()
                metrics.HTTP_SECONDS.labels(route).observe(seconds)
            except Exception:  # pragma: no cover - prometheus_client only raises on programming errors
                log.exception("HTTP metrics not counted")
            log.log(
                logging.DEBUG if route in QUIET_ROUTES else logging.INFO,
                "%s %s %s in %.1f ms",
                method,
                route,
                status["code"],
                seconds * 1000,
                extra={
                    "event": {
                        "event": "request",
                        "route": route,
                        "method": method,
                        "status": status["code"],
                        "latency_ms": round(seconds * 1000, 1),
                    }
                },
            )
