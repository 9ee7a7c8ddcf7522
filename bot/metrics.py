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


def outcome(answer) -> str:
    """The outcome label of an :class:`~bot.answer.model.Answer`."""
    if answer.found:
        return "answered"
    if answer.confirm:
        return "confirm"
    return answer.kind if answer.kind in ("smalltalk", "empty") else "refused"


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
