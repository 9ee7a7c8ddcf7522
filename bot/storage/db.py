"""The Database handle: engine, sessions and schema migrations.

SQLite is the embedded default (a file under ``data/``); PostgreSQL is the
scale path (``DATABASE_URL=postgresql+psycopg://…``). The schema is always
brought to the latest Alembic revision before use.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.errors import ConfigError

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).with_name("migrations")
# PostgreSQL advisory lock keys (any 64-bit integers, the same in every process of this bot).
MIGRATION_LOCK = 4_600_461_001
BUILD_LOCK = 4_600_461_002


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets readers work while one writer commits; busy_timeout makes writers
    # queue instead of failing when hundreds of poll answers arrive at once.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url``; creates the folder of a SQLite file. Its errors never carry the
    statement's parameters (``hide_parameters``): those are members' questions and ids, and errors
    end up in logs."""
    try:
        if url.startswith("sqlite"):
            path = url.split("///", 1)[1] if "///" in url else ""
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True)
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, hide_parameters=True)
    except (SQLAlchemyError, ImportError, ValueError) as e:
        raise ConfigError(f"DATABASE_URL không hợp lệ ({url.split('@')[-1]}): {e}") from e


def insert(session: Session, table):
    """``INSERT`` of ``session``'s dialect, the kind that has ``on_conflict_do_nothing`` (PostgreSQL and
    SQLite both), for rows several processes may insert at the same moment."""
    from sqlalchemy.dialects import postgresql, sqlite

    return (postgresql if session.get_bind().dialect.name == "postgresql" else sqlite).insert(table)


class Database:
    """Engine + session factory for one database URL."""

    def __init__(self, url: str, migrate: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if migrate:
            self.upgrade()

    @property
    def sqlite_path(self) -> str | None:
        """The file of a SQLite database (None for PostgreSQL or an in-memory database)."""
        if not self.url.startswith("sqlite") or "///" not in self.url:
            return None
        path = self.url.split("///", 1)[1]
        return None if not path or path == ":memory:" else path

    def upgrade(self, revision: str = "head") -> None:
        """Apply Alembic migrations up to ``revision``."""
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["engine"] = self.engine
        try:
            with self.migration_lock():
                command.upgrade(cfg, revision)
        except SQLAlchemyError as e:
            raise ConfigError(f"Không kết nối/cập nhật được cơ sở dữ liệu: {e}") from e

    @contextmanager
    def migration_lock(self) -> Iterator[None]:
        """Processes starting together migrate one at a time: the first holds the lock while Alembic
        runs, the others wait for it and then find the schema current. On PostgreSQL a session-level
        advisory lock; on a SQLite file an exclusive ``flock`` on ``<file>.migrate.lock`` beside it,
        which the OS releases if the holder dies. (SQLite's own locking serialises single writes, not
        Alembic's whole check-then-create: eight processes opening one fresh file together had seven
        fail with "table … already exists".)"""
        if self.engine.dialect.name != "postgresql":
            path = self.sqlite_path
            if path is None:
                yield
                return
            lock = Path(path).with_name(Path(path).name + ".migrate.lock")
            lock.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)  # releases the lock
            return
        with self.engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
                conn.commit()

    @contextmanager
    def advisory_lock(self, key: int, wait: float = 0.0) -> Iterator[bool]:
        """Try to take a PostgreSQL advisory lock across every process on this database (waiting up to
        ``wait`` seconds); yields whether it was taken (always True on SQLite, whose processes share
        one host)."""
        if self.engine.dialect.name != "postgresql":
            yield True
            return
        with self.engine.connect() as conn:
            if wait > 0:
                conn.execute(text(f"SET lock_timeout = {int(wait * 1000)}"))
                try:
                    conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
                    taken = True
                except OperationalError:  # lock_timeout: still held elsewhere
                    conn.rollback()
                    taken = False
                conn.execute(text("SET lock_timeout = 0"))
            else:
                taken = bool(conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar())
            try:
                yield taken
            finally:
                if taken:
                    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                conn.commit()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success, rolled back on error."""
        s = self._sessions()
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    def dispose(self) -> None:
        self.engine.dispose()
