"""`hoidap backup` while the bot runs (a build in progress is waited for), then `hoidap restore` into a fresh
database and fresh folders: the restored bot answers from the same documents and versions, with the same
records. PostgreSQL (pg_dump/pg_restore) and the embedded SQLite; a damaged archive restores nothing."""

from __future__ import annotations

import asyncio
import io
import shutil
import tarfile
import threading

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot import cli
from bot.channels.runner import Runner
from bot.conversation.actor import PRIVATE, Actor, Incoming
from bot.progress import Progress
from bot.service import Assistant
from bot.storage.models import QuestionLog
from tests.conftest import DATA, SEED_DOC, free_port, make_settings

QD99 = DATA / "docs" / "quy-dinh-99-kiem-thu.txt"
ASK_99 = "Sinh hoạt chi bộ trực tuyến phải bảo đảm những điều kiện gì?"


class HeldBuild(Progress):
    """A build that waits at its first stage until released (so a backup meets it running)."""

    def __init__(self) -> None:
        self.reached, self.release = threading.Event(), threading.Event()

    def start(self, stage: str, total: int) -> None:
        self.reached.set()
        self.release.wait(60)


def host(root, embedder, seed_settings, **overrides) -> Assistant:
    settings = make_settings(root, **overrides)
    cache = settings.index_dir / "cache"
    cache.mkdir(parents=True)
    shutil.copy(seed_settings.index_dir / "cache" / "embeddings.sqlite", cache / "embeddings.sqlite")
    return Assistant(settings, embedder=embedder)


def question_count(core: Assistant) -> int:
    with core.database.session() as s:
        return s.scalar(select(func.count()).select_from(QuestionLog))


def run_cli(monkeypatch, core_or_settings, *args):
    if isinstance(core_or_settings, Assistant):
        monkeypatch.setattr(cli, "_assistant", lambda s=None: core_or_settings)
    else:
        monkeypatch.setattr(cli, "get_settings", lambda: core_or_settings)
    return CliRunner().invoke(cli.main, list(args))


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
async def test_backup_while_the_bot_runs_then_restore_into_a_fresh_database_and_folder(
    tmp_path, embedder, seed_settings, monkeypatch, backend
):
    from contextlib import nullcontext

    from tests.cluster import fresh_database

    databases = (fresh_database(), fresh_database()) if backend == "postgresql" else (nullcontext(), nullcontext())
    with databases[0] as source_url, databases[1] as target_url:
        urls = (source_url, target_url)
        extra = {"database_url": urls[0]} if urls[0] else {}
        bot = host(tmp_path / "running", embedder, seed_settings, **extra)
        shutil.copy(SEED_DOC, bot.settings.knowledge_dir / SEED_DOC.name)
        bot.library.build()
        member = Actor("telegram", "501", "501", PRIVATE, "Thành viên")
        for text in ("người đứng đầu phải thế nào", "giá vàng hôm nay"):
            bot.conversation().text(member, Incoming(text=text, addressed=True)).done(True)
        bot.flush_records(10)
        port = free_port()
        runner = Runner(bot.settings, bot, http=("127.0.0.1", port))
        await runner.start()  # the bot serves while the backup is made

        # An admin adds a document; its build is running when the operator starts the backup.
        held = HeldBuild()
        adding = threading.Thread(target=lambda: bot.library.add_documents([(QD99, None)], progress=held))
        adding.start()
        assert held.reached.wait(60)
        operator = Assistant(bot.settings, embedder=embedder)  # `hoidap backup` is another process
        archive = tmp_path / "backups" / "hoidap.tar"
        backing_up = asyncio.ensure_future(asyncio.to_thread(run_cli, monkeypatch, operator, "backup", str(archive)))
        await asyncio.sleep(1.0)
        assert not backing_up.done()  # it waits for the build, it does not copy half of it
        held.release.set()
        result = await backing_up
        adding.join(60)
        await runner.stop()
        assert result.exit_code == 0, result.output
        built = bot.store.active_name()
        assert f"chỉ mục đang dùng {built}" in result.output
        expected_questions = question_count(bot)
        versions = [v.name for v in bot.library.index_versions()]
        operator.close()
        bot.close()

        extra = {"database_url": urls[1]} if urls[1] else {}
        target = make_settings(tmp_path / "fresh", **extra)
        restored = run_cli(monkeypatch, target, "restore", str(archive))
        assert restored.exit_code == 0, restored.output
        again = Assistant(target, embedder=embedder)
        try:
            answer = again.ask(ASK_99)
            assert answer.found and answer.source.doc_id == "99-qd-tu"  # the document added during the backup
            assert again.index.current().name == built
            assert [v.name for v in again.library.index_versions()] == versions
            assert question_count(again) == expected_questions
            assert (target.knowledge_dir / "99-qd-tu.txt").read_bytes() == QD99.read_bytes()
        finally:
            again.close()

        # Restoring over what is there is refused unless forced.
        refused = run_cli(monkeypatch, target, "restore", str(archive))
        assert refused.exit_code == 1 and "--force" in refused.output


def test_a_damaged_backup_restores_nothing(tmp_path, embedder, seed_settings, monkeypatch):
    bot = host(tmp_path / "running", embedder, seed_settings)
    shutil.copy(SEED_DOC, bot.settings.knowledge_dir / SEED_DOC.name)
    bot.library.build()
    archive = tmp_path / "hoidap.tar"
    assert run_cli(monkeypatch, bot, "backup", str(archive)).exit_code == 0
    bot.close()

    damaged = tmp_path / "damaged.tar"
    with tarfile.open(archive) as src, tarfile.open(damaged, "w") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read() if member.isfile() else None
            if member.name.startswith("knowledge/"):
                data = data.replace("Câu hỏi 1".encode(), "Câu hỏi 9".encode())  # a changed byte
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data) if data is not None else None)
    target = make_settings(tmp_path / "fresh")
    result = run_cli(monkeypatch, target, "restore", str(damaged))
    assert result.exit_code == 1 and "không khớp mã kiểm tra" in result.output
    assert not any(target.knowledge_dir.iterdir()) and not (target.index_dir / "ACTIVE").exists()
