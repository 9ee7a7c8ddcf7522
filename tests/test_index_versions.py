"""Broken versions are never served: rollback takes only listed names, every switch loads the version first,
manifests are validated, the reloader gives up on a bad version, a broken ACTIVE falls back."""

from __future__ import annotations

import json
import logging
import shutil

import pytest
from click.testing import CliRunner

from bot import cli
from bot.errors import IndexStoreError, NoActiveIndex
from bot.index.builder import build_index
from bot.index.manager import IndexManager
from bot.index.store import IndexStore
from bot.index.version import IndexVersion
from bot.service import Assistant
from tests.conftest import DATA


@pytest.fixture
def two_versions(settings, embedder, segmenter):
    """An index with two complete versions (seed, then seed + Quy định 99); the second is active."""
    first = build_index(settings, embedder, segmenter).version
    shutil.copy(DATA / "docs" / "quy-dinh-99-kiem-thu.txt", settings.knowledge_dir / "99-qd-tu.txt")
    second = build_index(settings, embedder, segmenter).version
    return settings, IndexStore(settings.index_dir), first, second


@pytest.fixture
def run(settings, embedder, monkeypatch):
    core = Assistant(settings, embedder=embedder)
    monkeypatch.setattr(cli, "_assistant", lambda s=None: core)
    runner = CliRunner()
    return lambda *args: runner.invoke(cli.main, list(args))


@pytest.mark.parametrize("name", ["../../x", "../versions/../../evil", "/tmp", "v0001", "v9999-20990101-000000"])
def test_rollback_accepts_only_listed_versions(two_versions, run, name):
    settings, store, first, second = two_versions
    outside = settings.index_dir.parent / "x"
    shutil.copytree(store.versions_dir / first, outside)  # a complete-looking version outside index/
    result = run("index", "rollback", name, "--yes")
    assert result.exit_code == 1
    assert "hoidap index versions" in result.output and "Traceback" not in result.output
    assert store.active_name() == second


def test_rollback_to_a_version_with_a_missing_file_is_refused(two_versions, run):
    settings, store, first, second = two_versions
    (store.versions_dir / first / "vectors.faiss").unlink()  # what a kill during pruning leaves
    result = run("index", "rollback", first, "--yes")
    assert result.exit_code == 1 and f"Chỉ mục {first}" in result.output
    assert store.active_name() == second
    # The knowledge folder is untouched too: the refused rollback restored nothing.
    assert "99-qd-tu.txt" in {p.name for p in settings.knowledge_dir.iterdir()}


def _break(path, how: str) -> None:
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    if how == "only format_version":
        (path / "manifest.json").write_text('{"format_version": 1}')
    elif how == "a JSON list":
        (path / "manifest.json").write_text("[1, 2, 3]")
    elif how == "no documents":
        del manifest["documents"]
        (path / "manifest.json").write_text(json.dumps(manifest))
    elif how == "empty lexicon":
        (path / "lexicon" / "meta.json").write_text("{}")
    elif how == "truncated lexicon":
        (path / "lexicon" / "syllables_df.npy").write_bytes(b"\x93NUMPY")
    elif how == "group past the last unit":
        groups = json.loads((path / "groups.json").read_text(encoding="utf-8"))
        groups[-1]["positions"].append(10_000)
        (path / "groups.json").write_text(json.dumps(groups))
    elif how == "not JSON":
        (path / "manifest.json").write_text("{not json")


BROKEN = [
    "only format_version",
    "a JSON list",
    "no documents",
    "empty lexicon",
    "truncated lexicon",
    "group past the last unit",
    "not JSON",
]


@pytest.mark.parametrize("how", BROKEN)
def test_corrupt_versions_give_one_clean_error(two_versions, how):
    _, store, first, _ = two_versions
    _break(store.versions_dir / first, how)
    with pytest.raises(IndexStoreError) as err:
        IndexVersion(store.versions_dir / first)
    message = str(err.value)
    assert message.startswith(f"Chỉ mục {first}") and "\n" not in message and "Traceback" not in message
    with pytest.raises(IndexStoreError):
        store.rollback(first)
    assert store.active_name() == two_versions[3]


def test_manifest_errors_name_the_field(two_versions):
    _, store, first, _ = two_versions
    _break(store.versions_dir / first, "no documents")
    with pytest.raises(IndexStoreError, match=r"manifest.json không hợp lệ \(documents: thiếu\)"):
        IndexVersion(store.versions_dir / first)
    assert first not in [v.name for v in store.versions()]  # a version that cannot be listed cannot be chosen


