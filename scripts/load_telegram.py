#!/usr/bin/env python3
"""Load test: the real Telegram bot against the fake Bot API server, 500 questions from 100 users.

Each simulated user asks 5 questions one after another (the next as soon as the
previous is answered), all 100 users at once. Latency is measured from the
moment an update is queued on the fake server to the bot's ``sendMessage`` in
that chat. Prints one JSON line:
``{"sent": 500, "answered": …, "errors": …, "p50_ms": …, "p95_ms": …}``.

Usage: python scripts/load_telegram.py [--users 100] [--per-user 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


class ErrorCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def question_pool() -> list[str]:
    from bot.text.normalize import fold

    rows = []
    for name in ("calibration.jsonl", "holdout.jsonl"):
        rows += [
            json.loads(line)["q"] for line in (REPO / "eval" / name).read_text(encoding="utf-8").splitlines() if line
        ]
    pool = rows + [fold(q) for q in rows]  # members often type without diacritics
    return [q for q in pool if q.strip()]


async def main(users: int, per_user: int) -> dict:
    from pydantic import SecretStr

    from bot.channels.telegram import app as tg
    from bot.service import Assistant
    from bot.settings import get_settings
    from tests.fakes.telegram_api import FakeTelegram

    errors = ErrorCounter()
    logging.getLogger().addHandler(errors)
    logging.getLogger().setLevel(logging.WARNING)

    fake = FakeTelegram()
    await fake.start()
    tmp = Path(tempfile.mkdtemp(prefix="hoidap-load-"))
    settings = get_settings().model_copy(
        update={
            "telegram_token": SecretStr(fake.token),
            "telegram_base_url": fake.base_url,
            "telegram_base_file_url": fake.base_file_url,
            "database_url": f"sqlite:///{tmp / 'load.db'}",
            "questions_per_minute": max(10, per_user),
        }
    )
    core = Assistant(settings)
    await asyncio.to_thread(core.warm_up)
    channel = tg.build_app(settings, core)
    await channel.start()

    pool = question_pool()
    rng = random.Random(0)
    latencies: list[float] = []
    answered = 0
    error_replies = 0

    async def member(i: int) -> None:
        nonlocal answered, error_replies
        user = fake.user(500_000 + i, f"Thành viên {i}")
        chat = fake.private_chat(user)
        for _ in range(per_user):
            before = len(fake.calls)
            started = time.perf_counter()
            await fake.send(chat, user, rng.choice(pool))
            try:
                call = await fake.wait_for(
                    "sendMessage", lambda c: int(c.params["chat_id"]) == chat["id"], after=before, timeout=120
                )
            except AssertionError:
                continue
            latencies.append((time.perf_counter() - started) * 1000)
            answered += 1
            if "đã có lỗi" in call.params["text"]:
                error_replies += 1

    began = time.perf_counter()
    await asyncio.gather(*(member(i) for i in range(users)))
    wall = time.perf_counter() - began
    fake.release_polls()
    await channel.stop()
    core.close()
    await fake.stop()
    return {
        "sent": users * per_user,
        "answered": answered,
        "errors": errors.count + error_replies,
        "p50_ms": round(float(np.percentile(latencies, 50)), 1) if latencies else None,
        "p95_ms": round(float(np.percentile(latencies, 95)), 1) if latencies else None,
        "wall_s": round(wall, 1),
        "users": users,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--per-user", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.users, args.per_user)), ensure_ascii=False))
