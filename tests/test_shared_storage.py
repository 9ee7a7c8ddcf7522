"""No shared disk: documents and index versions live in PostgreSQL, and each host caches them in its own
folders. Hosts are Assistants with their own knowledge and index folders on one database, as on
separate machines (the same with real processes: tests/test_replicas.py).
"""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import select, update

from bot.errors import IndexStoreError
from bot.index.database_store import DatabaseIndexStore
from bot.service import Assistant
from bot.storage.models import BlobChunk, KnowledgeFile, StoredVersion
from tests.conftest import DATA, SEED_DOC, make_settings

QD99 = DATA / "docs" / "quy-dinh-99-kiem-thu.txt"
ASK_99 = "Sinh hoạt chi bộ trực tuyến phải bảo đảm những điều kiện gì?"


@pytest.fixture
def pg():
    from tests.cluster import fresh_database

    with fresh_database() as url:
        yield url


@pytest.fixture
def hosts(tmp_path, pg, seed_settings, embedder):
    """``hosts("a")``: an Assistant with its own empty folders on the shared database (built ones are
    quick: the seed build's embedding cache is copied in)."""
    made = []

    def host(name: str, **overrides) -> Assistant:
        settings = make_settings(tmp_path / name, database_url=pg, **overrides)
        cache = settings.index_dir / "cache"
        cache.mkdir(parents=True)
        shutil.copy(seed_settings.index_dir / "cache" / "embeddings.sqlite", cache / "embeddings.sqlite")
        core = Assistant(settings, embedder=embedder)
        made.append(core)
        return core

    yield host
    for core in made:
        core.close()


def first_answer(core: Assistant, question: str) -> str:
    answer = core.ask(question)
    return f"{answer.source.doc_id if answer.source else None}"


def test_a_new_host_with_empty_folders_serves_the_version_built_elsewhere(hosts):
    a = hosts("a")
    shutil.copy(SEED_DOC, a.settings.knowledge_dir / SEED_DOC.name)
    built = a.library.build().version
    assert isinstance(a.store, DatabaseIndexStore) and a.store.stored_active() == built

    b = hosts("b")  # nothing on disk: only the database URL
    assert not any(b.settings.index_dir.glob("versions/*"))
    answer = b.ask("người đứng đầu phải thế nào")
    assert answer.found and "nêu gương" in answer.answer
    assert b.index.current().name == built


def test_a_document_added_on_one_host_is_served_and_kept_by_every_host(hosts):
    a, b = hosts("a"), hosts("b")
    shutil.copy(SEED_DOC, a.settings.knowledge_dir / SEED_DOC.name)
    a.library.build()
    b.ask("người đứng đầu phải thế nào")  # b follows the first version

    _, result = a.library.add_documents([(QD99, None)])
    assert b.store.sync() == result.version  # what a serving process does every second
    b.index.refresh(wait=True)
    assert first_answer(b, ASK_99) == "99-qd-tu"

    # b's knowledge folder is brought up to date before b changes anything: its next build keeps 99.
    assert not (b.settings.knowledge_dir / "99-qd-tu.txt").exists()
    rebuilt = b.library.build()
    assert {d["doc_id"] for d in rebuilt.documents} == {"46-ct-tu", "99-qd-tu"}
    assert (b.settings.knowledge_dir / "99-qd-tu.txt").read_bytes() == QD99.read_bytes()
    # Version names follow every host's versions: b did not reuse a's name.
    assert rebuilt.version > result.version


def test_rollback_and_retention_work_the_same_across_hosts(hosts):
    a, b = hosts("a", index_keep_versions=2), hosts("b", index_keep_versions=2)
    shutil.copy(SEED_DOC, a.settings.knowledge_dir / SEED_DOC.name)
    first = a.library.build().version
    _, second = a.library.add_documents([(QD99, None)])

    # b rolls back to the first version (it never had it on disk): a follows, and so do the documents.
    assert b.library.rollback(first) == first
    assert a.store.sync() == first
    a.index.refresh(wait=True)
    assert first_answer(a, ASK_99) != "99-qd-tu"
    with a.store.db.session() as s:
        assert set(s.scalars(select(KnowledgeFile.path))) == {SEED_DOC.name}
    a.library.sync_knowledge()  # a removed nothing itself: its copy of 99 goes to history, not deleted
    assert not (a.settings.knowledge_dir / "99-qd-tu.txt").exists()
    assert any(p.name.endswith("99-qd-tu.txt") for p in (a.settings.knowledge_dir / ".history").iterdir())

    # Two more builds with 2 versions kept: the database keeps 2, every host's cache follows.
    a.library.add_documents([(QD99, None)])
    latest = a.library.build().version
    stored = a.store.stored_versions()
    assert len(stored) == 2 and latest in stored and second.version not in stored
    b.store.sync()
    assert {p.name for p in b.settings.index_dir.joinpath("versions").iterdir()} <= set(stored)


def test_a_corrupted_copy_in_the_database_is_refused_and_the_host_keeps_its_version(hosts):
    a = hosts("a")
    shutil.copy(SEED_DOC, a.settings.knowledge_dir / SEED_DOC.name)
    first = a.library.build().version
    b = hosts("b")
    assert b.index.current().name == first
    _, second = a.library.add_documents([(QD99, None)])
    with a.store.db.session() as s:  # one byte of the new archive flipped in the database
        archive = s.get(StoredVersion, second.version).archive
        chunk = s.scalars(select(BlobChunk).where(BlobChunk.sha256 == archive)).first()
        flipped = bytes([chunk.data[100] ^ 0xFF])
        s.execute(
            update(BlobChunk)
            .where(BlobChunk.sha256 == archive, BlobChunk.seq == chunk.seq)
            .values(data=chunk.data[:100] + flipped + chunk.data[101:])
        )
    with pytest.raises(IndexStoreError, match="bị hỏng"):
        b.store.sync()
    assert b.store.active_name() == first and b.index.current().name == first
    assert not (b.settings.index_dir / "versions" / second.version).exists()
