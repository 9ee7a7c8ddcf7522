"""The review queue admins work through: what to link, with the bot's best guess filled in.

Candidates come from questions the bot did not answer (grouped when they are the same question
asked in other words, counted), from members who confirmed "Có phải bạn muốn hỏi…?" or liked a
suggested answer, and from 👎 on an answer. Most asked first. Nothing is applied until an admin
decides (:func:`bot.learning.store.decide`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from bot.learning import store
from bot.storage import repository
from bot.storage.models import utcnow

# Unanswered questions this close (adapted cosine) are one candidate: the same question reworded.
GROUP_SIMILARITY = 0.9


@dataclass(frozen=True)
class ReviewItem:
    phrasing_id: int
    text: str
    asked: int  # how many times (or taps, votes) it came up
    origin: str
    guess: store.Target | None
    guess_question: str | None  # the official question of the guess
    note: str | None
    updated: dt.datetime | None = None  # when it last came up (asked again, tapped, voted)


def _groups(vectors: np.ndarray, counts: list[int]) -> list[list[int]]:
    """Greedy grouping, most asked first: each question joins the first group it is close to."""
    order = sorted(range(len(counts)), key=lambda i: -counts[i])
    groups: list[list[int]] = []
    heads: list[int] = []
    for i in order:
        if heads:
            sims = vectors[heads] @ vectors[i]
            j = int(np.argmax(sims))
            if sims[j] >= GROUP_SIMILARITY:
                groups[j].append(i)
                continue
        heads.append(i)
        groups.append([i])
    return groups


def refresh(assistant, db, days: int, limit: int = 200) -> int:
    """Turn recent unanswered questions into candidates (grouped, counted, best guess filled in)."""
    rows = repository.unanswered(db, since=utcnow() - dt.timedelta(days=days), limit=limit)
    if not rows:
        return 0
    retriever = assistant.answerer.retriever(assistant.index.current())
    texts = [retriever.query(r.question).dense_full or r.question for r in rows]
    vectors = retriever.embedder.embed_queries(texts)
    added = 0
    for members in _groups(vectors, [r.count for r in rows]):
        head = rows[members[0]]
        count = sum(rows[m].count for m in members)
        answer = assistant.ask(head.question)
        first = next((s for s in answer.suggestions if s.question_number is not None), None)
        guess = store.Target(first.doc_id, first.question_number, None) if first else None
        with db.session() as s:
            added += store.propose(s, head.question, guess, "unanswered", signals=count) is not None
    return added


def queue(assistant, db, limit: int = 10) -> list[ReviewItem]:
    version = assistant.index.current()
    out = []
    for row in store.proposals(db, limit):
        guess = store._target_of(row)
        found = store.resolve(version, guess) if guess else None
        out.append(
            ReviewItem(
                row.id,
                row.text,
                row.signals,
                row.origin,
                guess if found else None,
                found[0].question if found else None,
                row.note,
                repository._utc(row.updated_at) if row.updated_at else None,
            )
        )
    return out
