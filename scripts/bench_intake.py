#!/usr/bin/env python3
"""The durable intake, measured both ways: the PostgreSQL table the bot uses (bot/channels/intake.py)
against a Redis Stream with a consumer group (XADD / XREADGROUP / XACK, XAUTOCLAIM for a dead consumer).

For each: the time a webhook spends storing an update before its 200 (p50/p95, ``--concurrency``
posts at once), and updates per second through store → take → handle (a no-op) → acknowledge. Redis
is measured on a server of its own started here, as Debian configures it (snapshots only: an update
XADDed since the last snapshot is lost if Redis itself dies) and with ``appendfsync always`` (the
setting that makes XADD as durable as a PostgreSQL commit). PostgreSQL commits with its defaults
(``synchronous_commit=on``: fsynced before the 200).

Prints one JSON object (medians of ``--runs``). Usage: python scripts/bench_intake.py [--updates 2000] [--concurrency 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def update(i: int) -> dict:
    return {
        "update_id": i,
        "message": {
            "message_id": i,
            "from": {"id": 500000 + i % 400, "first_name": "Đảng viên"},
            "chat": {"id": 500000 + i % 400, "type": "private"},
            "text": "Người đứng đầu cấp ủy phải làm gương như thế nào trong việc thực hiện Chỉ thị 46?",
        },
    }


def stats(latencies: list[float], wall: float, n: int, cpu: float) -> dict:
    ms = np.array(latencies) * 1000
    return {
        "store_p50_ms": round(float(np.percentile(ms, 50)), 2),
        "store_p95_ms": round(float(np.percentile(ms, 95)), 2),
        "updates_per_s": round(n / wall, 1),
        # CPU of this process (the bot's side: storing, taking, acknowledging), not the server's.
        "client_cpu_ms_per_update": round(cpu * 1000 / n, 3),
    }


async def bench_postgres(args) -> dict:
    from bot.channels.intake import Intake
    from bot.storage.db import Database
    from tests.cluster import fresh_database

    with fresh_database() as url:
        db = Database(url)
        intake = Intake(db)  # production settings: lease 15 s, a tick a second
        done = asyncio.Event()
        handled = 0

        async def handle(body: dict) -> None:
            nonlocal handled
            handled += 1
            if handled == args.updates:
                done.set()

        member = lambda b: (str(b["update_id"]), f"telegram:user:{b['message']['from']['id']}")  # noqa: E731
        intake.register("telegram", member, handle)
        await intake.start()
        latencies: list[float] = []
        sem = asyncio.Semaphore(args.concurrency)

        async def post(i: int) -> None:
            async with sem:
                began = time.perf_counter()
                await intake.accept("telegram", update(i))
                latencies.append(time.perf_counter() - began)

        began, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(post(i) for i in range(args.updates)))
        await asyncio.wait_for(done.wait(), 300)
        wall, cpu = time.perf_counter() - began, time.process_time() - cpu
        await intake.stop()
        db.dispose()
    return stats(latencies, wall, args.updates, cpu)


async def bench_redis(args, persistence: list[str]) -> dict:
    import redis.asyncio as aioredis

    from tests.cluster import free_port

    folder = Path(tempfile.mkdtemp(prefix="bench-redis-"))
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder), *persistence],
        stdout=subprocess.DEVNULL,
    )
    try:
        client = aioredis.Redis(port=port)
        for _ in range(50):
            try:
                await client.ping()
                break
            except Exception:
                await asyncio.sleep(0.1)
        stream, group = "hoidap:intake", "bots"
        await client.xgroup_create(stream, group, id="0", mkstream=True)
        latencies: list[float] = []
        sem = asyncio.Semaphore(args.concurrency)

        async def post(i: int) -> None:
            async with sem:
                began = time.perf_counter()
                await client.xadd(stream, {"body": json.dumps(update(i), ensure_ascii=False)})
                latencies.append(time.perf_counter() - began)

        handled = 0

        async def consume() -> None:
            nonlocal handled
            while handled < args.updates:
                entries = await client.xreadgroup(group, "bot-1", {stream: ">"}, count=100, block=100)
                for _, messages in entries or []:
                    ids = []
                    for entry_id, fields in messages:
                        json.loads(fields[b"body"])  # the handler (a no-op, as for PostgreSQL)
                        ids.append(entry_id)
                    handled += len(ids)
                    await client.xack(stream, group, *ids)

        began, cpu = time.perf_counter(), time.process_time()
        consumer = asyncio.create_task(consume())
        await asyncio.gather(*(post(i) for i in range(args.updates)))
        await asyncio.wait_for(consumer, 300)
        wall, cpu = time.perf_counter() - began, time.process_time() - cpu
        await client.aclose()
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(folder, ignore_errors=True)
    return stats(latencies, wall, args.updates, cpu)


async def median(runs: int, measure) -> dict:
    """Each figure's median over ``runs`` runs (the machine is shared: single runs vary by 3x)."""
    results = [await measure() for _ in range(runs)]
    return {k: float(np.median([r[k] for r in results])) for k in results[0]}


async def main(args) -> dict:
    snapshots = ["--save", "3600 1", "--appendonly", "no"]
    always = ["--appendonly", "yes", "--appendfsync", "always"]
    return {
        "updates": args.updates,
        "concurrency": args.concurrency,
        "runs": args.runs,
        "postgresql_table": await median(args.runs, lambda: bench_postgres(args)),
        "redis_stream_snapshots_only": await median(args.runs, lambda: bench_redis(args, snapshots)),
        "redis_stream_appendfsync_always": await median(args.runs, lambda: bench_redis(args, always)),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3, help="runs of each; the median of each figure is printed")
    print(json.dumps(asyncio.run(main(parser.parse_args())), ensure_ascii=False))
