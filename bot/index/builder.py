"""Build a new index version from source documents and switch to it atomically.

Steps: parse every source → units → embeddings (cached) → vector index,
keyword index, lexicon → validate by loading → commit → activate → prune old
versions. Any failure leaves the previously active version untouched.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from bot.ann.factory import create_vector_index
from bot.documents.cache import ParseCache
from bot.documents.model import Document, Unit
from bot.documents.parser import file_sha256
from bot.documents.readers import read_regular_file
from bot.documents.sources import Scan
from bot.documents.sources import find_sources as scan_sources
from bot.embed.base import Embedder
from bot.embed.cache import EmbeddingCache, key_of_canonical
from bot.errors import DocumentError, HoidapError, IndexBuildError
from bot.index.store import MANIFEST, IndexStore
from bot.index.version import FORMAT_VERSION, Group, IndexVersion
from bot.lexical.factory import create_keyword_index
from bot.progress import Progress
from bot.segment.base import Segmenter
from bot.segment.parallel import SegmentCache, segment_many
from bot.settings import Settings
from bot.text import lexicon_store
from bot.text.analysis import Lexicon, lexical_terms, syllables_of_canonical, terms_of_tokens, tokens
from bot.text.normalize import canonical
from bot.text.restore import DiacriticRestorer
from bot.threads import current, threads

log = logging.getLogger(__name__)


@dataclass
class BuildResult:
    version: str
    documents: list[dict]
    units: int
    groups: int
    embedded: int  # distinct unit texts embedded by the model in this build
    cached: int  # units whose vectors an earlier build had computed (the cache)
    seconds: float
    vector_kind: str
    pruned: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def find_sources(paths: list[Path]) -> list[Path]:
    """Source files named by ``paths`` (folders are scanned for regular, supported files)."""
    return scan_sources(paths).files


def parse_sources(
    paths: list[Path] | Scan, max_bytes: int | None = None, cache: ParseCache | None = None
) -> list[Document]:
    """Parse every source (once per content, with ``cache``); two files with the same document id are an error."""
    cache = cache or ParseCache()
    files = paths.files if isinstance(paths, Scan) else find_sources(paths)
    docs: list[Document] = []
    seen: dict[str, str] = {}
    for path in files:
        doc = cache.parse(path, max_bytes=max_bytes)
        if doc.doc_id in seen:
            raise DocumentError(f"trùng văn bản với {Path(seen[doc.doc_id]).name} (cùng số hiệu/mã {doc.doc_id})", path)
        seen[doc.doc_id] = str(path)
        docs.append(doc)
    return docs


def parse_cache(settings: Settings) -> ParseCache:
    """The parse cache every build and preview of this configuration shares."""
    from bot.documents.readers import ReadOptions
    from bot.documents.sandbox import ParseLimits

    return ParseCache(
        Path(settings.index_dir) / "cache" / "documents",
        ParseLimits.from_settings(settings),
        ReadOptions.from_settings(settings),
    )


def make_groups(docs: list[Document]) -> tuple[list[Unit], list[Group]]:
    """Units in index order and the answerable groups they belong to."""
    units: list[Unit] = []
    groups: list[Group] = []
    for doc in docs:
        doc_units = doc.units()
        # One pass to file units under their question (or paragraph): scanning all of a
        # document's units for each of its questions is quadratic on large documents.
        by_question: dict[int, list[Unit]] = {}
        by_uid: dict[str, Unit] = {}
        for u in doc_units:
            if u.kind == "section":
                by_uid[u.uid] = u
            elif u.question_number is not None:
                by_question.setdefault(u.question_number, []).append(u)
        for pair in doc.pairs:
            start = len(units)
            units.extend(by_question.get(pair.number, []))
            groups.append(
                Group(
                    len(groups),
                    doc.doc_id,
                    pair.number,
                    pair.question,
                    pair.answer,
                    None,
                    tuple(range(start, len(units))),
                )
            )
        for section in doc.sections:
            units.append(by_uid[f"{doc.doc_id}:p{section.number}"])
            groups.append(
                Group(
                    len(groups),
                    doc.doc_id,
                    None,
                    section.heading or doc.meta.title,
                    section.text,
                    section.heading or None,
                    (len(units) - 1,),
                )
            )
    return units, groups


def build_index(
    settings: Settings,
    embedder: Embedder,
    segmenter: Segmenter,
    sources: list[Path] | None = None,
    progress: Progress | None = None,
    store: IndexStore | None = None,
) -> BuildResult:
    """Parse ``sources`` (default: the knowledge folder), build and activate a new version.

    Example: ``build_index(settings, embedder, segmenter)`` — what ``hoidap build`` runs. ``store``:
    where versions live (default: the index folder; ``Assistant`` passes the configured one).
    """
    progress = progress or Progress()
    store = store or IndexStore(settings.index_dir)
    started = time.time()
    roots = sources or [settings.knowledge_dir]
    from_knowledge = sources is None or [Path(s).resolve() for s in sources] == [Path(settings.knowledge_dir).resolve()]
    with store.build_lock():
        store.clean_staging()
        try:
            scan = scan_sources(roots)
            docs = parse_sources(scan, settings.max_upload_bytes, parse_cache(settings))
            # Keep each source by content: a rollback to this version restores exactly this set.
            for doc in docs:
                _keep_source(store, doc, settings.max_upload_bytes)
        except DocumentError as e:
            raise IndexBuildError(f"Không xây dựng được chỉ mục — {e}") from e
        if not docs:
            raise IndexBuildError(f"Không có tài liệu nào để lập chỉ mục trong {', '.join(str(s) for s in roots)}")
        name, staging = store.new_staging()
        try:
            with threads(settings.build_threads):  # every core for embedding, then back to serving
                result = _build_into(
                    staging,
                    name,
                    settings,
                    embedder,
                    segmenter,
                    docs,
                    progress,
                    store,
                    _knowledge_paths(docs, settings, from_knowledge),
                )
            result.notices[:0] = scan.notices
            # Validate: a version that cannot be loaded is never activated.
            _smoke_test(IndexVersion(staging))
            store.commit(name, staging)
            store.activate(name)
        except HoidapError:
            raise
        except Exception as e:
            raise IndexBuildError(f"Xây dựng chỉ mục thất bại: {type(e).__name__}: {e}") from e
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        result.pruned = store.prune(settings.index_keep_versions)
        _prune_caches(settings, store)
        result.seconds = round(time.time() - started, 2)
        progress.finish()
        return result


def build_scratch(
    settings: Settings,
    embedder: Embedder,
    segmenter: Segmenter,
    sources: list[Path],
    folder: Path,
    progress: Progress | None = None,
) -> IndexVersion:
    """An index of ``sources`` built into ``folder`` and loaded, never activated: what the preview's
    self-test asks. It shares the embedding cache of ``settings.index_dir``, so only documents not yet
    indexed are embedded."""
    progress = progress or Progress()
    store = IndexStore(settings.index_dir)
    try:
        docs = parse_sources(scan_sources(sources), settings.max_upload_bytes, parse_cache(settings))
    except DocumentError as e:
        raise IndexBuildError(f"Không tự kiểm tra được — {e}") from e
    folder.mkdir(parents=True, exist_ok=True)
    with threads(settings.build_threads):
        _build_into(folder, "selftest", settings, embedder, segmenter, docs, progress, store)
    return IndexVersion(folder)


# Parsed documents and OCR'd pages of files that no kept version holds are dropped once unused this long:
# every upload, replacement and preview adds entries, and a server runs for years.
CACHE_UNUSED = dt.timedelta(days=30)


def _prune_caches(settings: Settings, store: IndexStore) -> None:
    """Drop cache entries of files no kept index version holds (kept: rollback stays instant)."""
    from bot.documents.ocr import OcrCache, OcrConfig

    keep = {p.name for p in store.sources_dir.iterdir()} if store.sources_dir.is_dir() else set()
    parsed = parse_cache(settings).prune(keep, CACHE_UNUSED)
    ocr = OcrCache(OcrConfig.from_settings(settings).cache_path)
    try:
        pages = ocr.prune(keep, CACHE_UNUSED.total_seconds()) if ocr.path and ocr.path.exists() else 0
    finally:
        ocr.close()
    if parsed or pages:
        log.info("caches pruned: %d parsed documents, %d OCR pages", parsed, pages)


def _keep_source(store: IndexStore, doc: Document, max_bytes: int | None) -> None:
    data = read_regular_file(Path(doc.path), max_bytes)
    if file_sha256(data) != doc.sha256:
        raise DocumentError("tệp đã thay đổi trong lúc xây dựng chỉ mục; hãy chạy lại", doc.path)
    store.keep_source(doc.sha256, data)


def _knowledge_paths(docs: list[Document], settings: Settings, from_knowledge: bool) -> dict[str, str] | None:
    """Each document's path inside the knowledge folder (None when the build was not from it)."""
    if not from_knowledge:
        return None
    root = Path(settings.knowledge_dir).resolve()
    out = {}
    for d in docs:
        try:
            out[d.doc_id] = Path(d.path).resolve().relative_to(root).as_posix()
        except ValueError:
            out[d.doc_id] = Path(d.path).name
    return out


