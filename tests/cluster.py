"""Several `hoidap serve` processes behind one webhook URL, on one PostgreSQL and one Redis, as an
operator runs them — used by the replica test and by ``scripts/load_telegram.py --processes N``.

The fake Bot API plays Telegram and the load balancer in front of the processes (webhook updates go
to them in turn). With ``separate=True`` each process has its own knowledge, index and data folders,
as on hosts of their own: they share only PostgreSQL and Redis (the seed version is put in the
database, and each process starts with empty folders). Otherwise they share one set of folders, as
several processes on one host do.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import select, update

from bot.quiz.service import QuizService
from bot.storage.db import Database
from bot.storage.models import QuizAnswer, QuizSubscription

REPO = Path(__file__).resolve().parents[1]
SEED_DOC = REPO / "knowledge" / "chi-thi-46-CT-TU-hoi-dap.txt"
MODEL_DIR = REPO / "models" / "multilingual-e5-small"
HOOK = "/telegram/webhook"
REDIS_URL = "redis://127.0.0.1:6379/0"


# The local PostgreSQL server (trust auth); tests make and drop their own databases on it.
PG_ADMIN_URL = os.environ.get("HOIDAP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@contextlib.contextmanager
def fresh_database(admin_url: str = PG_ADMIN_URL):
    """The URL of a new, empty PostgreSQL database, dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    name = f"hoidap_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as e:
        raise RuntimeError(f"PostgreSQL is required at {admin_url} (.ci/run starts it): {e}") from e
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as c:
            c.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(
        self,
        root: Path,
        fake,
        db_url: str,
        seed_index: Path,
        processes: int = 3,
        admin: int = 870001,
        timezone: str = "Asia/Ho_Chi_Minh",
        separate: bool = False,
        **settings: str,
    ) -> None:
        self.root, self.fake, self.db_url, self.admin, self.timezone = root, fake, db_url, admin, timezone
        self.separate = separate
        self.ports = [free_port() for _ in range(processes)]
        self.procs: list[subprocess.Popen] = []
        self.spawned: dict[int, float] = {}  # process -> when it was (last) started
        self.ready_after: dict[int, float] = {}  # process -> seconds from that start to /readyz 200
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("HOIDAP_", "DATABASE_URL"))},
            "HOIDAP_DATABASE_URL": db_url,
            "HOIDAP_REDIS_URL": REDIS_URL,
            "HOIDAP_REDIS_PREFIX": f"hoidap-test-{uuid.uuid4().hex[:8]}",
            "HOIDAP_MODEL": str(MODEL_DIR),
            "HOIDAP_TELEGRAM_TOKEN": fake.token,
            "HOIDAP_TELEGRAM_BASE_URL": fake.base_url,
            "HOIDAP_TELEGRAM_BASE_FILE_URL": fake.base_file_url,
            "HOIDAP_TELEGRAM_MODE": "webhook",
            "HOIDAP_WEBHOOK_URL": f"https://hoidap.example.vn{HOOK}",
            "HOIDAP_WEBHOOK_SECRET": "replica-webhook-secret-123",
            "HOIDAP_WEB_SECRET": "replica-web-secret-0123456789",
            "HOIDAP_ADMIN_IDS": str(admin),
            "HOIDAP_TIMEZONE": timezone,
            "HOIDAP_QUIZ_TICK_SECONDS": "1",
            "HOIDAP_LOG_LEVEL": "WARNING",
            **{f"HOIDAP_{k.upper()}": str(v) for k, v in settings.items()},
        }
        self.db = Database(db_url)  # migrated here first: the processes then find the schema current
        self.quiz = QuizService(self.db, timezone)
        if separate:
            self._seed_database(seed_index)
        else:
            self._folders(root)
            (root / "knowledge").mkdir(parents=True)
            shutil.copy(SEED_DOC, root / "knowledge" / SEED_DOC.name)
            shutil.copytree(seed_index, root / "index", symlinks=True)
            (root / "data").mkdir()
        fake.balance([f"http://127.0.0.1:{p}" for p in self.ports])

    def folder(self, i: int) -> Path:
        """Process ``i``'s folders (its own host's, or the one set all share)."""
        return self.root / f"host-{i}" if self.separate else self.root

    @staticmethod
    def _folders(root: Path) -> dict[str, str]:
        return {
            "HOIDAP_KNOWLEDGE_DIR": str(root / "knowledge"),
            "HOIDAP_INDEX_DIR": str(root / "index"),
            "HOIDAP_DATA_DIR": str(root / "data"),
        }

    def _seed_database(self, seed_index: Path) -> None:
        """The seed document and its index version, stored in the database as an operator's first
        `hoidap build` on any host leaves them; every process then starts with empty folders."""
        from bot.index.database_store import DatabaseIndexStore
        from bot.knowledge import KnowledgeBase

        seed = self.root / "seed"
        (seed / "knowledge").mkdir(parents=True)
        shutil.copy(SEED_DOC, seed / "knowledge" / SEED_DOC.name)
        shutil.copytree(seed_index, seed / "index", symlinks=True, ignore=shutil.ignore_patterns("cache"))
        store = DatabaseIndexStore(seed / "index", self.db)
        store.sync()
        store.push_knowledge(KnowledgeBase(seed / "knowledge", 20 * 1024 * 1024))
        for i in range(len(self.ports)):
            for folder in ("knowledge", "index", "data"):
                (self.folder(i) / folder).mkdir(parents=True)

    def start(self) -> None:
        for i in range(len(self.ports)):
            self._spawn(i)

    def _spawn(self, i: int) -> None:
        hoidap = str(Path(sys.executable).with_name("hoidap"))
        self.spawned[i] = time.monotonic()
        log = open(self.root / f"process-{i}.log", "ab")  # noqa: SIM115 - the process writes it
        process = subprocess.Popen(
            [hoidap, "serve", "--host", "127.0.0.1", "--port", str(self.ports[i])],
            cwd=self.folder(i),  # no .env of the developer's checkout
            env={**self.env, **self._folders(self.folder(i))},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        if i < len(self.procs):
            self.procs[i] = process
        else:
            self.procs.append(process)

    def restart(self, i: int) -> None:
        """Start process ``i`` again (after :meth:`kill`), as systemd's Restart=on-failure does."""
        assert self.procs[i].poll() is not None
        self._spawn(i)

    def stored_versions(self) -> list[str]:
        from bot.storage.models import StoredVersion

        with self.db.session() as s:
            return list(s.scalars(select(StoredVersion.name)))

    async def ready(self, timeout: float = 180, only: list[int] | None = None) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient() as client:
            for i, port in enumerate(self.ports):
                if only is not None and i not in only:
                    continue
                while True:
                    assert self.procs[i].poll() is None, self.log(i)
                    try:
                        if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                            self.ready_after[i] = round(time.monotonic() - self.spawned[i], 1)
                            break
                    except httpx.TransportError:
                        pass
                    assert time.monotonic() < deadline, self.log(i)
                    await asyncio.sleep(0.5)

    def log(self, i: int) -> str:
        return (self.root / f"process-{i}.log").read_text(encoding="utf-8", errors="replace")[-4000:]

    def log_errors(self, i: int) -> int:
        """Errors process ``i`` logged (each logged error carries its level name; tracebacks follow it)."""
        text = (self.root / f"process-{i}.log").read_text(encoding="utf-8", errors="replace")
        return sum(1 for line in text.splitlines() if " ERROR " in line or " CRITICAL " in line)

    def kill(self, i: int) -> None:
        self.procs[i].send_signal(signal.SIGKILL)
        self.procs[i].wait()

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        self.db.dispose()
        import redis

        r = redis.Redis.from_url(REDIS_URL)
        for key in r.scan_iter(f"{self.env['HOIDAP_REDIS_PREFIX']}*"):
            r.delete(key)
        r.close()

    # --- data: subscriptions as officers made them yesterday --------------------------------------
    def subscribe(self, chats: list[dict], at: dt.datetime) -> None:
        for chat in chats:
            self.quiz.subscribe(
                "telegram",
                str(chat["id"]),
                "supergroup",
                chat["title"],
                at.strftime("%H:%M"),
                "0123456",
                str(self.admin),
            )
        yesterday = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
        with self.db.session() as s:
            s.execute(
                update(QuizSubscription)
                .where(QuizSubscription.chat_id.in_([str(c["id"]) for c in chats]))
                .values(schedule_changed_at=yesterday, created_at=yesterday)
            )

    def answers(self) -> list[tuple[int, str]]:
        with self.db.session() as s:
            return list(s.execute(select(QuizAnswer.delivery_id, QuizAnswer.user_id)).all())


def polls_to(fake, chats: list[dict]) -> dict[int, list]:
    """The quizzes sent to ``chats``: chat id -> sendPoll calls."""
    ids = {c["id"] for c in chats}
    out: dict[int, list] = {}
    for call in fake.calls:
        if call.method == "sendPoll" and int(call.params["chat_id"]) in ids:
            out.setdefault(int(call.params["chat_id"]), []).append(call)
    return out


async def until(check, timeout: float, what: str, step: float = 0.25):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"not within {timeout}s: {what}"
        await asyncio.sleep(step)
