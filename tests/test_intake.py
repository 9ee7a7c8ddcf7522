"""The durable intake: a webhook update is stored before its 200, handled once, in order per member, and
taken over by another process when the one that accepted it dies (SQLite and PostgreSQL).

Processes are simulated by Intake objects on one database, each with its own owner id; "dying" is
abandoning the updates being handled without a word to the database, as SIGKILL does (the real
SIGKILL of a `hoidap serve` process is in tests/test_replicas.py).
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.channels.intake import MAX_ATTEMPTS, Intake, IntakeUnavailable
from bot.storage.models import IntakeUpdate

LEASE = 1.0  # seconds: short, so a takeover happens quickly here (production: 15)


def keys(body: dict):
    return str(body["id"]), body.get("member")


class Handler:
    """Records what was handled; ``block`` holds updates as a slow Telegram would."""

    def __init__(self, name: str, log: list) -> None:
        self.name, self.log = name, log
        self.block = asyncio.Event()
        self.block.set()

    async def __call__(self, body: dict) -> None:
        await self.block.wait()
        self.log.append((self.name, body["id"]))


def process(database, name: str, log: list) -> tuple[Intake, Handler]:
    intake = Intake(database, lease=LEASE, tick=0.05)
    handler = Handler(name, log)
    intake.register("telegram", keys, handler)
    return intake, handler


def die(intake: Intake) -> None:
    """SIGKILL: what it was handling is abandoned, nothing is released or marked done."""
    intake._running = False
    for task in (intake._task, intake._flusher):
        if task is not None:
            task.cancel()
    for task in list(intake._in_flight.values()):
        task.cancel()


async def until(check, timeout: float = 20.0):
    for _ in range(int(timeout / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("not in time")


def rows(database):
    with database.session() as s:
        return {r.key: r for r in s.scalars(select(IntakeUpdate))}


async def test_an_update_is_stored_handled_once_and_its_redelivery_recognised(database):
    log: list = []
    a, _ = process(database, "a", log)
    await a.start()
    try:
        assert await a.accept("telegram", {"id": 1, "member": "telegram:user:7"})
        assert not await a.accept("telegram", {"id": 1, "member": "telegram:user:7"})  # posted again
        await until(lambda: log == [("a", 1)])
        await until(lambda: rows(database)["1"].status == "done")
        done = rows(database)["1"]
        assert done.body is None  # no question text stays behind once handled
        assert not await a.accept("telegram", {"id": 1, "member": "telegram:user:7"})  # late: still once
        await asyncio.sleep(0.3)
        assert log == [("a", 1)]
    finally:
        await a.stop()


async def test_updates_of_a_process_that_died_are_handled_by_another(database):
    log: list = []
    a, slow = process(database, "a", log)
    b, _ = process(database, "b", log)
    await a.start()
    await b.start()
    try:
        slow.block.clear()  # Telegram is slow: a's answers are still being sent
        for i in range(1, 31):
            assert await a.accept("telegram", {"id": i, "member": f"telegram:user:{i}"})  # 200 for each
        die(a)
        await until(lambda: len(log) == 30)
        assert sorted(i for _, i in log) == list(range(1, 31)) and {n for n, _ in log} == {"b"}
        await until(lambda: all(r.status == "done" for r in rows(database).values()))
        assert all(r.attempts == 2 for r in rows(database).values())  # each taken over once
    finally:
        await b.stop()


async def test_one_members_updates_are_handled_in_order_across_processes(database):
    log: list = []
    a, slow = process(database, "a", log)
    b, _ = process(database, "b", log)
    await a.start()
    await b.start()
    try:
        slow.block.clear()
        await a.accept("telegram", {"id": 1, "member": "telegram:user:7"})  # a vote, being handled by a
        await b.accept("telegram", {"id": 2, "member": "telegram:user:7"})  # its change, landed on b
        await b.accept("telegram", {"id": 3, "member": "telegram:user:8"})  # someone else
        await until(lambda: ("b", 3) in log)
        await asyncio.sleep(LEASE / 2)
        assert ("b", 2) not in log and ("a", 2) not in log  # waits for the vote before it
        slow.block.set()
        await until(lambda: len(log) == 3)
        assert [i for _, i in log if i in (1, 2)] == [1, 2]
    finally:
        await a.stop()
        await b.stop()


async def test_an_update_that_kills_every_process_is_given_up(database, caplog):
    log: list = []
    intake, handler = process(database, "a", log)
    handler.block.clear()
    intake._running = True
    await intake.accept("telegram", {"id": 99, "member": None})
    die(intake)
    for _ in range(MAX_ATTEMPTS - 1):  # each process that takes it over dies too
        await asyncio.sleep(LEASE + 0.1)
        successor, h = process(database, "next", log)
        h.block.clear()
        successor._running = True
        assert await successor.step() == 1
        die(successor)
    await asyncio.sleep(LEASE + 0.1)
    last, _ = process(database, "last", log)
    last._running = True
    assert await last.step() == 0
    assert rows(database)["99"].status == "failed" and log == []
    assert "given up after 5 attempts" in caplog.text


async def test_a_stopping_process_finishes_or_hands_over_what_it_holds(database):
    log: list = []
    a, slow = process(database, "a", log)
    b, _ = process(database, "b", log)
    await a.start()
    slow.block.clear()
    await a.accept("telegram", {"id": 5, "member": "zalo:1"})
    await a.stop(timeout=0.1)  # a redeploy: SIGTERM, the update could not finish in time
    row = rows(database)["5"]
    assert row.status == "new" and row.owner is None  # released: no need to wait for the lease
    await b.start()
    try:
        await until(lambda: log == [("b", 5)])
    finally:
        await b.stop()


async def test_without_the_database_the_update_is_refused_so_the_service_sends_it_again(tmp_path):
    from bot.storage.db import Database

    gone = Database("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1", migrate=False)
    intake = Intake(gone)
    intake.register("telegram", keys, Handler("a", []))
    with pytest.raises(IntakeUnavailable):
        await intake.accept("telegram", {"id": 1})
    gone.dispose()


async def test_a_process_leaves_the_updates_of_a_channel_it_does_not_run_to_those_that_do(database):
    log: list = []
    zalo_too = Intake(database, lease=LEASE)
    zalo_too.register("zalo", keys, Handler("z", log))
    await zalo_too.accept("zalo", {"id": 7, "member": "zalo:1"})  # accepted while it was starting
    telegram_only, _ = process(database, "t", log)
    telegram_only._running = True
    assert await telegram_only.step() == 0
    assert rows(database)["7"].status == "new"  # not given up, not taken: still Zalo's
    await zalo_too.start()
    try:
        await until(lambda: log == [("z", 7)])
    finally:
        await zalo_too.stop()
