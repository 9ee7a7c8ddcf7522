"""What several bot processes must share, beyond the database: rate-limit counters and per-member locks.

With ``HOIDAP_REDIS_URL`` set they live in Redis — moving windows of the ``limits`` library and
redis-py locks — so a member's question limit, Telegram's bot-wide send budget (30 messages/s for
the whole bot, 20/min per group) and one member's update order hold across every process behind the
webhook. Unset, they live in this process's memory, which is right for a single process (``make run``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Hashable

from limits import RateLimitItem
from limits.aio.storage import MemoryStorage as AsyncMemoryStorage
from limits.aio.storage import RedisStorage as AsyncRedisStorage
from limits.aio.strategies import MovingWindowRateLimiter as AsyncMovingWindow
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import MovingWindowRateLimiter

from bot import outages
from bot.settings import Settings

log = logging.getLogger(__name__)


class Shared:
    """Factory of the shared counters and locks of one process (one per :class:`~bot.service.Assistant`)."""

    def __init__(self, url: str | None = None, prefix: str = "hoidap") -> None:
        self.url = url  # None: this process's memory
        self.prefix = prefix
        self._sync: MovingWindowRateLimiter | None = None
        self._async: AsyncMovingWindow | None = None
        self._redis = None  # redis.asyncio client for locks, made on first use in the running loop

    @staticmethod
    def _unavailable(what: str, error: BaseException) -> None:
        """Redis could not be used for ``what`` (no key named: keys hold member ids): counted every
        time, logged at most once a minute (:mod:`bot.outages`) — with Redis down every request fails."""
        outages.failure("redis", what, error)

    def _available(self) -> None:
        if self.url:  # a call that worked on Redis (this process's memory says nothing about Redis)
            outages.recovered("redis")

    @classmethod
    def from_settings(cls, settings: Settings) -> Shared:
        return cls(settings.redis_url.get_secret_value() if settings.redis_url else None, settings.redis_prefix)

    @property
    def distributed(self) -> bool:
        return self.url is not None

    def limiter(self) -> MovingWindowRateLimiter:
        """Moving-window limiter for code running in threads (the conversation core)."""
        if self._sync is None:
            storage = RedisStorage(self.url, key_prefix=self.prefix) if self.url else MemoryStorage()
            self._sync = MovingWindowRateLimiter(storage)
        return self._sync

    def async_limiter(self) -> AsyncMovingWindow:
        """The same, for coroutines (the Telegram send budget, the web limiter)."""
        if self._async is None:
            if self.url:
                storage = AsyncRedisStorage("async+" + self.url, implementation="redispy", key_prefix=self.prefix)
            else:
                storage = AsyncMemoryStorage()
            self._async = AsyncMovingWindow(storage)
        return self._async

    async def wait_for(self, item: RateLimitItem, *key: str) -> float:
        """Take one permit of ``item`` for ``key``, waiting until the window has room; returns the wait.
        Redis out of reach: no wait (a message sent beyond the budget may meet a 429, which is retried;
        a message not sent is lost)."""
        limiter = self.async_limiter()
        began = time.monotonic()
        try:
            while not await limiter.hit(item, *key):
                stats = await limiter.get_window_stats(item, *key)
                await asyncio.sleep(min(max(stats.reset_time - time.time(), 0.01), 1.0))
        except Exception as e:
            self._unavailable("messages sent without the shared budget", e)
        else:
            self._available()
        return time.monotonic() - began

    async def remaining(self, item: RateLimitItem, *key: str) -> int:
        """Permits of ``item`` left for ``key`` now, none taken. Redis out of reach: the whole window."""
        try:
            stats = await self.async_limiter().get_window_stats(item, *key)
        except Exception as e:
            self._unavailable("send budget not measured", e)
            return item.amount
        self._available()
        return stats.remaining

    def allow(self, item: RateLimitItem, *key: str) -> bool:
        """One hit of ``item`` for ``key`` (from a thread). Redis out of reach: allowed — a member is
        not refused an answer because the counter cannot be read."""
        try:
            allowed = self.limiter().hit(item, *key)
        except Exception as e:
            self._unavailable("limits not counted", e)
            return True
        self._available()
        return allowed

    async def allow_async(self, item: RateLimitItem, *key: str) -> bool:
        """:meth:`allow` for coroutines."""
        try:
            allowed = await self.async_limiter().hit(item, *key)
        except Exception as e:
            self._unavailable("limits not counted", e)
            return True
        self._available()
        return allowed

    def ping(self) -> str:
        """ "ok", "unavailable" (the bot works on, degraded: limits and order per process) or "off"."""
        if not self.url:
            return "off"
        import redis

        try:
            client = redis.Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=1)
            try:
                client.ping()
            finally:
                client.close()
        except Exception as e:
            self._unavailable("readiness check failed", e)
            return "unavailable"
        self._available()
        return "ok"

    def _client(self):
        import redis.asyncio as aioredis

        if self._redis is None:
            self._redis = aioredis.from_url(self.url)
        return self._redis

    async def seen_before(self, key: str, ttl: float) -> bool | None:
        """Redis: whether ``key`` was marked within ``ttl`` seconds (it is marked now); None without Redis."""
        if not self.url:
            return None
        try:
            fresh = await self._client().set(f"{self.prefix}:seen:{key}", 1, nx=True, ex=int(ttl))
        except Exception as e:
            self._unavailable("updates handled without the duplicate check", e)
            return False
        self._available()
        return not fresh

    @contextlib.asynccontextmanager
    async def lock(self, key: str, timeout: float = 120.0) -> AsyncIterator[None]:
        """A lock on ``key`` held across processes (Redis) — released after ``timeout`` if we die."""
        if not self.url:
            yield
            return
        lock = self._client().lock(f"{self.prefix}:lock:{key}", timeout=timeout, sleep=0.01, blocking_timeout=timeout)
        try:
            acquired = await lock.acquire(token=uuid.uuid4().hex)
        except Exception as e:  # Redis out of reach: this process's order still holds
            self._unavailable("updates handled without the shared lock", e)
            acquired = False
        try:
            yield
        finally:
            if acquired:
                with contextlib.suppress(Exception):  # expired while we worked: nothing to release
                    await lock.release()


class Seen:
    """Updates already handled, so that one posted again is handled once: Telegram and Zalo post an
    update again when the webhook's answer came late — with several processes, maybe to another one
    (then Redis remembers). If Redis cannot be reached the update counts as new: answering twice beats
    not answering. Without Redis, this channel's memory."""

    def __init__(self, shared: Shared | None = None, ttl: float = 3600.0, remember: int = 10_000) -> None:
        self.shared, self.ttl, self.remember = shared, ttl, remember
        self._seen: OrderedDict[str, float] = OrderedDict()

    async def first_time(self, key: str) -> bool:
        if self.shared is not None:
            before = await self.shared.seen_before(key, self.ttl)
            if before is not None:
                return not before
        now = time.monotonic()
        seen = self._seen
        while seen and (len(seen) > self.remember or now - next(iter(seen.values())) > self.ttl):
            seen.popitem(last=False)
        if key in seen:
            return False
        seen[key] = now
        return True


