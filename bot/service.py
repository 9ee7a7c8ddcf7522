"""The assembled core: the one facade the CLI, the channels and the conversation core call.

Methods are named after what callers want (``ask``, ``add_documents``, ``unanswered`` …); the
parts behind them (database, background journal, quiz data) are private. The embedding model,
segmenter and index are created on first use and reused for the life of the process.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from bot.answer.answerer import Answerer
from bot.answer.calibration import Calibration
from bot.answer.model import Answer
from bot.embed.base import Embedder
from bot.embed.factory import create_embedder
from bot.errors import IndexStoreError
from bot.index.builder import BuildResult, build_index
from bot.index.manager import IndexManager
from bot.index.store import IndexStore
from bot.progress import Progress
from bot.segment.base import Segmenter
from bot.segment.factory import create_segmenter
from bot.settings import Settings

if TYPE_CHECKING:  # the database is imported when first used: `hoidap ask` never needs SQLAlchemy
    from bot.storage import repository
    from bot.storage.db import Database
    from bot.storage.journal import Journal

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DocumentInfo:
    doc_id: str
    name: str  # "Chỉ thị số 46-CT/TU"
    title: str
    questions: int


class Assistant:
    """Documents, index, answering, quiz data and records for one configuration.

    ``embedder``, ``segmenter``, ``index``, ``store``, ``knowledge`` and ``answerer`` stay reachable
    for the index/answering tests and benchmarks; callers use the methods.
    """

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self._embedder = embedder
        self._lock = threading.Lock()

    # --- engine parts (lazy) ---------------------------------------------------------------
    @cached_property
    def embedder(self) -> Embedder:
        return self._embedder or create_embedder(self.settings)

    @cached_property
    def segmenter(self) -> Segmenter:
        return create_segmenter(self.settings.segmenter)

    @cached_property
    def store(self) -> IndexStore:
        return IndexStore(self.settings.index_dir)

    @cached_property
    def index(self) -> IndexManager:
        return IndexManager(self.store)

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
        )

    @cached_property
    def _db(self) -> Database:
        from bot.storage.db import Database

        return Database(self.settings.database_url)

    @cached_property
    def _journal(self) -> Journal:
        from bot.storage.journal import Journal

        return Journal(self._db)

    @cached_property
    def _quiz(self):
        from bot.quiz.service import QuizService

        return QuizService(self._db, self.settings.timezone)

    @cached_property
    def _conversation(self):
        from bot.conversation.core import Conversation

        return Conversation(self, self._db, self._journal, self._quiz)

    # --- answering -------------------------------------------------------------------------
    def ask(self, question: str) -> Answer:
        """Answer one question. Example: ``Assistant(get_settings()).ask("Tham mưu lòng vòng")``."""
        return self.answerer.answer(question)

    def official_answer(self, doc_id: str, question_number: int) -> Answer | None:
        """The whole official answer to one official question (suggestion taps, "xem toàn văn")."""
        return self.answerer.answer_question(doc_id, question_number)

    def explain(self, question: str):
        """Retrieval and accept/refuse evidence for one question: (retrieval, retriever, calibration)."""
        retrieval, retriever = self.answerer.retrieve(question)
        return retrieval, retriever, self.calibration

    def calibrate(self, rows, train_rows=(), adapt: bool = True, progress=None):
        """Fit the accept/refuse model (and the query adapter) on labelled questions against the
        active index: ``(Calibration, QueryAdapter | None)``. ``train_rows`` only train the adapter."""
        from bot.answer.fit import fit_calibration

        return fit_calibration(
            self.index.current(), self.embedder, self.segmenter, rows, train_rows, adapt=adapt, progress=progress
        )

    def conversation(self):
        """The conversation core channels talk to (one per assistant)."""
        return self._conversation

    # --- documents and index ----------------------------------------------------------------
    def documents(self) -> list[DocumentInfo]:
        """The documents the active index answers from."""
        version = self.index.current()
        out = []
        for doc_id, meta in version.documents.items():
            n = sum(1 for g in version.groups if g.doc_id == doc_id and g.question_number is not None)
            out.append(DocumentInfo(doc_id, meta.short_name, meta.title, n))
        return out

    @cached_property
    def knowledge(self):
        from bot.index.builder import parse_cache
        from bot.knowledge import KnowledgeBase

        return KnowledgeBase(self.settings.knowledge_dir, self.settings.max_upload_bytes, parse_cache(self.settings))

    def preview_document(self, path: Path, name: str | None = None):
        """What adding a file would do, without storing it: a :class:`bot.knowledge.DocumentSummary`
        (number, date, issuer, questions, items per question, warnings; ``replaces`` and ``changes``
        when it is a new version of a loaded document). Refusals raise DocumentError subclasses.

        ``path``: where the bytes are; ``name``: the name the user sent (labels messages, picks the reader).
        """
        return self.knowledge.preview(path, name)

    def add_documents(
        self, files: list[tuple[Path, str | None]], replace: bool = False, progress: Progress | None = None
    ):
        """Store documents in the knowledge folder and rebuild; on any failure the folder is put back.

        ``files``: (path of the bytes, name to show/type by). With ``replace``, a new version of a
        loaded document replaces it (the old file is kept in the folder's history, not served).
        Returns (summaries, build result). Example: ``add_documents([(Path("qd99.docx"), None)])``.
        """
        changes = []
        summaries = []
        try:
            for path, name in files:
                summary, change = self.knowledge.add(path, name, replace=replace)
                changes.append(change)
                summaries.append(summary)
            result = self.build(progress=progress)
        except BaseException:
            for change in reversed(changes):
                change.undo()
            raise
        return summaries, result

    def remove_document(self, doc_id: str, progress: Progress | None = None):
        """Remove a document from the knowledge folder (kept in its history) and rebuild; put back if the
        build fails. Returns (path it had, build result). The one way to remove a document."""
        removed, change = self.knowledge.remove(doc_id)
        try:
            return removed, self.build(progress=progress)
        except BaseException:
            change.undo()
            raise

    def rollback(self, version: str | None = None) -> str:
        """Switch back to a listed index version (default: the one before the active) — and to its documents.

        The version is loaded and checked completely first (a broken one is refused and nothing changes);
        the knowledge folder is then made to hold exactly that version's documents (others go to the
        folder's history, missing ones come back from the index's copies), so a later build does not
        bring back what was rolled back. Runs under the build lock: never during a build.
        """
        with self.store.build_lock():
            name = self.store.resolve(version)
            checked = self.store.check(name)
            change = None
            if checked.manifest.get("source_set") == "knowledge":
                try:
                    restored, moved, change = self.knowledge.restore(
                        checked.manifest["documents"], self.store.source_path
                    )
                except IndexStoreError as e:
                    raise IndexStoreError(f"Không quay lại được {name}: {e}") from e
                if restored or moved:
                    log.info("rollback to %s: restored %s, moved to history %s", name, restored, moved)
            try:
                self.store.activate(name)
            except BaseException:
                if change is not None:
                    change.undo()
                raise
        self.index.refresh(wait=True)
        return name

    def build(self, sources: list[Path] | None = None, progress: Progress | None = None) -> BuildResult:
        """Parse documents, build and activate a new index version (same as ``hoidap build``)."""
        result = build_index(self.settings, self.embedder, self.segmenter, sources, progress)
        self.index.refresh(wait=True)
        return result

    def index_versions(self):
        """Complete index versions, oldest first (``.active`` marks the one in service)."""
        return self.store.versions()

    # --- quiz ------------------------------------------------------------------------------
    def quiz_bank(self, version=None):
        """The generated bank for an index version (default: the active one); every question verified."""
        from bot.quiz.generate import generate_bank

        return generate_bank(version or self.index.current(), self.segmenter)

    def sync_quiz_bank(self) -> None:
        """Store the active version's generated bank (once per version) so chats can be served."""
        version = self.index.current()
        self._quiz.sync_bank(version.name, lambda: self.quiz_bank(version))

    def import_quiz_file(self, path: Path) -> tuple[int, int]:
        """Officers' own questions from CSV/YAML, validated against the indexed documents: (added, duplicates)."""
        from bot.quiz.importer import load_quiz_file

        version = self.index.current()
        known: dict[str, set[int]] = {}
        for g in version.groups:
            meta = version.document(g.doc_id)
            if meta.number and g.question_number is not None:
                known.setdefault(meta.number, set()).add(g.question_number)
        return self._quiz.import_questions(load_quiz_file(path, known))

    # --- records ----------------------------------------------------------------------------
    def unanswered(self, days: int | None = 30, limit: int = 50) -> list[repository.UnansweredRow]:
        """Most frequent questions without an official answer in the last ``days`` (None: all time)."""
        since = dt.datetime.now(dt.UTC) - dt.timedelta(days=days) if days else None
        from bot.storage import repository

        return repository.unanswered(self._db, since, limit)

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
        _ = self._db, self._journal, self._quiz, self.answerer, self._conversation

    def close(self) -> None:
        """Finish background writes and release the database."""
        if "_journal" in self.__dict__:
            self._journal.close()
        if "_db" in self.__dict__:
            self._db.dispose()