def _build_into(
    out: Path,
    name: str,
    settings: Settings,
    embedder: Embedder,
    segmenter: Segmenter,
    docs: list[Document],
    progress: Progress,
    store: IndexStore,
    knowledge_paths: dict[str, str] | None = None,
) -> BuildResult:
    units, groups = make_groups(docs)
    texts = [u.text for u in units]
    notices: list[str] = []
    # Each text is canonicalised once: the embedding cache's key, the keyword terms and the
    # diacritic table all read that form.
    canon = [canonical(t) for t in texts]
    keys = [key_of_canonical(c) for c in canon]

    # 1. embeddings, reusing the cache
    cache = EmbeddingCache(store.root / "cache" / "embeddings.sqlite")
    try:
        stale = [m for m in cache.models() if m != embedder.model_id]
        if stale:
            dropped = cache.drop_other_models(embedder.model_id)
            notices.append(
                f"Mô hình đã đổi ({', '.join(stale)} → {embedder.model_id}): bỏ {dropped} vector cũ trong bộ nhớ đệm, nhúng lại toàn bộ."
            )
        cached = cache.get_keys(embedder.model_id, keys)
        missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in cached}.items())
        progress.start("Nhúng văn bản (embedding)", len(missing))
        if missing:
            new_vecs = embedder.embed_passages([t for _, t in missing], progress=progress.advance)
            cache.put_keys(embedder.model_id, [k for k, _ in missing], new_vecs)
            cached.update({k: v for (k, _), v in zip(missing, new_vecs, strict=True)})
    finally:
        cache.close()
    vectors = np.vstack([cached[k] for k in keys]).astype(np.float32) if units else np.zeros((0, 1), np.float32)
    dim = int(vectors.shape[1])

    # 2. vector index
    progress.start("Chỉ mục vector (FAISS)", 1)
    vindex = create_vector_index(settings.vector_index, dim, len(units), settings.hnsw_min_units)
    vindex.add(vectors)
    vindex.save(out / "vectors.faiss")
    progress.advance()

    # 3. keyword index over folded syllables and pairs
    progress.start("Chỉ mục từ khóa (BM25)", 1)
    unit_tokens = [syllables_of_canonical(c) for c in canon]
    kindex = create_keyword_index(settings.keyword_index)
    kindex.index([terms_of_tokens(t) for t in unit_tokens])
    kindex.save(out / "keyword")
    progress.advance()

    # 4. lexicon: what the corpus says, word-segmented, for judging coverage
    progress.start("Tách từ (underthesea)", len(groups))
    group_texts = [f"{g.question}\n{g.answer}" for g in groups]
    segments = SegmentCache(store.root / "cache" / "segments.sqlite")
    try:
        group_words = segment_many(
            segmenter, [canonical(t) for t in group_texts], segments, workers=current(), progress=progress.advance
        )
    finally:
        segments.close()
    for i, (g, words) in enumerate(zip(groups, group_words, strict=True)):
        groups[i] = replace(g, words=tuple(dict.fromkeys(w.lower() for w in words if "_" in w)))
    lexicon = Lexicon.build(zip(group_texts, group_words, strict=True))
    titles = [d.meta.title for d in docs]
    restorer = DiacriticRestorer.build_from_tokens(
        unit_tokens + [tokens(t) for t in titles], min_count_long=2 if len(units) > 2_000 else 1
    )
    lexicon_store.save(out / "lexicon", lexicon, restorer)
    with open(out / "units.jsonl", "w", encoding="utf-8") as f:
        for u in units:
            f.write(json.dumps(u.to_dict(), ensure_ascii=False) + "\n")
    (out / "groups.json").write_text(json.dumps([g.to_dict() for g in groups], ensure_ascii=False), "utf-8")

    doc_entries = []
    for d in docs:
        kinds = Counter(u.kind for u in units if u.doc_id == d.doc_id)
        entry = {
            "doc_id": d.doc_id,
            "file": Path(d.path).name,
            "sha256": d.sha256,
            "meta": d.meta.to_dict(),
            "counts": {
                "questions": len(d.pairs),
                "items": sum(len(p.items) for p in d.pairs),
                "sections": len(d.sections),
                "units": sum(kinds.values()),
            },
        }
        if knowledge_paths is not None:
            entry["path"] = knowledge_paths[d.doc_id]
        doc_entries.append(entry)
    # Texts the model embedded in this build (two units with the same text share one vector), and units
    # whose vector an earlier build had already computed.
    embedded = len(missing)
    fresh = {k for k, _ in missing}
    reused = sum(1 for k in keys if k not in fresh)
    manifest = {
        "format_version": FORMAT_VERSION,
        "version": name,
        "built_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),  # with its offset
        "model": settings.model,
        "model_id": embedder.model_id,
        "dim": dim,
        "vector_index": settings.vector_index,
        "vector_kind": getattr(vindex, "kind", settings.vector_index),
        "keyword_index": settings.keyword_index,
        "segmenter": segmenter.name,
        "counts": {
            "documents": len(docs),
            "groups": len(groups),
            "units": len(units),
            "by_kind": dict(Counter(u.kind for u in units)),
        },
        "embedding": {"embedded": embedded, "cached": reused},
        "documents": doc_entries,
        "source_set": "knowledge" if knowledge_paths is not None else "paths",
    }
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return BuildResult(
        version=name,
        documents=doc_entries,
        units=len(units),
        groups=len(groups),
        embedded=embedded,
        cached=reused,
        seconds=0.0,
        vector_kind=manifest["vector_kind"],
        notices=notices,
    )


def _smoke_test(version: IndexVersion) -> None:
    """Each of a few units must find itself by vector and by keywords."""
    n = len(version.units)
    for pos in sorted({0, n // 2, n - 1}):
        scores, ids = version.vectors.search(version.vectors.vector(pos), 5)
        if pos not in set(ids.tolist()) and not np.isclose(scores[0], 1.0, atol=1e-3):
            raise IndexBuildError(f"Kiểm tra chỉ mục vector thất bại ở đơn vị {pos}")
        terms = lexical_terms(version.units[pos].text)
        if terms and version.keywords.scores(terms)[pos] <= 0:
            raise IndexBuildError(f"Kiểm tra chỉ mục từ khóa thất bại ở đơn vị {pos}")
