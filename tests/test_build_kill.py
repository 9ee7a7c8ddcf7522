"""A build killed at any moment leaves the previous version active, loadable and answering."""

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time

from bot.index.builder import build_index
from bot.index.store import IndexStore
from bot.service import Assistant
from tests.conftest import DATA, REPO

# Loads the model first (reported on stdout), then builds: kills land inside the build itself.
BUILDER = """
import json, sys
from pathlib import Path
from bot.settings import Settings
from bot.service import Assistant
settings = Settings(**json.loads(sys.argv[1]))
core = Assistant(settings)
core.embedder.ensure_loaded()
core.segmenter.words("khởi động")
print("READY", flush=True)
core.library.build()
print("DONE", flush=True)
"""


def spawn_build(settings):
    values = {
        "knowledge_dir": str(settings.knowledge_dir),
        "index_dir": str(settings.index_dir),
        "data_dir": str(settings.data_dir),
        "database_url": settings.database_url,
        "model": settings.model,
        "index_keep_versions": settings.index_keep_versions,
    }
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen(
        [sys.executable, "-c", BUILDER, json.dumps(values)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=REPO,
    )
    assert proc.stdout.readline().strip() == "READY"
    return proc


def test_killing_builds_at_random_points_never_breaks_the_active_index(cold_settings, embedder, segmenter):
    settings = cold_settings.model_copy(update={"index_keep_versions": 50})
    first = build_index(settings, embedder, segmenter).version
    store = IndexStore(settings.index_dir)
    # New material makes the next builds do real work: parsing, embedding, indexing, switching.
    shutil.copy(DATA / "docs" / "quy-dinh-99-kiem-thu.txt", settings.knowledge_dir / "99-qd-tu.txt")
    shutil.copy(DATA / "docs" / "ke-hoach-77-kiem-thu.md", settings.knowledge_dir / "77-kh-tu.md")

    # How long a full build takes once the model is loaded, to spread the kills over it.
    cache = settings.index_dir / "cache" / "embeddings.sqlite"
    cache_backup = cache.read_bytes()
    started = time.monotonic()
    proc = spawn_build(settings)
    assert proc.stdout.readline().strip() == "DONE" and proc.wait() == 0
    duration = time.monotonic() - started
    complete = store.active_name()
    store.activate(first)  # back to the first version for the kill runs
    for extra in [v.name for v in store.versions() if v.name not in (first, complete)]:
        shutil.rmtree(store.versions_dir / extra)

    rng = random.Random(46)
    for run in range(4):
        cache.write_bytes(cache_backup)  # cold cache: embedding is part of every build
        before = store.active_name()
        proc = spawn_build(settings)
        time.sleep(rng.uniform(0.0, duration))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        active = store.active_name()
        assert active in {before} | {v.name for v in store.versions()}, f"run {run}: ACTIVE names no complete version"
        core = Assistant(settings, embedder=embedder)
        answer = core.ask("Tham mưu lòng vòng, không rõ người rõ việc")
        assert answer.found and (answer.source.question_number, answer.source.item) == (4, 5), f"run {run}"
        store.activate(first)

    # Leftovers of killed builds do not block the next build, which succeeds and is served.
    result = build_index(settings, embedder, segmenter)
    assert store.active_name() == result.version and not any(store.staging_dir.iterdir())
    core = Assistant(settings, embedder=embedder)
    assert core.ask("Sinh hoạt chi bộ trực tuyến cần bảo đảm điều kiện gì?").source.doc_number == "99-QĐ/TU"
