"""Caches do not grow for ever: after a build, parsed documents and OCR'd pages of files that no kept
index version holds are dropped once unused for a month; those of kept versions stay (rollback and
rebuilds stay instant)."""

from __future__ import annotations

import os
import shutil
import time

from bot.documents.ocr import OcrCache, OcrConfig, OcrPage
from bot.documents.parser import file_sha256
from bot.index.builder import CACHE_UNUSED, build_index, parse_cache
from tests.conftest import DATA

QD99 = DATA / "docs" / "quy-dinh-99-kiem-thu.txt"


def _age(path, seconds: float) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_a_parse_of_a_file_no_version_holds_goes_after_a_month(settings, embedder, segmenter):
    settings = settings.model_copy(update={"index_keep_versions": 1})
    shutil.copy(QD99, settings.knowledge_dir / "99-qd-tu.txt")
    build_index(settings, embedder, segmenter)
    folder = parse_cache(settings).folder
    old = file_sha256(QD99.read_bytes())
    entries = {p.name[:64]: p for p in folder.glob("*.json")}
    assert old in entries
    for path in entries.values():
        _age(path, CACHE_UNUSED.total_seconds() + 3600)

    (settings.knowledge_dir / "99-qd-tu.txt").unlink()  # removed, and only one version is kept
    build_index(settings, embedder, segmenter)
    left = {p.name[:64] for p in folder.glob("*.json")}
    assert old not in left
    assert left, "the seed's parse, used by the version just built, stays"


def test_a_recent_parse_stays_whatever_holds_it(settings, embedder, segmenter):
    settings = settings.model_copy(update={"index_keep_versions": 1})
    shutil.copy(QD99, settings.knowledge_dir / "99-qd-tu.txt")
    build_index(settings, embedder, segmenter)
    (settings.knowledge_dir / "99-qd-tu.txt").unlink()
    build_index(settings, embedder, segmenter)
    left = {p.name[:64] for p in parse_cache(settings).folder.glob("*.json")}
    assert file_sha256(QD99.read_bytes()) in left  # unused for less than a month: an upload may come back


def test_ocr_pages_of_files_no_version_holds_go_after_a_month(settings):
    cache = OcrCache(OcrConfig.from_settings(settings).cache_path)
    page = OcrPage(1, [], 0.5)
    cache.put("kept-page", page, "a" * 64)
    cache.put("gone-page", page, "b" * 64)
    cache.put("recent-page", page, "c" * 64)
    conn = cache._connect()
    with conn:
        conn.execute("UPDATE pages SET created = ? WHERE key != 'recent-page'", (time.time() - 40 * 86400,))
    assert cache.prune({"a" * 64}, CACHE_UNUSED.total_seconds()) == 1
    assert cache.get("kept-page", 1) is not None and cache.get("recent-page", 1) is not None
    assert cache.get("gone-page", 1) is None
    cache.close()
