"""Quiz results as officers read them: per question (answers, share right), per group, the hardest
questions. Built from the deliveries of a period (:meth:`bot.quiz.scoring.QuizScoring.delivery_results`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bot.quiz.model import QuizQuestion, kind_label
from bot.quiz.scoring import DeliveryResult

# A question is called hard only once this many answers say so: one wrong answer proves nothing.
HARDEST_MIN_ANSWERS = 3
HARDEST_SHOWN = 5


def share(correct: int, answers: int) -> float:
    return correct / answers if answers else 0.0


@dataclass
class QuestionStats:
    question_id: str
    question: QuizQuestion | None  # None: no longer in the bank
    deliveries: int = 0
    answers: int = 0
    correct: int = 0
    groups: set[tuple[str, str]] = field(default_factory=set)

    @property
    def share(self) -> float:
        return share(self.correct, self.answers)

    @property
    def kind(self) -> str:
        return kind_label(self.question.kind) if self.question else ""

    @property
    def text(self) -> str:
        return self.question.question if self.question else f"(câu hỏi {self.question_id} không còn)"


@dataclass
class GroupStats:
    channel: str
    chat_id: str
    title: str
    deliveries: int = 0
    answers: int = 0
    correct: int = 0

    @property
    def share(self) -> float:
        return share(self.correct, self.answers)


@dataclass(frozen=True)
class QuizResults:
    since: dt.date
    until: dt.date
    questions: list[QuestionStats]  # most answered first
    groups: list[GroupStats]  # most answered first
    deliveries: list[DeliveryResult]  # oldest first
    hardest: list[QuestionStats]  # lowest share right first, among questions answered enough

    def question(self, question_id: str) -> QuestionStats | None:
        return next((q for q in self.questions if q.question_id == question_id), None)


def summarize(
    since: dt.date,
    until: dt.date,
    deliveries: list[DeliveryResult],
    questions: dict[str, QuizQuestion],
    titles: dict[tuple[str, str], str],
) -> QuizResults:
    per_question: dict[str, QuestionStats] = {}
    per_group: dict[tuple[str, str], GroupStats] = {}
    for d in deliveries:
        q = per_question.setdefault(d.question_id, QuestionStats(d.question_id, questions.get(d.question_id)))
        key = (d.channel, d.chat_id)
        g = per_group.setdefault(key, GroupStats(d.channel, d.chat_id, titles.get(key) or d.chat_id))
        for stats in (q, g):
            stats.deliveries += 1
            stats.answers += d.answers
            stats.correct += d.correct
        q.groups.add(key)
    by_answers = sorted(per_question.values(), key=lambda q: (-q.answers, q.question_id))
    hardest = sorted((q for q in by_answers if q.answers >= HARDEST_MIN_ANSWERS), key=lambda q: (q.share, -q.answers))[
        :HARDEST_SHOWN
    ]
    groups = sorted(per_group.values(), key=lambda g: (-g.answers, g.title))
    return QuizResults(since, until, by_answers, groups, deliveries, hardest)
