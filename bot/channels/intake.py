"""The durable intake: a webhook update is stored in the database before its 200, and handled once.

Telegram does not post an update again once its webhook answered 200, so an update held only in a
process's memory is lost if that process is killed (OOM, a host failure, a forced redeploy) before it
answered. Here the webhook route inserts the update into the ``intake`` table and commits, and only
then answers 200. The process that received it handles it at once (it holds a *lease* on the row,
renewed while it works) and marks it done afterwards; a row whose lease ran out — its process died —
is taken over by any other process (``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)``:
two processes never take the same row).

- **Once.** The row is unique per (channel, update id): an update Telegram or Zalo posts again is
  stored once. A finished row keeps only its key (the body is dropped: no question text stays
  behind) for ``RETENTION``, so a late redelivery is still recognised. A row taken over after a crash
  is handled again — a member may get the same answer twice, never none; quiz answers and uploads
  are idempotent in the database.
- **In order per member.** A row is only taken while no earlier unfinished row of the same member
  exists (inserts of one member's rows are serialised by a transaction-level advisory lock, so the
  later one always sees the earlier); finishing a row hands the member's next one to this process at
  once. A member's updates therefore never run at once in two processes, and no Redis lock is needed
  (one held by a process that died would stall its members until it expired).
- **Poison.** A row that was taken ``MAX_ATTEMPTS`` times (it killed every process that tried) is
  marked failed and logged instead of killing the next one.

Why PostgreSQL rather than a Redis Stream: see the README (Several processes). The same code runs
on SQLite (one process; SQLite serialises writers, so SKIP LOCKED is not needed there).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, delete, exists, func, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError

from bot import metrics, outages
from bot.observe import ARRIVED
from bot.storage.models import IntakeUpdate, utcnow

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
RETENTION = dt.timedelta(hours=24)  # finished rows remembered (keys only) to recognise late redeliveries
CLAIM_BATCH = 50
DB_THREADS = 16  # database calls of the intake in flight at once (commits wait on the disk, not the CPU)
WRITERS, WRITE_BATCH = 2, 200  # transactions storing updates at once, and updates in one at most
FLUSH_EVERY = 0.02  # seconds: finished updates are marked done together, at most this often
MAX_IN_FLIGHT = 256  # rows this process handles at once (beyond that, others or later ticks take them)


# The statements, built once: compiled once and cached by SQLAlchemy (each runs for every update).
T = IntakeUpdate.__table__
_EARLIER = T.alias("earlier")
_WAITS = exists().where(and_(_EARLIER.c.member == T.c.member, _EARLIER.c.status == "new", _EARLIER.c.id < T.c.id))


def _candidates(members: bool):
    """Rows free to take (never taken, or their lease ran out), only the oldest unfinished one of each
    member, of the channels this process handles; ``members``: only those members' rows."""
    query = select(T.c.id).where(
        T.c.status == "new",
        or_(T.c.lease_until.is_(None), T.c.lease_until < bindparam("now")),
        T.c.channel.in_(bindparam("channels", expanding=True)),
        ~_WAITS,
    )
    if members:
        query = query.where(T.c.member.in_(bindparam("members", expanding=True)))
    return query.order_by(T.c.id).limit(bindparam("limit")).with_for_update(skip_locked=True)


def _take(members: bool):
    return (
        update(T)
        .where(T.c.id.in_(_candidates(members).scalar_subquery()))
        .values(owner=bindparam("owner"), lease_until=bindparam("until"), attempts=T.c.attempts + 1)
        .returning(T.c.id, T.c.channel, T.c.member, T.c.body, T.c.received_at, T.c.attempts)
    )


TAKE, TAKE_MEMBERS = _take(False), _take(True)
WAITING = select(T.c.id).where(T.c.id.in_(bindparam("ids", expanding=True)), T.c.member.is_not(None), _WAITS)
WAIT_TURN = (
    update(T).where(T.c.id.in_(bindparam("ids", expanding=True))).values(owner=None, lease_until=None, attempts=0)
)
DONE = (
    update(T)
    .where(T.c.id.in_(bindparam("ids", expanding=True)))
    .values(status="done", body=None, owner=None, lease_until=None, done_at=bindparam("now"))
)
FAILED = (
    update(T)
    .where(T.c.id.in_(bindparam("ids", expanding=True)))
    .values(status="failed", owner=None, lease_until=None, done_at=bindparam("now"))
)
RENEW = (
    update(T)
    .where(T.c.id.in_(bindparam("ids", expanding=True)), T.c.owner == bindparam("me"), T.c.status == "new")
    .values(lease_until=bindparam("until"))
)
RELEASE = (  # bound as "me": a parameter named after a column SET here would set it
    update(T)
    .where(T.c.id.in_(bindparam("ids", expanding=True)), T.c.owner == bindparam("me"), T.c.status == "new")
    .values(owner=None, lease_until=None)
)
INSERT = {  # by "is PostgreSQL": the dialects' INSERT … ON CONFLICT DO NOTHING
    dialect is postgresql: dialect.insert(T).on_conflict_do_nothing().returning(T.c.id, T.c.channel, T.c.key, T.c.owner)
    for dialect in (postgresql, sqlite)
}
LOCK_MEMBERS = text("SELECT pg_advisory_xact_lock(hashtextextended(m, 46)) FROM unnest(CAST(:ms AS text[])) AS m")


