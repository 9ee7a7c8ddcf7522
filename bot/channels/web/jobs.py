"""Long dashboard work (rebuilds after an upload, a removal, a reindex) in a worker thread, with its
progress readable by the page that started it."""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
from dataclasses import dataclass, field

from bot.channels.web.render import View, views
from bot.conversation.replies import Work
from bot.progress import CallbackProgress

log = logging.getLogger(__name__)
KEEP = 50  # finished jobs remembered


@dataclass
class Job:
    id: str
    owner: str  # "channel:user_id" of who started it: only they see it
    title: str
    stage: str = ""
    done: int = 0
    total: int = 0
    finished: bool = False
    results: list[View] = field(default_factory=list)
    failed: bool = False

    def progress(self, stage: str, done: int, total: int) -> None:
        self.stage, self.done, self.total = stage, done, total

    def as_json(self) -> dict:
        return {
            "title": self.title,
            "stage": self.stage,
            "done": self.done,
            "total": self.total,
            "finished": self.finished,
            "failed": self.failed,
            "results": [r.body or r.title or "" for r in self.results],
        }


class Jobs:
    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._tasks: set[asyncio.Task] = set()
        self._lock = threading.Lock()

    def start(self, owner: str, work: Work) -> Job:
        job = Job(secrets.token_urlsafe(9), owner, work.title)
        with self._lock:
            self._jobs[job.id] = job
            finished = [j for j in self._jobs.values() if j.finished]
            for old in finished[: max(0, len(finished) - KEEP)]:
                del self._jobs[old.id]
        task = asyncio.ensure_future(self._run(job, work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    async def _run(self, job: Job, work: Work) -> None:
        try:
            job.results = views(await asyncio.to_thread(work.run, CallbackProgress(job.progress)))
        except Exception:  # Work turns anticipated failures into replies; this is a bug: log it
            log.exception("dashboard job %s failed", job.title)
            job.failed = True
        job.finished = True

    def get(self, job_id: str, owner: str) -> Job | None:
        job = self._jobs.get(job_id)
        return job if job is not None and job.owner == owner else None

    async def wait(self) -> None:
        """Let running jobs finish (shutdown): a build is never cut off half-way."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
