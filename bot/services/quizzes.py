"""The daily quiz as officers manage it: the bank (generated from the active index, imported or
written), schedules, results and participation. Quiz data lives in :class:`bot.quiz.service.QuizService`."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import IndexStoreError

if TYPE_CHECKING:
    from bot.quiz.service import QuizService
    from bot.service import Assistant

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StreakLeader:
    channel: str
    chat_title: str
    name: str
    streak: int
    points: int


class Quizzes:
    def __init__(self, assistant: Assistant) -> None:
        self._assistant = assistant

    @cached_property
    def service(self) -> QuizService:
        """Subscriptions, the stored bank, deliveries and answers (the conversation core shares it)."""
        from bot.quiz.service import QuizService

        return QuizService(self._assistant.database, self._assistant.settings.timezone)

    # --- the bank ----------------------------------------------------------------------------
    def quiz_bank(self, version=None):
        """The generated bank for an index version (default: the active one); every question verified."""
        from bot.quiz.generate import generate_bank

        return generate_bank(version or self._assistant.index.current(), self._assistant.segmenter)

    def sync_quiz_bank(self) -> None:
        """Store the active version's generated bank (once per version) so chats can be served."""
        version = self._assistant.index.current()
        self.service.sync_bank(version.name, lambda: self.quiz_bank(version))

    def import_quiz_file(self, path: Path) -> tuple[int, int]:
        """Officers' own questions from CSV/YAML, validated against the indexed documents: (added, duplicates)."""
        from bot.quiz.importer import load_quiz_file

        return self.service.import_questions(load_quiz_file(path, self._known_questions()))

    def _known_questions(self) -> dict[str, set[int]]:
        """Document number → its official question numbers: what a cited source is checked against."""
        version = self._assistant.index.current()
        known: dict[str, set[int]] = {}
        for g in version.groups:
            meta = version.document(g.doc_id)
            if meta.number and g.question_number is not None:
                known.setdefault(meta.number, set()).add(g.question_number)
        return known

    def check_quiz_question(self, data: dict, original=None):
        """One question written or edited on the web, checked as the importer checks a row; an edited
        generated question (cloze, item, fact) must still be proved by the official text it cites
        (bot.quiz.verify). Returns (question, problems): the question when there are none."""
        from bot.quiz.importer import check_question
        from bot.quiz.model import QuizQuestion
        from bot.quiz.verify import verify

        try:
            q = check_question(data, self._known_questions())
        except ValueError as e:
            return None, [str(e)]
        if original is None or original.kind == "imported":
            return q, []
        keep = {k: v for k, v in original.source.items() if k not in ("disabled_by", "replaced_by")}
        q = QuizQuestion(original.kind, q.question, q.options, q.correct, q.explanation, keep)
        problems = verify(q, self._assistant.index.current())
        return (None, problems) if problems else (q, [])

    def _synced_service(self):
        """The quiz service with the bank brought up to the active index (a broken index store only
        leaves the bank as it was: quizzes still go out)."""
        try:
            self.sync_quiz_bank()
        except IndexStoreError as e:
            log.warning("quiz bank not synced: %s", e)
        return self.service

    def quiz_questions(self) -> list:
        """The questions quizzes are drawn from (generated and verified, or imported), active ones."""
        return self._synced_service().active_questions()

    def quiz_entries(self) -> list:
        """The bank as officers manage it (bot.quiz.bank.BankEntry): in service, and turned off."""
        return self._synced_service().managed_questions()

    def quiz_entry(self, question_id: str):
        return self.service.entry(question_id)

    def save_quiz_question(self, question, by: str, replaces: str | None = None):
        origin = "imported" if question.kind == "imported" else "generated"
        return self.service.save_question(question, origin, by, replaces)

    def set_quiz_question_active(self, question_id: str, active: bool, by: str):
        return self.service.set_active(question_id, active, by)

    # --- schedules ---------------------------------------------------------------------------
    def quiz_subscriptions(self) -> list:
        """Every chat that has (or had) the daily quiz: time, days, active, why stopped."""
        return self.service.all_subscriptions()

    def quiz_subscription(self, sub_id: int):
        return self.service.subscription_by_id(sub_id)

    def set_quiz_schedule(self, sub_id: int, time: str, days: str, active: bool):
        return self.service.set_schedule(sub_id, time, days, active)

    # --- results (read-only; the web checks the reader's role with the conversation core) ----
    def quiz_results(self, since: dt.date, until: dt.date):
        """Per question and per group, from local day ``since`` to ``until`` (bot.quiz.results)."""
        from bot.quiz.bank import question_of
        from bot.quiz.results import summarize
        from bot.storage.models import QuizQuestionRow

        deliveries = self.service.delivery_results(since, until)
        ids = {d.question_id for d in deliveries}
        with self._assistant.database.session() as s:
            questions = {r.id: question_of(r) for r in s.query(QuizQuestionRow).filter(QuizQuestionRow.id.in_(ids))}
        titles = {(sub.channel, sub.chat_id): sub.title or sub.chat_id for sub in self.quiz_subscriptions()}
        return summarize(since, until, deliveries, questions, titles)

    def streak_leaders(self, limit: int = 10) -> list[StreakLeader]:
        """Members with the longest current streaks of right answers, over every subscribed chat."""
        out = []
        for sub in self.quiz_subscriptions():
            for row in self.service.leaderboard(sub.channel, sub.chat_id, "all", limit):
                if row.streak > 0:
                    out.append(StreakLeader(sub.channel, sub.title or sub.chat_id, row.name, row.streak, row.points))
        return sorted(out, key=lambda r: (-r.streak, -r.points))[:limit]