class IntakeUnavailable(Exception):
    """The update could not be stored: the webhook must not answer 200 (the service posts it again)."""


@dataclass
class Route:
    """How one channel's updates are keyed and handled."""

    describe: Callable[[dict], tuple[str | None, str | None]]  # body -> (update key, member key)
    handle: Callable[[dict], Awaitable[None]]


@dataclass
class _Incoming:
    channel: str
    key: str
    member: str | None
    body: dict
    received: float  # time.time() of its arrival
    stored: asyncio.Future | None = None


@dataclass
class _Row:
    id: int
    channel: str
    member: str | None
    body: dict
    received: float  # time.time() of its arrival
    attempts: int


def body_key(body: dict) -> str:
    """A key for an update that carries no id of its own: its content."""
    return "sha256:" + hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:48]


class Intake:
    def __init__(self, db, lease: float = 15.0, tick: float = 1.0) -> None:
        self.db = db
        self.lease = lease
        self.tick = tick
        self.owner = f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._routes: dict[str, Route] = {}
        self._in_flight: dict[int, asyncio.Task] = {}
        # Handled here, to be marked done: written together, one transaction for all that finished
        # meanwhile (kept, with their leases renewed, while the database cannot be reached).
        self._finished: dict[int, str | None] = {}
        self._flush_wanted = asyncio.Event()
        self._flusher: asyncio.Task | None = None
        # Its own threads: storing an update must not wait behind answers computed in the default pool.
        self._executor = ThreadPoolExecutor(max_workers=DB_THREADS, thread_name_prefix="intake")
        self._waiting: list[_Incoming] = []  # accepted, to be written in the next transaction
        self._writing: set[asyncio.Task] = set()
        self._task: asyncio.Task | None = None
        self._running = False
        self._last_sweep = 0.0

    @classmethod
    def from_settings(cls, settings, db) -> Intake:
        return cls(db, settings.intake_lease_seconds)

    def register(
        self,
        channel: str,
        describe: Callable[[dict], tuple[str | None, str | None]],
        handle: Callable[[dict], Awaitable[None]],
    ) -> None:
        """``describe(body)`` gives the update's own id and its member; ``handle(body)`` processes it."""
        self._routes[channel] = Route(describe, handle)

    # --- accepting ------------------------------------------------------------------------------
    async def accept(self, channel: str, body: dict) -> bool:
        """Store an update (committed when this returns): True if new, False if already stored.
        Raises :class:`IntakeUnavailable` when it could not be stored."""
        route = self._routes[channel]
        try:
            key, member = route.describe(body)
        except Exception:  # a body we cannot read still gets stored and handed over (the handler decides)
            key, member = None, None
        item = _Incoming(channel, (key or body_key(body))[:64], member, body, time.time())
        item.stored = asyncio.get_running_loop().create_future()
        self._waiting.append(item)
        if len(self._writing) < WRITERS:
            task = asyncio.ensure_future(self._write())
            self._writing.add(task)
            task.add_done_callback(self._writing.discard)
        try:
            stored = await item.stored
        except Exception as e:
            outages.failure("database", "an update could not be stored (the webhook answers 503)", e)
            raise IntakeUnavailable(str(e)) from e
        if stored is None:
            metrics.count(metrics.INTAKE_DUPLICATES, channel)
            return False
        metrics.count(metrics.INTAKE_ACCEPTED, channel)
        row_id, mine = stored
        if mine:
            self._spawn(_Row(row_id, channel, member, body, item.received, 1))
        return True

    async def _write(self) -> None:
        """Group commit: what arrived while the last transaction committed goes into the next one — one
        disk flush for many updates, each webhook still answered only after its own row is committed."""
        while self._waiting:
            batch, self._waiting = self._waiting[:WRITE_BATCH], self._waiting[WRITE_BATCH:]
            try:
                results = await self._db(self._insert, batch)
            except Exception as e:
                for item in batch:
                    if not item.stored.done():
                        item.stored.set_exception(e)
                continue
            for item, result in zip(batch, results, strict=True):
                if not item.stored.done():
                    item.stored.set_result(result)

    def _insert(self, batch: list[_Incoming]) -> list[tuple[int, bool] | None]:
        """For each update: (row id, taken by us), or None for a duplicate. A row is ours at once unless
        its member has an earlier unfinished update (then it waits its turn) or we are not running yet."""
        for attempt in range(3):
            try:
                return self._insert_once(batch)
            except OperationalError as e:  # two transactions locking members crosswise: try again
                if "deadlock" not in str(e).lower() or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _insert_once(self, batch: list[_Incoming]) -> list[tuple[int, bool] | None]:
        room = MAX_IN_FLIGHT - len(self._in_flight)
        first: dict[tuple[str, str], _Incoming] = {}  # the same update posted twice in one batch: once
        for item in batch:
            first.setdefault((item.channel, item.key), item)
        rows = []
        for item in first.values():
            mine = self._running and len(rows) < room
            now = dt.datetime.fromtimestamp(item.received, dt.UTC)
            rows.append(
                {
                    "channel": item.channel,
                    "key": item.key,
                    "member": item.member,
                    "body": json.dumps(item.body, ensure_ascii=False),
                    "status": "new",
                    "attempts": 1 if mine else 0,
                    "owner": self.owner if mine else None,
                    "lease_until": now + dt.timedelta(seconds=self.lease) if mine else None,
                    "received_at": now,
                }
            )
        with self.db.engine.begin() as s:
            members = sorted({item.member for item in first.values() if item.member is not None})
            if members and self.db.engine.dialect.name == "postgresql":
                # One member's inserts one transaction at a time (until commit), so a later update always
                # sees the earlier one and waits its turn; locks taken in one order (no deadlock).
                # SQLite has one writer at a time anyway.
                s.execute(LOCK_MEMBERS, {"ms": members})
            stored = {
                (r.channel, r.key): (r.id, r.owner is not None)
                for r in s.execute(
                    INSERT[self.db.engine.dialect.name == "postgresql"],
                    rows,  # executemany: one compiled statement, rows sent in batches
                )
            }
            ours = [row_id for row_id, mine in stored.values() if mine]
            if ours:
                waiting = set(s.scalars(WAITING, {"ids": ours}))
                if waiting:
                    s.execute(WAIT_TURN, {"ids": sorted(waiting)})
                    stored = {k: (row_id, mine and row_id not in waiting) for k, (row_id, mine) in stored.items()}
        out: list[tuple[int, bool] | None] = []
        for item in batch:
            result = stored.pop((item.channel, item.key), None) if first.get((item.channel, item.key)) is item else None
            out.append(result)
        return out

    # --- handling --------------------------------------------------------------------------------
    def _spawn(self, row: _Row) -> None:
        task = asyncio.ensure_future(self._handle(row))
        self._in_flight[row.id] = task
        task.add_done_callback(lambda _t, rid=row.id: self._in_flight.pop(rid, None))

    async def _handle(self, row: _Row) -> None:
        if row.attempts > 1:
            metrics.count(metrics.INTAKE_REDELIVERIES, row.channel)
            log.info("intake: update %s (%s) taken over, attempt %s", row.id, row.channel, row.attempts)
        token = ARRIVED.set(row.received)  # end-to-end latency counts the time it waited
        try:
            await self._routes[row.channel].handle(row.body)
        except asyncio.CancelledError:
            raise  # stopping: the row is released for another process, not marked done
        except Exception:  # handlers log their own errors; anything else must not leave the row behind
            log.exception("intake: error while handling update %s (%s)", row.id, row.channel)
        finally:
            ARRIVED.reset(token)
        self._finished[row.id] = row.member
        self._flush_wanted.set()

    async def _db(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def _flush(self) -> None:
        """Mark what finished here done, then hand this process the next update of those members."""
        if not self._finished:
            return
        batch = dict(self._finished)
        try:
            following = await self._db(self._finish, batch)
        except Exception as e:  # kept (their leases renewed): retried at the next flush
            outages.failure("database", "handled updates could not be marked done (retried)", e)
            return
        for row_id in batch:
            self._finished.pop(row_id, None)
        for row in following:
            self._spawn(row)

    async def _flushing(self) -> None:
        while True:
            await self._flush_wanted.wait()
            self._flush_wanted.clear()
            await self._flush()
            await asyncio.sleep(FLUSH_EVERY)  # what finishes meanwhile goes in the next transaction

    def _finish(self, batch: dict[int, str | None]) -> list[_Row]:
        with self.db.engine.begin() as s:
            s.execute(DONE, {"ids": list(batch), "now": utcnow()})
        members = sorted({m for m in batch.values() if m is not None})
        if not members or not self._running:
            return []
        return self._claim(members=members, limit=len(members))

    def _claim(self, members: list[str] | None = None, limit: int = CLAIM_BATCH) -> list[_Row]:
        """Take free rows (never taken, or their lease ran out): the oldest unfinished row of each
        member only. ``members``: only theirs (the next ones, handed on when the ones before finished)."""
        now = utcnow()
        params = {
            "now": now,
            "channels": sorted(self._routes),
            "limit": limit,
            "owner": self.owner,
            "until": now + dt.timedelta(seconds=self.lease),
        }
        if members is not None:
            params["members"] = members
        rows: list[_Row] = []
        with self.db.engine.begin() as s:
            taken = s.execute(TAKE if members is None else TAKE_MEMBERS, params).all()
            poison = [r.id for r in taken if r.attempts > MAX_ATTEMPTS]
            if poison:
                s.execute(FAILED, {"ids": poison, "now": now})
        for r in sorted(taken, key=lambda r: r.id):
            if r.id in poison:
                metrics.count(metrics.INTAKE_FAILED, r.channel)
                log.error(
                    "intake: update %s (%s) given up after %s attempts (each process handling it died)",
                    r.id,
                    r.channel,
                    r.attempts - 1,
                )
                continue
            received = r.received_at if r.received_at.tzinfo else r.received_at.replace(tzinfo=dt.UTC)
            rows.append(_Row(r.id, r.channel, r.member, json.loads(r.body or "{}"), received.timestamp(), r.attempts))
        return rows

    # --- the loop: leases, takeovers, acknowledgements left over, housekeeping ------------------------
    async def start(self) -> None:
        """Handle what is waiting (rows of a process that died, rows accepted before the channels ran)."""
        if self._task is None:
            self._running = True
            self._flush_wanted = asyncio.Event()  # of this event loop
            self._task = asyncio.create_task(self._loop(), name="intake")
            self._flusher = asyncio.create_task(self._flushing(), name="intake-done")

    async def _loop(self) -> None:
        while True:
            try:
                await self.step()
            except asyncio.CancelledError:
                raise
            except Exception as e:  # the database may be briefly unreachable: next tick
                outages.failure("database", "the intake could not look for waiting updates", e)
            await asyncio.sleep(self.tick)

    async def step(self) -> int:
        """One tick: renew our leases, retry acknowledgements, take free rows; returns how many were taken."""
        mine = list(self._in_flight) + list(self._finished)
        if mine:
            await self._db(self._renew, mine)
        if self._finished:
            self._flush_wanted.set()  # left over from a failed flush
        room = MAX_IN_FLIGHT - len(self._in_flight)
        taken = await self._db(self._claim, None, min(room, CLAIM_BATCH)) if room > 0 else []
        for row in taken:
            self._spawn(row)
        if time.monotonic() - self._last_sweep > 5:
            self._last_sweep = time.monotonic()
            await self._db(self._housekeeping)
        return len(taken)

    def _renew(self, ids: list[int]) -> None:
        with self.db.engine.begin() as s:
            s.execute(RENEW, {"ids": ids, "me": self.owner, "until": utcnow() + dt.timedelta(seconds=self.lease)})

    def _housekeeping(self) -> None:
        """The queue's length and lag for the metrics; finished rows past their retention forgotten."""
        now = utcnow()
        with self.db.engine.begin() as s:
            pending, oldest = s.execute(
                select(func.count(), func.min(IntakeUpdate.received_at)).where(IntakeUpdate.status == "new")
            ).one()
            s.execute(delete(IntakeUpdate).where(IntakeUpdate.status != "new", IntakeUpdate.done_at < now - RETENTION))
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=dt.UTC)
        metrics.INTAKE_PENDING.set(pending)
        metrics.INTAKE_LAG.set((now - oldest).total_seconds() if oldest is not None else 0.0)

    async def stop(self, timeout: float = 20.0) -> None:
        """Stop taking rows; let the updates being handled finish (up to ``timeout``), then release
        the rest so another process takes them over at once instead of after the lease."""
        self._running = False
        for task in (self._task, self._flusher):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._task = self._flusher = None
        if self._in_flight:
            await asyncio.wait(list(self._in_flight.values()), timeout=timeout)
        left = list(self._in_flight)
        tasks = list(self._in_flight.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._flush()
        if left:
            with contextlib.suppress(Exception):
                await self._db(self._release, left)
            log.warning("intake: %s updates still being handled were released for another process", len(left))

    def _release(self, ids: list[int]) -> None:
        with self.db.engine.begin() as s:
            s.execute(RELEASE, {"ids": ids, "me": self.owner})
