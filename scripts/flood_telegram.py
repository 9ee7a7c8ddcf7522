#!/usr/bin/env python3
"""A group flood against the real bot and the fake Bot API (which answers 429 past Telegram's limits:
30 calls a second, 20 messages a minute to a group).

``--members`` (50) members of one supergroup ask ``--per-member`` (10) questions each with ``/hoi``,
spread evenly over ``--spread`` (10) seconds; then another member asks one question in a private
chat. Measured from the first question:

- ``private_answer_s``: how long the private question waited for its answer;
- ``last_group_answer_s``: when the last group question was answered (or pointed to an earlier
  answer of the same question), and ``group_answered`` of ``group_questions``;
- ``group_messages``, ``merged_messages`` (several answers in one), ``pointers`` (answers given as a
  link to an earlier one), ``max_group_messages_per_60s``, ``max_calls_per_second``, ``throttled``
  (429s the fake had to answer: 0 means the bot kept within the limits);
- ``out_of_order``: members whose answers did not come in the order they asked.

Prints one JSON object. ``--redis`` keeps the limits, send budget and duplicate checks in Redis, as
one of several processes does. ``--webhook`` runs the bot as production does (``hoidap serve``'s
runner): the fake POSTs each update to the webhook, which stores it in the durable intake before its
200, and the intake hands it to the same per-chat outboxes — a member's next update only once the
answer before it was delivered. The flood test (tests/test_flood.py) runs the same scenario both ways.

Usage: python scripts/flood_telegram.py [--members 50] [--per-member 10] [--spread 10] [--redis] [--webhook]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import shutil
import sys
import tempfile
import time
from html import unescape
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

GROUP_ID = -1007700000001
FIRST_MEMBER = 7_700_000
PRIVATE_MEMBER = 7_799_999
PRIVATE_QUESTION = "khoán sản phẩm là gì"
_SECTION = re.compile(r'💬 (?:<a href="tg://user\?id=(\d+)">)?[^<]*(?:</a>)? hỏi: “<i>(.*?)</i>”')


def question_pool() -> list[str]:
    """Members' questions as members write them: the held-out chat set (in scope and not). Its thanks
    ("cảm ơn bot nha 👍") are left out: in a group they get silence by design, not an answer to count."""
    from bot.text.smalltalk import is_smalltalk

    rows = (REPO / "eval" / "holdout-chat.jsonl").read_text(encoding="utf-8").splitlines()
    questions = (json.loads(line)["q"].strip() for line in rows if line.strip())
    return [q for q in questions if q and len(q) < 300 and not is_smalltalk(q)]


async def flood(fake, members: int = 50, per_member: int = 10, spread: float = 10.0, seed: int = 0) -> dict:
    """Run the scenario against a bot already receiving ``fake``'s updates; the measurements, plus
    ``raw`` (what was asked, for tests that check more)."""
    rng = random.Random(seed)
    pool = question_pool()
    group = fake.group_chat(GROUP_ID, "Chi bộ Đông người")
    people = [fake.user(FIRST_MEMBER + i, f"Đảng viên {i + 1}") for i in range(members)]
    asked: dict[int, list[str]] = {p["id"]: rng.sample(pool, per_member) for p in people}
    order = [(k, p) for k in range(per_member) for p in people]  # round after round, as a group talks
    by_message: dict[int, tuple[int, int]] = {}  # message id of a question -> (member, its index)
    before = len(fake.calls)
    began = time.monotonic()
    for n, (k, person) in enumerate(order):
        await asyncio.sleep(max(0.0, began + spread * n / len(order) - time.monotonic()))
        update = fake.text_update(group, person, f"/hoi {asked[person['id']][k]}")
        by_message[update["message"]["message_id"]] = (person["id"], k)
        await fake.deliver(update)

    # The flood is in; someone else asks in private.
    other = fake.user(PRIVATE_MEMBER, "Người hỏi riêng")
    chat = fake.private_chat(other)
    sent_private = time.monotonic()
    await fake.send(chat, other, PRIVATE_QUESTION)
    private = await fake.wait_for("sendMessage", lambda c: int(c.params["chat_id"]) == chat["id"], after=before)
    expected = members * per_member
    deadline = time.monotonic() + 600
    while True:
        answered = _answered(fake, before, group["id"], asked, by_message)
        if len(answered) >= expected or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)

    calls = fake.calls[before:]
    to_group = [c for c in calls if _chat(c) == group["id"] and c.method in ("sendMessage", "sendPoll")]
    from tests.fakes.telegram_api import window_peak

    merged = [c for c in to_group if "💬 " in c.params.get("text", "")]
    out_of_order = [
        member
        for member in asked
        if (ks := [k for _, _, m, k in sorted(answered.values()) if m == member]) != sorted(ks)
    ]
    last = max((at for _, at, _, _ in answered.values()), default=began)
    return {
        "members": members,
        "per_member": per_member,
        "spread_s": spread,
        "group_questions": expected,
        "group_answered": len(answered),
        "private_answer_s": round(private.at - sent_private, 2),
        "private_answered_before_group_done": private.at < last,
        "last_group_answer_s": round(last - began, 1),
        "group_messages": len(to_group),
        "merged_messages": len(merged),
        "pointers": sum(c.params["text"].count("↪") for c in merged),
        "max_group_messages_per_60s": window_peak([c.at for c in to_group], 60.0),
        "max_calls_per_second": window_peak([c.at for c in calls if "chat_id" in c.params], 1.0),
        "throttled": len(fake.throttled),
        "out_of_order": len(out_of_order),
        "raw": {"asked": asked, "answered": answered, "began": began, "private_at": private.at},
    }


def _chat(call) -> int | None:
    try:
        return int(call.params.get("chat_id"))
    except (TypeError, ValueError):
        return None


def _answered(fake, before: int, group_id: int, asked: dict, by_message: dict) -> dict:
    """(member, question index) -> (order, when, member, index) of its answer, from what the bot
    posted in the group: a reply to the question's message, or a section of a merged message naming
    the member and the start of their question. ``order`` counts sections as members read them."""
    out: dict[tuple[int, int], tuple[int, float, int, int]] = {}
    seen = 0
    for call in fake.calls[before:]:
        if call.method != "sendMessage" or _chat(call) != group_id:
            continue
        text = call.params.get("text", "")
        if "💬 " not in text:
            replied = (call.params.get("reply_parameters") or {}).get("message_id")
            if replied in by_message and by_message[replied] not in out:
                member, k = by_message[replied]
                seen += 1
                out[(member, k)] = (seen, call.at, member, k)
            continue
        for user_id, snippet in _SECTION.findall(text):
            member, start = int(user_id), unescape(snippet).rstrip("…")
            for k, question in enumerate(asked.get(member, [])):
                if question.startswith(start) and (member, k) not in out:
                    seen += 1
                    out[(member, k)] = (seen, call.at, member, k)
                    break
    return out


async def main(args) -> dict:
    from pydantic import SecretStr

    from bot.channels.telegram.app import TelegramChannel
    from bot.service import Assistant
    from bot.settings import Settings
    from tests.fakes.telegram_api import FakeTelegram

    fake = FakeTelegram()
    await fake.start()
    root = Path(tempfile.mkdtemp(prefix="hoidap-flood-"))
    extra = {}
    if args.redis:
        from tests.cluster import REDIS_URL

        extra = {"redis_url": SecretStr(REDIS_URL), "redis_prefix": f"hoidap-flood-{root.name}"}
    if args.webhook:
        from tests.cluster import free_port

        port = free_port()
        extra |= {
            "telegram_mode": "webhook",
            "webhook_url": f"http://127.0.0.1:{port}/telegram/flood-hook",
            "webhook_secret": SecretStr("flood-secret"),
        }
    try:
        index = root / "index"
        if (REPO / "index" / "ACTIVE").exists():
            shutil.copytree(REPO / "index", index, ignore=shutil.ignore_patterns("staging"))
        (root / "knowledge").mkdir()
        shutil.copy(REPO / "knowledge" / "chi-thi-46-CT-TU-hoi-dap.txt", root / "knowledge")
        settings = Settings(
            _env_file=None,
            knowledge_dir=root / "knowledge",
            index_dir=index,
            data_dir=root / "data",
            database_url=f"sqlite:///{root / 'data' / 'flood.db'}",
            telegram_token=SecretStr(fake.token),
            telegram_base_url=fake.base_url,
            telegram_base_file_url=fake.base_file_url,
            zalo_token=None,
            **extra,
        )
        core = Assistant(settings)
        if not (index / "ACTIVE").exists():
            await asyncio.to_thread(core.library.build)
        await asyncio.to_thread(core.warm_up)
        if args.webhook:  # the durable intake in front, as `hoidap serve` runs it
            from bot.channels.runner import Runner

            runner = Runner(settings, core, http=("127.0.0.1", port))
            await runner.start()
            stop = runner.stop
        else:
            channel = TelegramChannel(settings, core)
            await channel.start()
            stop = channel.stop
        try:
            result = await flood(fake, args.members, args.per_member, args.spread, args.seed)
        finally:
            fake.release_polls()
            await stop()
            core.close()
        result.pop("raw")
        result["redis"] = bool(args.redis)
        result["webhook"] = bool(args.webhook)
        return result
    finally:
        await fake.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--per-member", type=int, default=10)
    parser.add_argument("--spread", type=float, default=10.0, help="seconds the group's questions are spread over")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--redis", action="store_true", help="limits and budgets in Redis (127.0.0.1:6379)")
    parser.add_argument("--webhook", action="store_true", help="webhook mode: updates through the durable intake")
    print(json.dumps(asyncio.run(main(parser.parse_args())), ensure_ascii=False))
