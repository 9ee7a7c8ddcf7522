"""Prometheus metrics of every channel, counted where the behaviour lives (the conversation core,
the senders), exposed by the web app's ``GET /metrics``.

Counters are process-wide (prometheus_client's default registry): one process, one scrape target.
Counting never raises into the code it observes.
"""

from __future__ import annotations

import logging

from prometheus_client import Counter, Gauge, Histogram

log = logging.getLogger(__name__)

QUESTIONS = Counter(
    "hoidap_questions",
    "Questions handled, by channel and outcome (answered, confirm, refused, smalltalk, empty).",
    ["channel", "outcome"],
)
ANSWER_SECONDS = Histogram(
    "hoidap_answer_seconds",
    "Time to find an answer (retrieval, calibration), by channel.",
    ["channel"],
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
CONFIRMATIONS = Counter(
    "hoidap_confirmations", "Members who tapped “yes, that is what I meant” under a confirm offer.", ["channel"]
)
QUIZ_DELIVERIES = Counter("hoidap_quiz_deliveries", "Quiz questions delivered to chats, by status.", ["status"])
QUIZ_ANSWERS = Counter(
    "hoidap_quiz_answers", "Quiz answers scored, by channel and correctness.", ["channel", "correct"]
)
CHANNEL_ERRORS = Counter(
    "hoidap_channel_api_errors", "Calls to a chat service that failed for good (after retries).", ["channel", "method"]
)
INDEX_VERSION = Gauge("hoidap_index_version_info", "The index version in service (value 1).", ["version"])
READY = Gauge("hoidap_ready", "1 once this process serves (model, index and database ready), else 0.")

# --- end to end, HTTP, dependencies ---------------------------------------------------------------------
REPLY_SECONDS = Histogram(
    "hoidap_reply_seconds",
    "From an update's arrival (webhook accepted, web request received) to its reply delivered, by channel.",
    ["channel"],
    buckets=(0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 60.0),
)
HTTP_REQUESTS = Counter(
    "hoidap_http_requests",
    "HTTP requests, by route (its name, never a secret path), method and status.",
    ["route", "method", "status"],
)
HTTP_SECONDS = Histogram(
    "hoidap_http_request_seconds",
    "Time to answer an HTTP request, by route.",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
DEPENDENCY_ERRORS = Counter(
    "hoidap_dependency_errors", "Calls to Redis or the database that failed, by dependency.", ["dependency"]
)

# --- the durable intake (bot/channels/intake.py) ------------------------------------------------------
INTAKE_ACCEPTED = Counter("hoidap_intake_accepted", "Webhook updates stored before their 200.", ["channel"])
INTAKE_DUPLICATES = Counter(
    "hoidap_intake_duplicates", "Webhook updates posted again and recognised (stored once).", ["channel"]
)
INTAKE_REDELIVERIES = Counter(
    "hoidap_intake_redeliveries",
    "Updates taken over from a process that died (or was stopped) before finishing them.",
    ["channel"],
)
INTAKE_FAILED = Counter("hoidap_intake_failed", "Updates given up: every process that took them died.", ["channel"])
INTAKE_PENDING = Gauge("hoidap_intake_pending", "Updates stored and not yet handled (all processes).")
INTAKE_LAG = Gauge("hoidap_intake_lag_seconds", "Age of the oldest update stored and not yet handled.")

# --- quiz timeliness ------------------------------------------------------------------------------------
QUIZ_DUE = Gauge("hoidap_quiz_due", "Scheduled quizzes whose time has come and that are not sent yet.")
QUIZ_UNSENT_AGE = Gauge(
    "hoidap_quiz_unsent_age_seconds", "How long the oldest scheduled quiz not sent yet has been due."
)
QUIZ_LATE = Counter("hoidap_quiz_late", "Scheduled quizzes sent more than 5 minutes after their time.")


def outcome(answer) -> str:
    """The outcome label of an :class:`~bot.answer.model.Answer`."""
    if answer.found:
        return "answered"
    if answer.confirm:
        return "confirm"
    return (
        "smalltalk"
        if answer.kind == "greeting"
        else answer.kind
        if answer.kind in ("smalltalk", "empty")
        else "refused"
    )


def count(metric, *labels, amount: float = 1.0) -> None:
    """Increment ``metric`` with ``labels``; a metrics problem never costs an answer."""
    try:
        (metric.labels(*labels) if labels else metric).inc(amount)
    except Exception:  # pragma: no cover - prometheus_client only raises on programming errors
        log.exception("metric %s not counted", getattr(metric, "_name", metric))


def index_version(name: str | None) -> None:
    """Show ``name`` as the one version in service."""
    INDEX_VERSION.clear()
    if name:
        INDEX_VERSION.labels(name).set(1)


# Shown from the start (at 0), so dashboards and alerts see every series before the first event.
for _channel in ("telegram", "zalo", "web"):
    for _outcome in ("answered", "confirm", "refused"):
        QUESTIONS.labels(_channel, _outcome)
    for _correct in ("true", "false"):
        QUIZ_ANSWERS.labels(_channel, _correct)
    CONFIRMATIONS.labels(_channel)
for _status in ("sent", "failed", "retry"):
    QUIZ_DELIVERIES.labels(_status)
for _channel, _method in (("telegram", "sendMessage"), ("telegram", "sendPoll"), ("zalo", "sendMessage")):
    CHANNEL_ERRORS.labels(_channel, _method)
for _channel in ("telegram", "zalo", "web"):
    REPLY_SECONDS.labels(_channel)
for _channel in ("telegram", "zalo"):
    for _counter in (INTAKE_ACCEPTED, INTAKE_DUPLICATES, INTAKE_REDELIVERIES, INTAKE_FAILED):
        _counter.labels(_channel)
for _dependency in ("redis", "database"):
    DEPENDENCY_ERRORS.labels(_dependency)