class KeyedLocks:
    """One member's updates one after another, members in parallel: an asyncio lock per key in this
    process (FIFO, so arrival order is kept here), then — with Redis — the same key's lock across
    processes, so an update delivered to another process waits for the one being handled here."""

    def __init__(self, shared: Shared | None = None) -> None:
        self.shared = shared
        self._locks: dict[Hashable, asyncio.Lock] = {}
        self._users: dict[Hashable, int] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                if self.shared is not None and self.shared.distributed:
                    async with self.shared.lock(f"member:{key}"):
                        yield
                else:
                    yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key]
                self._locks.pop(key, None)

    def __len__(self) -> int:
        return len(self._locks)


class Recent:
    """Small JSON values kept for a few minutes per key — what a member's last answer was about, so a
    follow-up ("ý 5 là gì?") is read with it whichever process handles it. In Redis (SET with EX) when
    configured, else this process's memory. Redis out of reach: nothing is remembered (a follow-up is
    then answered as a question of its own) — never an error for the member."""

    def __init__(self, shared: Shared | None = None, ttl: float = 300.0, remember: int = 50_000) -> None:
        self.shared, self.ttl, self.remember = shared, ttl, remember
        self._memory: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._client = None

    def _redis(self):
        import redis

        if self._client is None:
            self._client = redis.Redis.from_url(self.shared.url, socket_timeout=1.0, socket_connect_timeout=1.0)
        return self._client

    def put(self, key: str, value: dict) -> None:
        import json

        data = json.dumps(value, ensure_ascii=False)
        if self.shared is not None and self.shared.distributed:
            try:
                self._redis().set(f"{self.shared.prefix}:recent:{key}", data, ex=max(int(self.ttl), 1))
            except Exception as e:
                outages.failure("redis", "follow-up context not remembered", e)
            else:
                outages.recovered("redis")
            return
        memory = self._memory
        memory[key] = (time.monotonic(), data)
        memory.move_to_end(key)
        while len(memory) > self.remember:
            memory.popitem(last=False)

    def get(self, key: str) -> dict | None:
        import json

        if self.shared is not None and self.shared.distributed:
            try:
                data = self._redis().get(f"{self.shared.prefix}:recent:{key}")
            except Exception as e:
                outages.failure("redis", "follow-up context not recalled", e)
                return None
            outages.recovered("redis")
            return json.loads(data) if data else None
        held = self._memory.get(key)
        if held is None or time.monotonic() - held[0] > self.ttl:
            return None
        return json.loads(held[1])

    def forget(self, key: str) -> None:
        if self.shared is not None and self.shared.distributed:
            with contextlib.suppress(Exception):
                self._redis().delete(f"{self.shared.prefix}:recent:{key}")
            return
        self._memory.pop(key, None)
