#!/usr/bin/env python3
"""Load test: the web chat of `hoidap serve` over HTTP on 127.0.0.1, 500 questions from 50 visitors.

Each visitor opens the page (a session cookie and a CSRF token), then asks its questions one after
another, all visitors at once; latency is measured from sending ``POST /ask`` to the end of the HTML
answer. Prints one JSON line:
``{"sent": 500, "answered": …, "errors": …, "p50_ms": …, "p95_ms": …, "wall_s": …, "per_s": …}``.

Usage: python scripts/load_web.py [--users 50] [--per-user 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import re
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scripts.load_telegram import ErrorCounter, question_pool  # noqa: E402

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


async def main(users: int, per_user: int) -> dict:
    from bot.channels.runner import Runner
    from bot.settings import get_settings

    errors = ErrorCounter()
    logging.getLogger().addHandler(errors)
    logging.getLogger().setLevel(logging.WARNING)
    tmp = Path(tempfile.mkdtemp(prefix="hoidap-load-web-"))
    settings = get_settings().model_copy(
        update={
            "telegram_token": None,
            "zalo_token": None,
            "database_url": f"sqlite:///{tmp / 'load.db'}",
            "data_dir": tmp,
            "questions_per_minute": max(10, per_user),
            "web_requests_per_minute": users * per_user + 100,  # every visitor is 127.0.0.1 here
        }
    )
    runner = Runner(settings, http=("127.0.0.1", 0))
    await runner.start()
    url = f"http://127.0.0.1:{runner.port}"
    pool = question_pool()
    rng = random.Random(0)
    latencies: list[float] = []
    answered = failed = 0

    async def visitor() -> None:
        nonlocal answered, failed
        async with httpx.AsyncClient(base_url=url, timeout=120) as client:
            csrf = CSRF.search((await client.get("/")).text).group(1)
            for _ in range(per_user):
                started = time.perf_counter()
                response = await client.post(
                    "/ask", data={"q": rng.choice(pool), "csrf": csrf}, headers={"X-Requested-With": "fetch"}
                )
                if response.status_code != 200 or "msg bot" not in response.text:
                    failed += 1
                    continue
                latencies.append((time.perf_counter() - started) * 1000)
                answered += 1

    began = time.perf_counter()
    await asyncio.gather(*(visitor() for _ in range(users)))
    wall = time.perf_counter() - began
    await runner.stop()
    return {
        "sent": users * per_user,
        "answered": answered,
        "errors": errors.count + failed,
        "p50_ms": round(float(np.percentile(latencies, 50)), 1) if latencies else None,
        "p95_ms": round(float(np.percentile(latencies, 95)), 1) if latencies else None,
        "wall_s": round(wall, 1),
        "per_s": round(answered / wall, 1) if wall else None,
        "users": users,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--per-user", type=int, default=10)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.users, args.per_user)), ensure_ascii=False))
