#!/usr/bin/env python3
"""Load test of the 7:00 burst: N `hoidap serve` processes (webhook mode, one PostgreSQL, one Redis)
against the fake Bot API, which spreads updates over them in turn like a load balancer.

What happens, as at 7:00 in a province: ``--groups`` unit groups are due for the daily quiz the
same minute; once the quizzes are out, ``--answers`` members per group answer them (one in ten of
those updates delivered twice, to another process, as Telegram redelivers a late webhook) while
``--users`` members ask ``--per-user`` questions each, one after another. Question latency is the
time from the update's POST to the bot's ``sendMessage`` in that chat.

Telegram's send budget (30 messages/s for the whole bot) is left out by default so that the figure
is the bot's own throughput (``--send-budget 30`` puts it back: then it is the floor of latency).
Unless ``--no-baseline``, the same burst is run on 1 process first and printed beside it.

``--separate-hosts``: each process has its own knowledge, index and data folders, as on hosts of
their own — they share only PostgreSQL and Redis, and start with empty folders (the seed version is
in the database). ``--kill-during-burst``: once one process holds questions it accepted (200) and
has not answered yet, it gets SIGKILL, and is started again a second later; nothing it accepted may
be lost. After the burst an admin uploads a document through process 0 and confirms it; then each
process is asked about it until it answers from it (``upload_seen_by``).

Webhook posts whose connection fails or that get a 5xx are posted again (to the next process), as
Telegram and nginx do: a busy machine resets connections, and a killed process refuses them.

Prints one JSON object: sent, accepted (questions answered 200), answered, lost, errors, killed,
p50_ms, p95_ms, questions_per_s, quizzes_expected, quizzes_delivered, quizzes_twice,
answers_expected, answers_scored, answers_scored_twice, upload_seen_by, processes, and
``one_process`` with the same keys for the baseline.

Usage: python scripts/load_telegram.py --processes 3 [--separate-hosts] [--kill-during-burst] [--no-baseline]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def question_pool() -> list[str]:
    from bot.text.normalize import fold

    rows = []
    for name in ("calibration.jsonl", "holdout.jsonl", "calibration-chat.jsonl"):
        rows += [
            json.loads(line)["q"] for line in (REPO / "eval" / name).read_text(encoding="utf-8").splitlines() if line
        ]
    pool = rows + [fold(q) for q in rows]  # members often type without diacritics
    return [q for q in pool if q.strip()]


def cpu_seconds() -> dict[tuple[int, int | None, str], float]:
    """CPU seconds used so far on this machine (/proc): per process, key (pid, None, name), and per
    thread, key (pid, tid, name)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for stat in [*Path("/proc").glob("[0-9]*/stat"), *Path("/proc").glob("[0-9]*/task/[0-9]*/stat")]:
        try:
            text = stat.read_text()
        except OSError:
            continue  # ended meanwhile
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        thread = stat.parent.parent.name == "task"
        pid = int(stat.parent.parent.parent.name if thread else stat.parent.name)
        out[(pid, int(stat.parent.name) if thread else None, name)] = (int(fields[11]) + int(fields[12])) / tick
    return out


def cpu_used(before: dict, after: dict, bots: set[int]) -> dict[str, float]:
    """CPU seconds between two readings: the bot processes, this driver (fake Bot API and members),
    PostgreSQL, Redis, everything else on the (shared) machine."""
    groups = {"bot": 0.0, "driver": 0.0, "postgres": 0.0, "redis": 0.0, "other": 0.0}
    for key, value in after.items():
        pid, tid, name = key
        if tid is not None:
            continue  # a thread: counted in its process
        group = (
            "bot" if pid in bots
            else "driver" if pid == os.getpid()
            else "postgres" if name.startswith("postgres")
            else "redis" if name.startswith("redis")
            else "other"
        )  # fmt: skip
        groups[group] += value - before.get(key, 0.0)
    return {k: round(v, 1) for k, v in groups.items()}


def bot_threads(before: dict, after: dict, bots: set[int]) -> dict[str, float]:
    """CPU seconds of the bot processes' event loops (HTTP, webhook parsing, PTB, rendering) and of
    their other threads (answers run in asyncio.to_thread workers; ONNX runtime's threads; the log
    writer) — Python 3.11 does not name OS threads, so these cannot be told apart here."""
    kinds = {"event loop": 0.0, "worker threads": 0.0}
    for key, value in after.items():
        pid, tid, _ = key
        if tid is not None and pid in bots:
            kinds["event loop" if tid == pid else "worker threads"] += value - before.get(key, 0.0)
    return {k: round(v, 1) for k, v in kinds.items()}


