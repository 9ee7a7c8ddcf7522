"""The assembled core: the one object the CLI, the channels and the conversation core are given.

:class:`Assistant` wires the parts (settings, model, segmenter, index, database, conversation core)
and answers questions; each other concern is a small service of :mod:`bot.services` reached through
it: ``assistant.answering``, ``assistant.library`` (documents and index versions),
``assistant.records`` (question logs, statistics, review) and ``assistant.quizzes``. The embedding
model, segmenter and index are created on first use and reused for the life of the process.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from bot import outages
from bot.answer.answerer import Answerer
from bot.answer.calibration import Calibration
from bot.answer.model import Answer
from bot.embed.base import Embedder
from bot.embed.factory import create_embedder
from bot.errors import IndexStoreError
from bot.index.manager import IndexManager
from bot.index.store import IndexStore
from bot.segment.base import Segmenter
from bot.segment.factory import create_segmenter
from bot.services.answering import Answering
from bot.services.library import Library
from bot.services.quizzes import Quizzes
from bot.services.records import Records
from bot.settings import Settings
from bot.zones import local_day

if TYPE_CHECKING:  # the database is imported when first used: `hoidap ask` never needs SQLAlchemy
    from bot.storage.db import Database
    from bot.storage.journal import Journal

log = logging.getLogger(__name__)


class Assistant:
    """The parts for one configuration, wired once, and the concerns that use them.

    ``embedder``, ``segmenter``, ``index``, ``store``, ``calibration`` and ``answerer`` stay reachable
    for the index/answering tests and benchmarks; callers use ``ask`` and the concern services.
    """

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self._embedder = embedder
        self._warm = False
        # The concerns, created now rather than on first use: each only holds this assistant (its
        # parts stay lazy), and concurrent handlers can never race to create two of one (a second
        # Library would have its own count of nested document changes).
        self.answering = Answering(self)
        self.library = Library(self)
        self.records = Records(self)
        self.quizzes = Quizzes(self)

    # --- engine parts (lazy) ---------------------------------------------------------------
    @cached_property
    def embedder(self) -> Embedder:
        return self._embedder or create_embedder(self.settings)

    @cached_property
    def segmenter(self) -> Segmenter:
        return create_segmenter(self.settings.segmenter)

    @cached_property
    def store(self) -> IndexStore:
        """Index versions (and, on PostgreSQL, documents) — see bot.index.database_store."""
        from bot.index.database_store import open_store

        return open_store(self.settings, lambda: self._db)

    @cached_property
    def index(self) -> IndexManager:
        return IndexManager(self.store)

    @cached_property
    def shared(self):
        """Counters and locks shared by every process of this bot (Redis when configured)."""
        from bot.shared import Shared

        return Shared.from_settings(self.settings)

    @cached_property
    def calibration(self) -> Calibration:
        return Calibration.load(self.settings.calibration_file)

    @cached_property
    def query_adapter(self):
        """The query adapter fitted with the calibration, or None (switched off, absent, other model)."""
        from bot.embed.adapter import DEFAULT_PATH, QueryAdapter

        path = self.settings.query_adapter_file or DEFAULT_PATH
        if not self.settings.query_adapter or not Path(path).is_file() or not self.calibration.adapter:
            return None
        adapter = QueryAdapter.load(path)
        if adapter.digest != self.calibration.adapter or adapter.model_id != self.embedder.model_id:
            log.warning("Query adapter %s does not match the calibration or the model; not used.", path)
            return None
        return adapter

    @cached_property
    def answerer(self) -> Answerer:
        from bot.embed.adapter import AdaptedEmbedder

        return Answerer(
            self.index,
            AdaptedEmbedder(self.embedder, self.query_adapter, self.settings.query_cache_size),
            self.segmenter,
            self.calibration,
            cache_size=self.settings.answer_cache_size,
            max_suggestions=self.settings.max_suggestions,
            phrasings=self.records.memory,
        )

    @cached_property
    def _db(self) -> Database:
        from bot.storage.db import Database

        return Database(self.settings.database_url)

    @property
    def database(self) -> Database:
        """The database handle (opened, and migrated, on first use)."""
        return self._db

    @cached_property
    def _journal(self) -> Journal:
        from bot.storage.journal import Journal

        return Journal(self._db)

    @cached_property
    def _conversation(self):
        from bot.conversation.core import Conversation

        return Conversation(self, self._db, self._journal, self.quizzes.service)

    # --- answering -------------------------------------------------------------------------
    # ``ask`` stays here, not on ``answering``: it is the one call every channel, the conversation
    # core, the CLI, the benchmarks and most tests make, and what an assistant is for. It only hands
    # the question to the answerer; the rest of answering (official answers, evidence, fitting) is
    # ``self.answering``.
    def ask(self, question: str, context=None) -> Answer:
        """Answer one question. Example: ``Assistant(get_settings()).ask("Tham mưu lòng vòng")``.
        ``context`` (:class:`bot.answer.followup.Context`): the previous answer in this chat, for follow-ups."""
        return self.answerer.answer(question, context)

    def conversation(self):
        """The conversation core channels talk to (one per assistant)."""
        return self._conversation

    def local_today(self) -> dt.date:
        """Today in the configured zone (settings.timezone): where dashboard and quiz ranges end."""
        return local_day(dt.datetime.now(dt.UTC), self.settings.timezone)

    # --- running ---------------------------------------------------------------------------
    def health(self) -> dict:
        """Readiness without loading anything: the index version in service (None until loaded), whether
        the database answers, and Redis ("ok", "unavailable" — degraded, still serving — or "off")."""
        from sqlalchemy import text

        loaded = None
        if self._warm:  # loaded: reading the name costs nothing (a load would take seconds)
            try:
                loaded = self.index.current().name
            except IndexStoreError as e:
                log.warning("index not loaded: %s", e)
        try:
            with self._db.session() as s:
                s.execute(text("SELECT 1"))
            database = True
        except Exception as e:  # unreachable, locked, misconfigured: not ready
            outages.failure("database", "readiness check failed", e)
            database = False
        return {"index": loaded, "database": database, "redis": self.shared.ping()}

    def flush_records(self, timeout: float | None = None) -> bool:
        """Wait until logs written in the background are stored (tests, shutdown)."""
        return self._journal.flush(timeout)

    def warm_up(self) -> None:
        """Load model, segmenter, index and database now: the first question is fast, and the
        lazily created parts are created once, before concurrent handlers can race to create them."""
        if hasattr(self.embedder, "ensure_loaded"):
            self.embedder.ensure_loaded()
        self.segmenter.words("khởi động")
        from bot.text.syllable import dictionary_folded

        dictionary_folded()  # the typo corrector's syllable table, built once (~0.1 s)
        self.index.current()
        _ = self._db, self._journal, self.quizzes.service, self.answerer, self._conversation
        self._warm = True

    def close(self) -> None:
        """Finish background writes and release the database."""
        if "_journal" in self.__dict__:
            self._journal.close()
        if "_db" in self.__dict__:
            self._db.dispose()
