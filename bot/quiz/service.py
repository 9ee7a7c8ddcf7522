"""The daily quiz data, independent of any chat platform and of who may do what.

:class:`QuizService` joins three parts: the bank (:mod:`bot.quiz.bank`: which question a chat gets
next), deliveries (:mod:`bot.quiz.delivery`: subscriptions, claims before sending, chats that
change) and scoring (:mod:`bot.quiz.scoring`: answers once per member, leaderboards, stats).
Roles are checked by the conversation core (:mod:`bot.conversation`), not here.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.quiz.bank import QuizBank
from bot.quiz.delivery import Claim, QuizDeliveries, Subscription
from bot.quiz.scoring import PERIODS, AnswerResult, DayStats, LeaderRow, QuizScoring
from bot.storage.db import Database

__all__ = ["PERIODS", "AnswerResult", "Claim", "DayStats", "LeaderRow", "QuizService", "Subscription"]


class QuizService(QuizBank, QuizDeliveries, QuizScoring):
    def __init__(self, db: Database, timezone: str) -> None:
        QuizBank.__init__(self)
        self.db = db
        self.tz = ZoneInfo(timezone)