# What a sampled stack of a bot process was doing, first match wins (frames are "function (file:line)").
PROFILE_KINDS = [
    ("embedding the question (onnxruntime)", ("onnx_backend",)),
    ("search and decision", ("bot/answer/", "bot/ann/", "bot/index/", "bot/text/", "bot/learning/")),
    ("database (SQLAlchemy/psycopg)", ("sqlalchemy", "psycopg")),
    ("sending to Telegram (httpx)", ("httpx", "httpcore")),
    ("update handling (PTB, conversation core, rendering)", ("telegram/", "bot/conversation/", "bot/channels/")),
    ("HTTP server (uvicorn, Starlette)", ("uvicorn", "starlette", "h11")),
]


def start_profilers(pids: list[int], folder: Path) -> list:
    """py-spy sampling every bot process (all threads, active samples only) until stopped."""
    import shutil
    import subprocess

    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    return [
        (
            subprocess.Popen(
                [
                    spy,
                    "record",
                    "--pid",
                    str(pid),
                    "--format",
                    "raw",
                    "--rate",
                    "200",
                    "--nonblocking",
                    "--output",
                    str(folder / f"profile-{pid}.txt"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            ),
            folder / f"profile-{pid}.txt",
        )
        for pid in pids
    ]


def stop_profilers(profilers: list) -> dict[str, float]:
    """Share of the bot processes' busy samples by what they were doing."""
    import signal

    for proc, _ in profilers:
        proc.send_signal(signal.SIGINT)  # py-spy writes its file on Ctrl-C
    counts: dict[str, int] = {}
    for proc, path in profilers:
        proc.wait(60)
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if path.exists() else []:
            stack, _, n = line.rpartition(" ")
            kind = next((k for k, marks in PROFILE_KINDS if any(m in stack for m in marks)), "other Python")
            counts[kind] = counts.get(kind, 0) + int(n)
    total = sum(counts.values()) or 1
    return {k: round(v / total, 3) for k, v in sorted(counts.items(), key=lambda kv: -kv[1])}


def seed_index(root: Path) -> Path:
    """The repository's built index (``make``), else one built here from the seed document."""
    if (REPO / "index" / "ACTIVE").exists():
        return REPO / "index"
    from bot.index.builder import build_index
    from bot.service import Assistant
    from bot.settings import Settings

    settings = Settings(
        _env_file=None, knowledge_dir=REPO / "knowledge", index_dir=root / "seed-index", data_dir=root / "seed-data"
    )
    core = Assistant(settings)
    build_index(settings, core.embedder, core.segmenter)
    return settings.index_dir


async def burst(processes: int, args, index: Path, pool: list[str]) -> dict:
    """The burst on ``processes`` processes, with its own fake Bot API and its own database."""
    from tests.cluster import fresh_database
    from tests.fakes.telegram_api import FakeTelegram

    fake = FakeTelegram()
    # Without --send-budget the figure is the bot's own throughput: the fake does not hold it to
    # Telegram's 30 a second either (with it, both do).
    fake.enforce_limits = bool(args.send_budget)
    await fake.start()
    try:
        with fresh_database() as db_url:
            return await burst_on(fake, db_url, processes, args, index, pool)
    finally:
        await fake.stop()


async def burst_on(fake, db_url: str, processes: int, args, index: Path, pool: list[str]) -> dict:
    from tests.cluster import Cluster, polls_to, until

    root = Path(tempfile.mkdtemp(prefix=f"hoidap-load-{processes}-"))
    cluster = Cluster(
        root,
        fake,
        db_url,
        index,
        processes,
        separate=args.separate_hosts,
        questions_per_minute=10_000,
        telegram_messages_per_second=args.send_budget,
        torch_threads=1,
        intake_lease_seconds=args.lease,
    )
    cluster.start()
    try:
        await cluster.ready()
        ready_at_start = [cluster.ready_after[i] for i in range(processes)]
        rng = random.Random(0)
        local = dt.datetime.now(ZoneInfo(cluster.timezone))

        # The quiz lands: every group due this minute.
        groups = [fake.group_chat(-1003000000 - i, f"Chi bộ {i}") for i in range(args.groups)]
        cluster.subscribe(groups, local.replace(second=0, microsecond=0))
        with contextlib.suppress(AssertionError):  # a shortfall shows as quizzes_delivered < expected
            await until(lambda: len(polls_to(fake, groups)) == len(groups), 180, "the quizzes")
        await asyncio.sleep(2)
        sent_polls = polls_to(fake, groups)

        # Members answer it, and ask questions, at the same time.
        answers = []
        for i, chat in enumerate(groups):
            if chat["id"] not in sent_polls:
                continue
            poll = sent_polls[chat["id"]][0].result["poll"]
            for j in range(args.answers):
                member = fake.user(600_000 + i * 100 + j, f"Đảng viên {i}.{j}")
                answers.append(fake.poll_answer_update(poll["id"], member, [rng.randrange(len(poll["options"]))]))
        latencies: list[float] = []
        error_replies = 0
        accepted = 0
        waiting: dict[int, asyncio.Future] = {}  # chat id -> the reply it waits for
        unanswered: dict[int, int] = {}  # update id of a question accepted (200) -> the process holding it

        def on_call(call) -> None:
            if call.method == "sendMessage":
                future = waiting.pop(int(call.params["chat_id"]), None)
                if future is not None and not future.done():
                    future.set_result(call)

        fake.listeners.append(on_call)  # cheaper than fake.wait_for's scans when hundreds wait

        async def member(i: int) -> None:
            nonlocal error_replies
            user = fake.user(500_000 + i, f"Thành viên {i}")
            chat = fake.private_chat(user)
            nonlocal accepted
            for _ in range(args.per_user):
                reply = waiting[chat["id"]] = asyncio.get_running_loop().create_future()
                started = time.perf_counter()
                update = fake.text_update(chat, user, rng.choice(pool))
                status = await fake.deliver(update, patience=120)
                if status == 200:
                    accepted += 1
                    unanswered[update["update_id"]] = fake.accepted.get(update["update_id"], -1)
                try:
                    call = await asyncio.wait_for(reply, 120)
                except TimeoutError:
                    waiting.pop(chat["id"], None)
                    continue
                finally:
                    unanswered.pop(update["update_id"], None)
                latencies.append((time.perf_counter() - started) * 1000)
                if "đã có lỗi" in call.params["text"]:
                    error_replies += 1

        async def answer_all() -> None:
            twice = answers[::10]
            sem = asyncio.Semaphore(50)

            async def one(update):
                async with sem:
                    await fake.deliver(update)

            await asyncio.gather(*(one(u) for u in answers + twice))

        kills: list[dict] = []

        async def kill_one(victim: int) -> None:
            """SIGKILL ``victim`` while it holds accepted, unanswered questions; start it again."""
            while sum(1 for holder in unanswered.values() if holder == victim) < min(5, args.users):
                await asyncio.sleep(0.02)
            holding = sum(1 for holder in unanswered.values() if holder == victim)
            cluster.kill(victim)
            kills.append({"process": victim, "holding_accepted_questions": holding})
            await asyncio.sleep(1)
            cluster.restart(victim)
            await cluster.ready(only=[victim])

        profilers = start_profilers([p.pid for p in cluster.procs], root) if args.profile else []
        bots = {p.pid for p in cluster.procs}
        cpu_before = cpu_seconds()
        began = time.perf_counter()
        answering = asyncio.create_task(answer_all())
        killer = asyncio.create_task(kill_one(processes // 2)) if args.kill_during_burst else None
        await asyncio.gather(*(member(i) for i in range(args.users)))
        wall = time.perf_counter() - began
        cpu_after = cpu_seconds()
        if killer is not None:
            if not killer.done():
                killer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await killer
            bots |= {p.pid for p in cluster.procs}
        cpu, threads = cpu_used(cpu_before, cpu_after, bots), bot_threads(cpu_before, cpu_after, bots)
        profile = stop_profilers(profilers) if profilers else None
        await answering
        with contextlib.suppress(AssertionError):  # a shortfall shows as answers_scored < expected
            await until(lambda: len(cluster.answers()) >= len(answers), 120, "answers scored")
        await asyncio.sleep(2)
        scored = cluster.answers()
        seen_by = await upload_everywhere(cluster, fake) if args.upload else None
        log_errors = sum(cluster.log_errors(i) for i in range(processes))
        sent = args.users * args.per_user
        return {
            "processes": processes,
            "separate_hosts": args.separate_hosts,
            "sent": sent,
            "accepted": accepted,
            "answered": len(latencies),
            "lost": sent - len(latencies),
            "errors": log_errors + error_replies,
            "killed": len(kills),
            **(
                {"kills": [{**k, "ready_again_s": cluster.ready_after.get(k["process"])} for k in kills]}
                if kills
                else {}
            ),
            # From start to /readyz, each process (with --separate-hosts: empty folders, all from the database).
            "ready_after_start_s": ready_at_start,
            "webhook_posts_retried": fake.redelivered,
            "p50_ms": round(float(np.percentile(latencies, 50)), 1) if latencies else None,
            "p95_ms": round(float(np.percentile(latencies, 95)), 1) if latencies else None,
            "questions_per_s": round(len(latencies) / wall, 1),
            "wall_s": round(wall, 1),
            "quizzes_expected": len(groups),
            "quizzes_delivered": len(sent_polls),
            "quizzes_twice": sum(len(c) - 1 for c in sent_polls.values()),
            "answers_expected": len(answers),
            "answers_scored": len(set(scored)),
            "answers_scored_twice": len(scored) - len(set(scored)),
            **({"upload_seen_by": seen_by} if seen_by is not None else {}),
            "send_budget_per_s": args.send_budget or None,
            # Where the cores went during the burst (2 cores × wall_s is all there is).
            "cpu_s": cpu,
            "cores_busy": round(sum(cpu.values()) / wall, 2),
            "bot_cpu_ms_per_question": round(cpu["bot"] * 1000 / max(len(latencies), 1), 1),
            "bot_threads_cpu_s": threads,
            **({"bot_profile": profile} if profile else {}),
        }
    finally:
        cluster.stop()


async def upload_everywhere(cluster, fake, within: float = 60.0) -> int:
    """An admin sends a .docx to process 0 and confirms it there; then each process is asked about it
    until it answers from it. Returns how many processes did within ``within`` seconds of the build."""
    from tests.cluster import until
    from tests.test_admin_telegram import KH77, as_docx

    admin = fake.user(cluster.admin, "Quản trị")
    chat = fake.private_chat(admin)
    before = len(fake.calls)
    await fake.deliver(fake.document_update(chat, admin, "kế hoạch 77.docx", as_docx(KH77)), to=0)
    preview = await fake.wait_for("sendMessage", lambda c: int(c.params["chat_id"]) == admin["id"], after=before)
    button = next(
        b for row in preview.params["reply_markup"]["inline_keyboard"] for b in row if "Cập nhật" in b["text"]
    )
    before = len(fake.calls)
    await fake.deliver(fake.callback_update(preview.result, admin, button["callback_data"]), to=0)
    await fake.wait_for(
        "editMessageText", lambda c: "Đã cập nhật chỉ mục" in c.params["text"], after=before, timeout=300
    )
    built = time.monotonic()
    seen = 0
    for i in range(len(cluster.ports)):
        member = fake.user(990000 + i, "Thành viên")
        while time.monotonic() - built < within:
            before = len(fake.calls)
            await fake.deliver(
                fake.text_update(fake.private_chat(member), member, "Khi có cảnh báo bão, cấp ủy phải làm gì?"), to=i
            )
            reply = None
            with contextlib.suppress(AssertionError):
                reply = await until(lambda m=member, b=before: _reply_after(fake, m, b), 30, "a reply")
            if reply is not None and "77-KH/TU" in reply.params["text"]:
                seen += 1
                break
            await asyncio.sleep(0.5)
    return seen


def _reply_after(fake, member: dict, before: int):
    return next(
        (c for c in fake.calls[before:] if c.method == "sendMessage" and int(c.params["chat_id"]) == member["id"]),
        None,
    )


async def main(args) -> dict:
    pool = question_pool()
    with tempfile.TemporaryDirectory() as tmp:
        index = seed_index(Path(tmp))
        result = await burst(args.processes, args, index, pool)
        if args.processes != 1 and not args.no_baseline:
            result["one_process"] = await burst(1, args, index, pool)
            base = result["one_process"]["questions_per_s"]
            result["speedup"] = round(result["questions_per_s"] / base, 2) if base else None
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--per-user", type=int, default=5)
    parser.add_argument("--groups", type=int, default=100)
    parser.add_argument("--answers", type=int, default=5, help="members answering the quiz in each group")
    parser.add_argument("--send-budget", type=int, default=0, help="messages/s for the whole bot (0: none)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the 1-process run")
    parser.add_argument(
        "--separate-hosts", action="store_true", help="own folders per process: only PostgreSQL and Redis shared"
    )
    parser.add_argument(
        "--kill-during-burst", action="store_true", help="SIGKILL a process holding accepted updates, restart it"
    )
    parser.add_argument("--no-upload", dest="upload", action="store_false", help="skip the upload seen by all")
    parser.add_argument("--lease", type=float, default=5, help="HOIDAP_INTAKE_LEASE_SECONDS of the processes")
    parser.add_argument("--profile", action="store_true", help="sample the bot processes with py-spy")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args)), ensure_ascii=False))
