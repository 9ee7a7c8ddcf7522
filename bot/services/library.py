"""The library: the documents the bot answers from (the knowledge folder) and the index versions built
from them. One change of documents or index at a time, across processes and hosts."""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import IndexBuildError, IndexStoreError
from bot.index.builder import BuildResult, build_index
from bot.progress import Progress

if TYPE_CHECKING:
    from bot.service import Assistant

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DocumentInfo:
    doc_id: str
    name: str  # "Chỉ thị số 46-CT/TU"
    title: str
    questions: int
    label: str = ""  # "Chỉ thị 46-CT/TU": short, for lists and buttons


class Library:
    def __init__(self, assistant: Assistant) -> None:
        self._assistant = assistant
        self._changing = threading.local()  # depth of _exclusive() in this thread (it nests)

    @cached_property
    def knowledge(self):
        from bot.index.builder import parse_cache
        from bot.knowledge import KnowledgeBase

        settings = self._assistant.settings
        return KnowledgeBase(settings.knowledge_dir, settings.max_upload_bytes, parse_cache(settings))

    def documents(self) -> list[DocumentInfo]:
        """The documents the active index answers from."""
        version = self._assistant.index.current()
        out = []
        for doc_id, meta in version.documents.items():
            n = sum(1 for g in version.groups if g.doc_id == doc_id and g.question_number is not None)
            out.append(DocumentInfo(doc_id, meta.short_name, meta.title, n, meta.label))
        return out

    def citable_documents(self) -> list[tuple[str, str]]:
        """(number, short name) of the indexed documents a written quiz question may cite."""
        version = self._assistant.index.current()
        return [(m.number, m.short_name) for m in version.documents.values() if m.number]

    def index_versions(self):
        """Complete index versions, oldest first (``.active`` marks the one in service)."""
        return self._assistant.store.versions()

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

        from bot.answer.answerer import Answerer
        from bot.answer.selftest import self_test
        from bot.index.builder import build_scratch
        from bot.index.manager import FixedIndex

        a = self._assistant
        summary = self.knowledge.preview(path, name)
        a.settings.data_dir.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix="selftest-", dir=a.settings.data_dir))
        try:
            sources = scratch / "sources"
            sources.mkdir()
            for existing in self.knowledge.files():
                if existing.name != summary.replaces:
                    shutil.copyfile(existing, sources / existing.name)
            shutil.copyfile(path, sources / f"{summary.doc_id}{Path(name or path).suffix.lower()}")
            version = build_scratch(a.settings, a.embedder, a.segmenter, [sources], scratch / "index", progress)
            answerer = Answerer(FixedIndex(version), a.answerer.embedder, a.segmenter, a.calibration)
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
        Example: ``assistant.library.add_documents([(Path("qd99.docx"), None)])``.
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
        with self._exclusive(), self._assistant.store.build_lock():
            store = self._assistant.store
            name = store.resolve(version)
            checked = store.check(name)
            change = None
            if checked.manifest.get("source_set") == "knowledge":
                try:
                    restored, moved, change = self.knowledge.restore(checked.manifest["documents"], store.source_path)
                except IndexStoreError as e:
                    raise IndexStoreError(f"Không quay lại được {name}: {e}") from e
                if restored or moved:
                    log.info("rollback to %s: restored %s, moved to history %s", name, restored, moved)
            try:
                store.activate(name)
            except BaseException:
                if change is not None:
                    change.undo()
                raise
        self._assistant.index.refresh(wait=True)
        return name

    def build(self, sources: list[Path] | None = None, progress: Progress | None = None) -> BuildResult:
        """Parse documents, build and activate a new index version (same as ``hoidap build``)."""
        a = self._assistant
        with self._exclusive():
            result = build_index(a.settings, a.embedder, a.segmenter, sources, progress, a.store)
        a.index.refresh(wait=True)
        return result

    @contextlib.contextmanager
    def quiesced(self, wait: float = 600.0):
        """No build, rollback or document change runs anywhere while this is held (waits up to ``wait``
        seconds for one that runs): what a consistent backup needs."""
        with self._exclusive(wait), self._assistant.store.build_lock(wait):
            yield

    def sync_knowledge(self) -> None:
        """Bring this host's knowledge folder up to date (several hosts); skipped while a change runs elsewhere."""
        try:
            with self._exclusive():
                pass
        except IndexBuildError:
            pass

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
                self._assistant.store.pull_knowledge(self.knowledge)
                yield
                self._assistant.store.push_knowledge(self.knowledge)
            finally:
                self._changing.depth = 0

    @contextlib.contextmanager
    def _cluster_build_lock(self, wait: float = 0.0):
        """Builds and rollbacks of processes on other hosts exclude each other too: a PostgreSQL
        advisory lock (the index folder's own file lock covers the processes of one host)."""
        if not self._assistant.settings.database_url.startswith("postgresql"):
            yield
            return
        from bot.storage.db import BUILD_LOCK

        with self._assistant.database.advisory_lock(BUILD_LOCK, wait) as taken:
            if not taken:
                raise IndexBuildError("Đang có một lần xây dựng chỉ mục khác; hãy đợi nó xong.")
            yield
