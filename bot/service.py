"""The assembled core: the one facade the CLI, the channels and the conversation core call.

Methods are named after what callers want (``ask``, ``add_documents``, ``unanswered`` …); the
parts behind them (database, background journal, quiz data) are private. The embedding model,
segmenter and index are created on first use and reused for the life of the process.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from bot import outages
from bot.answer.answerer import Answerer
from bot.answer.calibration import Calibration
from bot.answer.model import Answer
from bot.embed.base import Embedder
from bot.embed.factory import create_embedder
from bot.errors import IndexBuildError, IndexStoreError
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
    label: str = ""  # "Chỉ thị 46-CT/TU": short, for lists and buttons


@dataclass(frozen=True)
class DayCounts:
    """Questions of one local day by outcome, and the confirmations tapped that day."""

    date: dt.date
    answered: int = 0
    confirm: int = 0  # "Có phải bạn muốn hỏi…" offered
    refused: int = 0
    confirmed: int = 0  # offers members took with the "Có phải…" button (not suggestions tapped)
    suggested: int = 0  # suggestions tapped under a refusal


@dataclass(frozen=True)
class TopAnswer:
    doc_id: str
    name: str
    question_number: int
    question: str
    times: int


@dataclass(frozen=True)
class UnansweredGroup:
    """Unanswered questions that ask the same thing in different words (the most asked one first)."""

    question: str
    count: int
    last_asked: dt.datetime
    channels: str
    variants: list[tuple[str, int]]


@dataclass(frozen=True)
class QuizChatStats:
    channel: str
    chat_id: str
    title: str
    quizzes: int
    participants: int  # summed over days (a member answering on 3 days counts 3)
    answers: int
    correct: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.answers if self.answers else 0.0


@dataclass(frozen=True)
class StreakLeader:
    channel: str
    chat_title: str
    name: str
    streak: int
    points: int


SIMILAR = 0.90  # cosine of two unanswered questions asking the same thing (multilingual-e5-small)


class Assistant:
    """Documents, index, answering, quiz data and records for one configuration.

    ``embedder``, ``segmenter``, ``index``, ``store``, ``knowledge`` and ``answerer`` stay reachable
    for the index/answering tests and benchmarks; callers use the methods.
    """

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self._embedder = embedder
        self._lock = threading.Lock()
        self._warm = False
        self._changing = threading.local()  # depth of _exclusive() in this thread (it nests)

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
            phrasings=self._phrasings,
        )

    @cached_property
    def _phrasings(self):
        """Phrasings admins linked or marked, laid over the active index (see bot.learning.memory)."""
        from bot.learning.memory import PhrasingMemory

        return PhrasingMemory(self._db)

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
    def _quiz(self):
        from bot.quiz.service import QuizService

        return QuizService(self._db, self.settings.timezone)

    @cached_property
    def _conversation(self):
        from bot.conversation.core import Conversation

        return Conversation(self, self._db, self._journal, self._quiz)

    # --- answering -------------------------------------------------------------------------
    def ask(self, question: str, context=None) -> Answer:
        """Answer one question. Example: ``Assistant(get_settings()).ask("Tham mưu lòng vòng")``.
        ``context`` (:class:`bot.answer.followup.Context`): the previous answer in this chat, for follow-ups."""
        return self.answerer.answer(question, context)

    def official_answer(self, doc_id: str, question_number: int) -> Answer | None:
        """The whole official answer to one official question (suggestion taps, "xem toàn văn")."""
        return self.answerer.answer_question(doc_id, question_number)

    def explain(self, question: str):
        """Retrieval and accept/refuse evidence for one question: (retrieval, retriever, calibration)."""
        retrieval, retriever = self.answerer.retrieve(question)
        return retrieval, retriever, self.calibration

    def calibrate(self, rows, train_rows=(), adapt: bool = True, progress=None, quick: bool = False):
        """Fit the accept/refuse model (and the query adapter) on labelled questions against the
        active index: ``(Calibration, QueryAdapter | None)``. ``train_rows`` only train the adapter."""
        from bot.answer.fit import fit_calibration
        from bot.threads import threads

        with threads(self.settings.build_threads):  # every core: minutes of embedding and fitting
            return fit_calibration(
                self.index.current(),
                self.embedder,
                self.segmenter,
                rows,
                train_rows,
                adapt=adapt,
                progress=progress,
                quick=quick,
            )

    def calibrate_on_corpus(self, adapt: bool = True, progress=None, quick: bool = False):
        """Fit on our whole labelled corpus (bot.answer.corpus: every leaflet of eval/corpus and the seed,
        with their messages) against an index of those leaflets built under ``index_dir/calibration``
        (its own embedding cache: built once, reused by later fits). ``(Calibration, QueryAdapter | None)``."""
        from bot.answer.corpus import load_corpus
        from bot.answer.lodo import Workbench
        from bot.threads import threads

        corpus = load_corpus()
        bench = Workbench(
            self.settings, self.embedder, self.segmenter, corpus, folder=self.settings.index_dir / "calibration"
        )
        with threads(self.settings.build_threads):
            return bench.fit(sorted(corpus.leaflets), corpus, adapt=adapt, progress=progress, quick=quick)

    def recalibrate_with_feedback(self, rows, train_rows, check_sets, progress=None, quick=False, baseline=None):
        """Refit with admins' links and marks; the candidate is judged on held-out sets against the
        installed model (see bot.learning.recalibrate). Nothing is installed here."""
        from bot.learning.recalibrate import recalibrate

        return recalibrate(self, rows, train_rows, check_sets, progress, quick, baseline)

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
            out.append(DocumentInfo(doc_id, meta.short_name, meta.title, n, meta.label))
        return out

    @cached_property
    def knowledge(self):
        from bot.index.builder import parse_cache
        from bot.knowledge import KnowledgeBase

        return KnowledgeBase(self.settings.knowledge_dir, self.settings.max_upload_bytes, parse_cache(self.settings))

    def preview_document(self, path: Path, name: str | None = None, progress: Progress | None = None):
        """What adding a file would do, without storing it: a :class:`bot.knowledge.DocumentSummary`
        (number, date, issuer, questions, items per question, warnings; ``replaces`` and ``changes``
        when it is a new version of a loaded document). Refusals raise DocumentError subclasses.

        ``path``: where the bytes are; ``name``: the name the user sent (labels messages, picks the reader).
        ``progress`` hears of each page of a scan or photo OCR'd.
        """
        return self.knowledge.preview(path, name, progress)

    def self_test_document(self, path: Path, name: str | None = None, progress: Progress | None = None):
        """How the bot would answer a candidate document's questions with it loaded (and the document it
        replaces, if any, taken out): ``(summary, [bot.answer.selftest.QuestionCheck])``. Builds a scratch
        index beside the real one (never activated; only the new document is embedded)."""
        import shutil
        import tempfile

        from bot.answer.selftest import self_test
        from bot.index.builder import build_scratch
        from bot.index.manager import FixedIndex

        summary = self.knowledge.preview(path, name)
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix="selftest-", dir=self.settings.data_dir))
        try:
            sources = scratch / "sources"
            sources.mkdir()
            for existing in self.knowledge.files():
                if existing.name != summary.replaces:
                    shutil.copyfile(existing, sources / existing.name)
            shutil.copyfile(path, sources / f"{summary.doc_id}{Path(name or path).suffix.lower()}")
            version = build_scratch(
                self.settings, self.embedder, self.segmenter, [sources], scratch / "index", progress
            )
            answerer = Answerer(FixedIndex(version), self.answerer.embedder, self.segmenter, self.calibration)
            return summary, self_test(version, answerer, summary.doc_id)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def add_documents(
        self,
        files: list[tuple[Path, str | None]],
        replace: bool = False,
        progress: Progress | None = None,
        build: bool = True,
    ):
        """Store documents in the knowledge folder and rebuild; on any failure the folder is put back.

        ``files``: (path of the bytes, name to show/type by). With ``replace``, a new version of a
        loaded document replaces it (the old file is kept in the folder's history, not served).
        Returns (summaries, build result — None with ``build=False``).
        Example: ``add_documents([(Path("qd99.docx"), None)])``.
        """
        changes = []
        summaries = []
        with self._exclusive():
            try:
                for path, name in files:
                    summary, change = self.knowledge.add(path, name, replace=replace)
                    changes.append(change)
                    summaries.append(summary)
                result = self.build(progress=progress) if build else None
            except BaseException:
                for change in reversed(changes):
                    change.undo()
                raise
        return summaries, result

    def remove_document(self, doc_id: str, progress: Progress | None = None, build: bool = True):
        """Remove a document from the knowledge folder (kept in its history) and rebuild; put back if the
        build fails. Returns (path it had, build result). The one way to remove a document."""
        with self._exclusive():
            removed, change = self.knowledge.remove(doc_id)
            try:
                return removed, self.build(progress=progress) if build else None
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
        with self._exclusive(), self.store.build_lock():
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
        with self._exclusive():
            result = build_index(self.settings, self.embedder, self.segmenter, sources, progress, self.store)
        self.index.refresh(wait=True)
        return result

    @contextlib.contextmanager
    def _exclusive(self, wait: float = 0.0):
        """One change of documents or index at a time, across processes and hosts (it nests; ``wait``:
        seconds to wait for one running elsewhere). With the database as the source of truth
        (bot.index.database_store), this host's knowledge folder is brought up to date first and
        published after a change that succeeded."""
        if getattr(self._changing, "depth", 0):
            self._changing.depth += 1
            try:
                yield
            finally:
                self._changing.depth -= 1
            return
        with self._cluster_build_lock(wait):
            self._changing.depth = 1
            try:
                self.store.pull_knowledge(self.knowledge)
                yield
                self.store.push_knowledge(self.knowledge)
            finally:
                self._changing.depth = 0

    @contextlib.contextmanager
    def quiesced(self, wait: float = 600.0):
        """No build, rollback or document change runs anywhere while this is held (waits up to ``wait``
        seconds for one that runs): what a consistent backup needs."""
        with self._exclusive(wait), self.store.build_lock(wait):
            yield

    def sync_knowledge(self) -> None:
        """Bring this host's knowledge folder up to date (several hosts); skipped while a change runs elsewhere."""
        try:
            with self._exclusive():
                pass
        except IndexBuildError:
            pass

    @contextlib.contextmanager
    def _cluster_build_lock(self, wait: float = 0.0):
        """Builds and rollbacks of processes on other hosts exclude each other too: a PostgreSQL
        advisory lock (the index folder's own file lock covers the processes of one host)."""
        if not self.settings.database_url.startswith("postgresql"):
            yield
            return
        from bot.storage.db import BUILD_LOCK

        with self._db.advisory_lock(BUILD_LOCK, wait) as taken:
            if not taken:
                raise IndexBuildError("Đang có một lần xây dựng chỉ mục khác; hãy đợi nó xong.")
            yield

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

        return self._quiz.import_questions(load_quiz_file(path, self._known_questions()))

    def _known_questions(self) -> dict[str, set[int]]:
        """Document number → its official question numbers: what a cited source is checked against."""
        version = self.index.current()
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
        problems = verify(q, self.index.current())
        return (None, problems) if problems else (q, [])

    def quiz_entries(self) -> list:
        """The bank as officers manage it (bot.quiz.bank.BankEntry): in service, and turned off."""
        try:
            self.sync_quiz_bank()
        except IndexStoreError as e:
            log.warning("quiz bank not synced: %s", e)
        return self._quiz.managed_questions()

    def citable_documents(self) -> list[tuple[str, str]]:
        """(number, short name) of the indexed documents a written question may cite."""
        version = self.index.current()
        return [(m.number, m.short_name) for m in version.documents.values() if m.number]

    def quiz_entry(self, question_id: str):
        return self._quiz.entry(question_id)

    def save_quiz_question(self, question, by: str, replaces: str | None = None):
        origin = "imported" if question.kind == "imported" else "generated"
        return self._quiz.save_question(question, origin, by, replaces)

    def set_quiz_question_active(self, question_id: str, active: bool, by: str):
        return self._quiz.set_active(question_id, active, by)

    def quiz_subscription(self, sub_id: int):
        return self._quiz.subscription_by_id(sub_id)

    def set_quiz_schedule(self, sub_id: int, time: str, days: str, active: bool):
        return self._quiz.set_schedule(sub_id, time, days, active)

    def quiz_results(self, since: dt.date, until: dt.date):
        """Per question and per group, from local day ``since`` to ``until`` (bot.quiz.results)."""
        from bot.quiz.bank import question_of
        from bot.quiz.results import summarize
        from bot.storage.models import QuizQuestionRow

        deliveries = self._quiz.delivery_results(since, until)
        ids = {d.question_id for d in deliveries}
        with self._db.session() as s:
            questions = {r.id: question_of(r) for r in s.query(QuizQuestionRow).filter(QuizQuestionRow.id.in_(ids))}
        titles = {(sub.channel, sub.chat_id): sub.title or sub.chat_id for sub in self.quiz_subscriptions()}
        return summarize(since, until, deliveries, questions, titles)

    def local_today(self) -> dt.date:
        return self._local_day(dt.datetime.now(dt.UTC))

    # --- records ----------------------------------------------------------------------------
    def unanswered(self, days: int | None = 30, limit: int = 50) -> list[repository.UnansweredRow]:
        """Most frequent questions without an official answer in the last ``days`` (None: all time),
        members' personal data masked (bot.personal): what every report, list and export shows."""
        from bot.personal import mask

        return [dataclasses.replace(r, question=mask(r.question)) for r in self._unanswered(days, limit)]

    def _unanswered(self, days: int | None, limit: int, **between) -> list[repository.UnansweredRow]:
        from bot.storage import repository

        since = dt.datetime.now(dt.UTC) - dt.timedelta(days=days) if days else None
        if between.get("since") is not None:
            since = max(since, between.pop("since")) if since else between.pop("since")
        between.pop("since", None)
        return repository.unanswered(self._db, since, limit, **between)

    def official_questions(self, doc_id: str) -> list[tuple[int, str, list[int]]]:
        """(number, official question, item numbers) of a document's Q&A pairs, in order."""
        version = self.index.current()
        out = []
        for g in version.groups:
            if g.doc_id == doc_id and g.question_number is not None:
                items = sorted({version.units[p].item for p in g.positions if version.units[p].kind == "item"})
                out.append((g.question_number, g.question, items))
        return out

    # --- learning from use (bot.learning) --------------------------------------------------------
    def link_phrasing(
        self, text: str, question_number: int, item: int | None = None, document: str | None = None, by: str = "cli"
    ):
        """Link a member's wording to an official answer ("Câu hỏi 4, mục (6)"); in service at once.

        ``document``: its number or id (default: the only loaded one). Returns the stored phrasing.
        """
        from bot.learning import store

        version = self.index.current()
        target = store.Target(store.find_document(version, document), question_number, item)
        row = store.add_link(self._db, version, text, target, by)
        self._phrasings.invalidate()
        return row

    def mark_out_of_scope(self, text: str, by: str = "cli"):
        """Mark a wording as not answered by the documents: it and close wordings are refused."""
        from bot.learning import store

        row = store.mark_out_of_scope(self._db, text, by)
        self._phrasings.invalidate()
        return row

    def phrasings(self, include_proposed: bool = False) -> list:
        """Links and marks (active, waiting for review, retired), oldest first; the queue too if asked."""
        from bot.learning import store

        self._phrasings.snapshot(self.answerer.retriever(self.index.current()))  # statuses follow the version
        statuses = store.DECIDED + ((store.PROPOSED,) if include_proposed else ())
        return store.listed(self._db, statuses)

    def remove_phrasing(self, phrasing_id: int, by: str = "cli"):
        from bot.learning import store

        row = store.remove(self._db, phrasing_id, by)
        self._phrasings.invalidate()
        return row

    def review_queue(self, limit: int = 10, refresh: bool = True) -> list:
        """Candidates for an admin to link (most asked first), the bot's best guess filled in.
        ``refresh``: first turn recent unanswered questions into candidates."""
        from bot.learning import review

        if refresh:
            review.refresh(self, self._db, self.settings.question_retention_days)
        return review.queue(self, self._db, limit)

    def decide_review(self, phrasing_id: int, by: str, target=None, out_of_scope: bool = False):
        """Accept a candidate (its guess, or ``target``: a bot.learning.store.Target) or mark it out of scope."""
        from bot.learning import store

        row = store.decide(self._db, self.index.current(), phrasing_id, by, target, out_of_scope)
        self._phrasings.invalidate()
        return row

    def skip_review(self, phrasing_id: int, by: str) -> None:
        from bot.learning import store

        store.skip(self._db, phrasing_id, by)

    def feedback_rows(self) -> tuple[list[dict], list[dict]]:
        """Reviewed links (positives) and out-of-scope marks (negatives) as labelled questions."""
        from bot.learning import store

        positives, negatives = [], []
        for row in self.phrasings():
            if row.status != store.ACTIVE:
                continue
            if row.kind == store.LINK:
                positives.append({"q": row.text, "expect": [[row.question_number, row.item]], "doc": row.doc_id})
            else:
                negatives.append({"q": row.text, "expect": []})
        return positives, negatives

    def member_key(self, channel: str, user_id: str | None) -> str:
        """A member's pseudonym for logs (the keyed hash exports use); "" if the key cannot be read now."""
        keys = self.__dict__.get("_member_keys")
        if keys is None:
            try:
                keys = self.__dict__["_member_keys"] = self.pseudonyms()
            except Exception:  # the database out of reach: the log line goes without it
                return ""
        return keys(channel, user_id)

    def pseudonyms(self):
        """``pseudonym(channel, user_id)`` for exports (see bot.learning.privacy)."""
        from bot.learning.privacy import Pseudonyms

        return Pseudonyms(self._db)

    def purge_expired(self) -> dict[str, int]:
        """Delete question logs older than the retention period, except the ones admins linked."""
        from bot.learning.privacy import purge

        return purge(self._db, self.settings.question_retention_days)

    # --- dashboard (read-only; the web checks the reader's role with the conversation core) -----
    def _local_day(self, when: dt.datetime) -> dt.date:
        from zoneinfo import ZoneInfo

        return when.astimezone(ZoneInfo(self.settings.timezone)).date()

    def _utc_bounds(self, since: dt.date, until: dt.date) -> tuple[dt.datetime, dt.datetime]:
        """Local days ``since`` … ``until`` (inclusive) as UTC instants [start, end)."""
        from zoneinfo import ZoneInfo

        tz = ZoneInfo(self.settings.timezone)
        start = dt.datetime.combine(since, dt.time(), tz).astimezone(dt.UTC)
        end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), tz).astimezone(dt.UTC)
        return start, end

    def question_stats(self, since: dt.date, until: dt.date) -> list[DayCounts]:
        """Questions per local day from ``since`` to ``until`` (answered / confirmation offered /
        refused; greetings, small talk and empty messages left out), confirmations taken with the
        "Có phải…" button and suggestions tapped, oldest day first, every day present."""
        from bot.storage import repository

        start, end = self._utc_bounds(since, until)
        days = (until - since).days + 1
        counts = {since + dt.timedelta(days=i): [0, 0, 0, 0, 0] for i in range(days)}
        for q in repository.question_outcomes(self._db, start, end):
            row = counts.get(self._local_day(q.created_at))
            if row is None or q.kind in ("empty", "smalltalk", "greeting"):
                continue
            row[0 if q.found else 1 if q.confirm else 2] += 1
        for when, origin in repository.confirmation_times(self._db, start, end):
            row = counts.get(self._local_day(when))
            if row is not None:
                row[3 if origin == "confirm" else 4] += 1
        return [DayCounts(day, *row) for day, row in sorted(counts.items())]

    def top_answers(self, since: dt.date, until: dt.date, limit: int = 10) -> list[TopAnswer]:
        """The official answers members got most often (documents no longer indexed left out)."""
        from bot.storage import repository

        start, end = self._utc_bounds(since, until)
        version = self.index.current()
        questions = {(g.doc_id, g.question_number): g.question for g in version.groups}
        out = []
        for doc_id, number, times in repository.top_answers(self._db, start, limit, end):
            if doc_id in version.documents:
                name = version.documents[doc_id].short_name
                out.append(TopAnswer(doc_id, name, number, questions.get((doc_id, number), ""), times))
        return out

    def unanswered_groups(self, days: int | None = 30, limit: int = 50, **between) -> list[UnansweredGroup]:
        """Unanswered questions grouped by meaning: variants of wording (already counted together by
        :meth:`unanswered`) and questions whose embeddings are close (the model of the index).
        ``between``: ``since``/``until`` (UTC instants) and ``channel`` narrow what is counted."""
        from bot.personal import mask
        from bot.storage import repository

        rows = self._unanswered(days, 400, **between)  # grouped by what members wrote; shown masked
        if not rows:
            return []
        vectors = self.embedder.embed_queries([r.question for r in rows])
        groups: list[tuple[int, list[int]]] = []  # (representative, members), most asked first
        for i in range(len(rows)):
            for rep, members in groups:
                if float(vectors[i] @ vectors[rep]) >= SIMILAR:
                    members.append(i)
                    break
            else:
                groups.append((i, [i]))
        out = []
        for rep, members in groups[:limit]:
            picked = [rows[i] for i in members]
            channels = {r.channels for r in picked}
            out.append(
                UnansweredGroup(
                    question=mask(rows[rep].question),
                    count=sum(r.count for r in picked),
                    last_asked=max(repository._utc(r.last_asked) for r in picked),
                    channels=channels.pop() if len(channels) == 1 else "nhiều kênh",
                    variants=[(mask(r.question), r.count) for r in picked],
                )
            )
        return sorted(out, key=lambda g: (-g.count, -g.last_asked.timestamp()))

    def quiz_subscriptions(self) -> list:
        """Every chat that has (or had) the daily quiz: time, days, active, why stopped."""
        return self._quiz.all_subscriptions()

    def quiz_questions(self) -> list:
        """The questions quizzes are drawn from (generated and verified, or imported), active ones."""
        try:
            self.sync_quiz_bank()
        except IndexStoreError as e:
            log.warning("quiz bank not synced: %s", e)
        return self._quiz.active_questions()

    def quiz_chat_stats(self, days: int = 30) -> list[QuizChatStats]:
        """Participation and accuracy of the daily quiz per subscribed chat (titled) over ``days``."""
        out = []
        subs = self.quiz_subscriptions()
        for channel in sorted({s.channel for s in subs}):
            chats = [s for s in subs if s.channel == channel]
            per_chat: dict[str, list[int]] = {}
            for d in self._quiz.stats(channel, [s.chat_id for s in chats], days):
                row = per_chat.setdefault(d.chat_id, [0, 0, 0, 0])
                row[0] += d.deliveries
                row[1] += d.participants
                row[2] += d.answers
                row[3] += d.correct
            for sub in chats:
                if sub.chat_id in per_chat:
                    title = sub.title or sub.chat_id
                    out.append(QuizChatStats(channel, sub.chat_id, title, *per_chat[sub.chat_id]))
        return sorted(out, key=lambda c: -c.participants)

    def streak_leaders(self, limit: int = 10) -> list[StreakLeader]:
        """Members with the longest current streaks of right answers, over every subscribed chat."""
        out = []
        for sub in self.quiz_subscriptions():
            for row in self._quiz.leaderboard(sub.channel, sub.chat_id, "all", limit):
                if row.streak > 0:
                    out.append(StreakLeader(sub.channel, sub.title or sub.chat_id, row.name, row.streak, row.points))
        return sorted(out, key=lambda r: (-r.streak, -r.points))[:limit]

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
        _ = self._db, self._journal, self._quiz, self.answerer, self._conversation
        self._warm = True

    def close(self) -> None:
        """Finish background writes and release the database."""
        if "_journal" in self.__dict__:
            self._journal.close()
        if "_db" in self.__dict__:
            self._db.dispose()