def test_the_reloader_marks_a_bad_version_failed_and_stops_retrying(two_versions, monkeypatch, caplog):
    _, store, first, second = two_versions
    manager = IndexManager(store, check_interval=0)
    assert manager.current().name == second
    _break(store.versions_dir / first, "group past the last unit")
    attempts = []
    real_check = store.check
    monkeypatch.setattr(store, "check", lambda name: attempts.append(name) or real_check(name))
    store.pointer.write_text(first + "\n")  # as if something switched ACTIVE to it behind our back
    with caplog.at_level(logging.ERROR, logger="bot.index.manager"):
        for _ in range(20):
            manager.refresh(wait=True)
            assert manager.current().name == second  # questions keep being answered from the good one
    assert attempts == [first] and manager.failed() == {first}
    assert sum("cannot be served" in r.getMessage() for r in caplog.records) == 1
    # A good version named by ACTIVE is picked up as usual.
    store.activate(second)
    manager.refresh(wait=True)
    assert manager.current().name == second


@pytest.mark.parametrize("pointer", ["", "\n", "../../etc\n", "v9999-20990101-000000\n", "broken-version"])
def test_an_empty_or_broken_active_falls_back_to_the_newest_complete_version(two_versions, pointer, caplog):
    _, store, first, second = two_versions
    store.pointer.write_text(pointer)
    with caplog.at_level(logging.WARNING, logger="bot.index.manager"):
        version = IndexManager(store).current()
    assert version.name == second
    assert any("serving the newest complete version" in r.getMessage() for r in caplog.records)


def test_active_naming_a_version_that_cannot_load_falls_back_to_one_that_can(two_versions):
    _, store, first, second = two_versions
    (store.versions_dir / second / "units.jsonl").unlink()
    assert IndexManager(store).current().name == first


def test_no_version_at_all_is_still_a_clear_error(tmp_path):
    with pytest.raises(NoActiveIndex, match="hoidap build"):
        IndexManager(IndexStore(tmp_path / "index")).current()


def test_versions_keep_their_source_files_until_pruned(settings, embedder, segmenter):
    settings = settings.model_copy(update={"index_keep_versions": 1})
    store = IndexStore(settings.index_dir)
    build_index(settings, embedder, segmenter)
    seed_sources = set(p.name for p in store.sources_dir.iterdir())
    assert len(seed_sources) == 1
    qd99 = settings.knowledge_dir / "99-qd-tu.txt"
    shutil.copy(DATA / "docs" / "quy-dinh-99-kiem-thu.txt", qd99)
    build_index(settings, embedder, segmenter)
    assert len(list(store.sources_dir.iterdir())) == 2
    qd99.unlink()
    build_index(settings, embedder, segmenter)  # the version holding 99 is pruned, and so is its source
    assert set(p.name for p in store.sources_dir.iterdir()) == seed_sources
    manifest = store.versions()[-1].manifest
    assert manifest["source_set"] == "knowledge" and manifest["documents"][0]["path"] == "chi-thi-46-CT-TU-hoi-dap.txt"


def test_a_symlinked_version_folder_is_never_listed_served_or_rolled_back_to(two_versions, run):
    settings, store, first, second = two_versions
    outside = settings.index_dir.parent / "elsewhere"
    shutil.copytree(store.versions_dir / first, outside)  # complete-looking, but not in index/versions/
    planted = "v0900-20990101-000000"
    (store.versions_dir / planted).symlink_to(outside, target_is_directory=True)
    assert planted not in [v.name for v in store.versions()]
    result = run("index", "rollback", planted, "--yes")
    assert result.exit_code == 1 and "hoidap index versions" in result.output
    assert store.active_name() == second
    with pytest.raises(IndexStoreError, match="symlink"):
        IndexVersion(store.versions_dir / planted)


@pytest.mark.parametrize("how", ["symlinked file", "hard link"])
def test_a_version_holding_a_link_to_an_outside_file_is_refused(two_versions, run, how):
    settings, store, first, second = two_versions
    outside = settings.index_dir.parent / "units-from-elsewhere.jsonl"
    units = store.versions_dir / first / "units.jsonl"
    shutil.copy(units, outside)
    units.unlink()
    if how == "symlinked file":
        units.symlink_to(outside)
    else:
        units.hardlink_to(outside)
    result = run("index", "rollback", first, "--yes")
    assert result.exit_code == 1 and f"Chỉ mục {first} bị từ chối" in result.output
    assert ("symlink" if how == "symlinked file" else "hard link") in result.output
    assert store.active_name() == second
