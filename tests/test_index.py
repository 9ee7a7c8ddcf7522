"""Index versions: build, manifest, atomic switch, failed builds, embedding cache, rollback."""

import json
import shutil

import pytest

from bot.errors import IndexBuildError, IndexStoreError, NoActiveIndex
from bot.index.builder import build_index
from bot.index.store import IndexStore
from bot.index.version import IndexVersion
from bot.text.normalize import canonical
from tests.conftest import SEED_DOC


def test_build_writes_a_complete_version_with_manifest(settings, embedder, segmenter):
    result = build_index(settings, embedder, segmenter)
    store = IndexStore(settings.index_dir)
    assert store.active_name() == result.version
    manifest = json.loads((store.active_path() / "manifest.json").read_text())
    assert manifest["model_id"] == embedder.model_id and manifest["dim"] == 384
    assert manifest["counts"]["groups"] == 8
    assert manifest["counts"]["by_kind"]["item"] == 15
    doc = manifest["documents"][0]
    assert doc["meta"]["number"] == "46-CT/TU" and len(doc["sha256"]) == 64
    assert manifest["built_at"] and manifest["vector_kind"] == "flat"
    version = IndexVersion(store.active_path())
    assert len(version.units) == len(version.vectors) == manifest["counts"]["units"]


def test_no_index_yet_is_a_clear_error(tmp_path):
    with pytest.raises(NoActiveIndex, match="hoidap build"):
        IndexStore(tmp_path / "index").active_path()


def test_failed_build_leaves_active_version_untouched(settings, embedder, segmenter):
    first = build_index(settings, embedder, segmenter).version
    (settings.knowledge_dir / "broken.txt").write_text("Tiêu đề\nCâu hỏi 1: A?\nCâu hỏi 2: B?\nTrả lời: x\n")
    with pytest.raises(IndexBuildError, match="broken.txt, dòng 2"):
        build_index(settings, embedder, segmenter)
    store = IndexStore(settings.index_dir)
    assert store.active_name() == first
    assert [v.name for v in store.versions()] == [first]
    assert not any(store.staging_dir.iterdir())
    IndexVersion(store.active_path())  # still loadable


def test_second_build_reuses_cached_embeddings(cold_settings, embedder, segmenter):
    first = build_index(cold_settings, embedder, segmenter)
    units = IndexVersion(IndexStore(cold_settings.index_dir).active_path()).units
    # Every distinct text embedded once (an item and its build-time variant may read the same), none reused.
    assert first.cached == 0 and first.embedded == len({canonical(u.text) for u in units})
    second = build_index(cold_settings, embedder, segmenter)
    assert second.embedded == 0 and second.cached == second.units
    assert second.version != first.version
    assert IndexStore(cold_settings.index_dir).active_name() == second.version


def test_rollback_and_pruning(settings, embedder, segmenter):
    settings = settings.model_copy(update={"index_keep_versions": 2})
    names = [build_index(settings, embedder, segmenter).version for _ in range(3)]
    store = IndexStore(settings.index_dir)
    assert [v.name for v in store.versions()] == names[1:]  # oldest pruned
    assert store.rollback() == names[1]
    assert store.active_name() == names[1]
    store.activate(names[2])
    assert store.active_name() == names[2]


def test_incomplete_version_is_never_served(settings, embedder, segmenter):
    name = build_index(settings, embedder, segmenter).version
    store = IndexStore(settings.index_dir)
    broken = store.versions_dir / "v9999-00000000-000000"
    shutil.copytree(store.versions_dir / name, broken)
    (broken / "READY").unlink()
    assert "v9999-00000000-000000" not in [v.name for v in store.versions()]
    with pytest.raises(IndexStoreError, match="hoàn chỉnh"):
        store.activate("v9999-00000000-000000")


def test_build_from_explicit_paths(tmp_path, settings, embedder, segmenter):
    other = tmp_path / "elsewhere"
    other.mkdir()
    shutil.copy(SEED_DOC, other / "ct46.txt")
    shutil.rmtree(settings.knowledge_dir)
    settings.knowledge_dir.mkdir()
    result = build_index(settings, embedder, segmenter, sources=[other])
    assert [d["file"] for d in result.documents] == ["ct46.txt"]
    with pytest.raises(IndexBuildError, match="Không có tài liệu"):
        build_index(settings, embedder, segmenter)
