#!/usr/bin/env python3
"""Benchmark the retrieval core; prints one JSON object on stdout.

Real corpus (the knowledge folder): answer latency over the dev questions with
the model loaded and the answer cache off, embedding throughput, full build
time (cold embedding cache), peak RSS, cold start of ``hoidap ask``.

Synthetic corpora of 1k / 10k / 100k units, built with the real builder from
generated Q&A documents (Vietnamese-like syllables, Zipf-distributed) and random
unit vectors: search latency (vector + lexical + fusion; the query embedding is
precomputed and excluded) and index size on disk. Exact and HNSW search are both
timed at each size to show where HNSW pays off.

Usage: python scripts/bench.py [--sizes 1000,10000,100000] [--questions FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.embed.base import Embedder  # noqa: E402
from bot.settings import Settings  # noqa: E402


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def pct(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 2)


def rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def dir_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1048576, 2)


class RandomEmbedder(Embedder):
    """Random unit vectors (synthetic corpora only): cheap, and the search cost is the same."""

    model_id = "random-unit-vectors"

    def __init__(self, dim: int = 384, seed: int = 0) -> None:
        self.dim = dim
        self.rng = np.random.default_rng(seed)
        self.next_query: np.ndarray | None = None

    def _unit(self, n: int) -> np.ndarray:
        v = self.rng.standard_normal((n, self.dim)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    def embed_queries(self, texts):
        return self.next_query.reshape(1, -1) if self.next_query is not None else self._unit(len(texts))

    def embed_passages(self, texts, progress=None):
        out = self._unit(len(texts))
        if progress:
            progress(len(texts))
        return out


# --- synthetic Vietnamese-like corpus -----------------------------------------------
ONSETS = "b c ch d đ g gi h k kh l m n ng nh ph qu r s t th tr v x".split()
RHYMES = (
    "a ai am an ang anh ao au ay ăm ăn ăng âm ân âng ây e em en eo ê êm ên ênh i ia im in inh iêm iên iêu "
    "o oa oai oan oang oanh oc oi om on ong ô ôi ôm ôn ông ơ ơi ơm ơn u ua ui um un ung uy uyên ư ưa ưng ươi "
    "ương ươc"
).split()
TONES = ["", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323"]


def vocabulary(size: int, seed: int) -> list[str]:
    import unicodedata

    from bot.text.normalize import canonical

    rng = random.Random(seed)
    words: set[str] = set()
    while len(words) < size:
        syl = rng.choice(ONSETS) + rng.choice(RHYMES)
        tone = rng.choice(TONES)
        if tone:
            syl = unicodedata.normalize("NFC", syl[:-1] + syl[-1] + tone) if len(syl) else syl
        words.add(canonical(syl))
    return sorted(words)


def synthetic_documents(units: int, folder: Path, seed: int = 1) -> None:
    """Q&A documents totalling about ``units`` units (question + answer + 6 items per pair)."""
    rng = random.Random(seed)
    vocab = vocabulary(6000, seed)
    weights = [1 / (r + 1) for r in range(len(vocab))]  # Zipf

    def sentence(n: int) -> str:
        return " ".join(rng.choices(vocab, weights, k=n)).capitalize() + "."

    pairs_total = max(1, units // 8)
    per_doc = 500
    folder.mkdir(parents=True, exist_ok=True)
    for d in range((pairs_total + per_doc - 1) // per_doc):
        lines = [
            f"HỎI - ĐÁP Về Chỉ thị số {100 + d}-CT/TU, ngày 01/01/2025 của Ban Thường vụ Tỉnh ủy về thử nghiệm hiệu năng"
        ]
        for q in range(1, min(per_doc, pairs_total - d * per_doc) + 1):
            lines.append(f"Câu hỏi {q}: {sentence(14)[:-1]}?")
            lines.append("Trả lời:")
            lines.extend(f"({i}) {sentence(18)}" for i in range(1, 7))
        (folder / f"synthetic-{d:04d}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def bench_synthetic(size: int, root: Path) -> dict:
    from bot.ann.faiss_backend import FaissVectorIndex
    from bot.answer.retrieval import Retriever
    from bot.index.builder import build_index
    from bot.index.store import IndexStore
    from bot.index.version import IndexVersion
    from bot.segment.factory import create_segmenter

    folder = root / f"corpus-{size}"
    synthetic_documents(size, folder / "knowledge")
    segmenter = create_segmenter("underthesea")
    settings = Settings(
        _env_file=None, knowledge_dir=folder / "knowledge", index_dir=folder / "index", max_upload_mb=500
    )
    embedder = RandomEmbedder()
    started = time.time()
    result = build_index(settings, embedder, segmenter)
    build_s = time.time() - started
    version = IndexVersion(IndexStore(settings.index_dir).active_path())
    built_kind = version.manifest["vector_kind"]
    vectors = np.vstack([version.vectors.vector(i) for i in range(len(version.units))])
    built_index = version.vectors
    out = {}
    for kind in ("flat", "hnsw"):
        version.vectors = built_index
        if kind != built_kind:  # the other FAISS index over the same vectors, for comparison
            alt = FaissVectorIndex(
                embedder.dim, expected_size=len(vectors), hnsw_min_units=1 if kind == "hnsw" else 10**12
            )
            alt.add(vectors)
            alt.save(folder / f"alt-{kind}.faiss")
            version.vectors = alt
            size_mb = (
                dir_mb(version.path)
                - (version.path / "vectors.faiss").stat().st_size / 1048576
                + (folder / f"alt-{kind}.faiss").stat().st_size / 1048576
            )
        else:
            size_mb = dir_mb(version.path)
        if kind == "hnsw":  # what the graph search finds compared with exact search
            exact = FaissVectorIndex(embedder.dim, hnsw_min_units=10**12)
            exact.add(vectors)
            probe = np.random.default_rng(7)
            own = top10 = 0
            for _ in range(100):
                i = int(probe.integers(len(vectors)))
                q = vectors[i] + probe.standard_normal(embedder.dim).astype(np.float32) * 0.01
                q /= np.linalg.norm(q)
                found = set(version.vectors.search(q, 64)[1].tolist())
                own += i in found  # a question close to a stored unit finds it
                top10 += len(set(exact.search(q, 10)[1].tolist()) & found)
            recall = {"self_recall_in_64": own / 100, "recall_at_10_in_64": top10 / 1000}
        retriever = Retriever(version, embedder, segmenter, fusion_weight=0.1)
        rng = random.Random(size)
        latencies = []
        for i in range(200):
            unit = version.units[rng.randrange(len(version.units))]
            question = " ".join(unit.text.split()[: rng.randint(4, 9)])
            noise = np.random.default_rng(i).standard_normal(embedder.dim).astype(np.float32) * 0.02
            target = vectors[rng.randrange(len(vectors))] + noise
            embedder.next_query = target / np.linalg.norm(target)
            t = time.perf_counter()
            retriever.retrieve(question)
            latencies.append((time.perf_counter() - t) * 1000)
        latencies = latencies[10:]  # warm-up
        out[kind] = {"p50": pct(latencies, 50), "p95": pct(latencies, 95), "index_mb": round(size_mb, 2)}
        if kind == "hnsw":
            # Random unit vectors have no neighbourhood structure: beyond the unit itself, the exact
            # top 10 are near-ties, so recall@10 here is a floor, not what real embeddings get.
            out[kind].update(recall)
        log(f"  {size} units, {kind}: {out[kind]}")
    out["units"] = result.units
    out["build_s"] = round(build_s, 1)
    out["built"] = built_kind
    if size == 10_000:  # an admin adds one small document to a large corpus
        shutil.copy(REPO / "tests" / "data" / "docs" / "quy-dinh-99-kiem-thu.txt", folder / "knowledge" / "qd99.txt")
        started = time.time()
        added = build_index(settings, embedder, segmenter)
        out["incremental_add"] = {
            "units": added.units,
            "embedded": added.embedded,
            "cached": added.cached,
            "seconds": round(time.time() - started, 1),
        }
        log(f"  add one document to {size}: {out['incremental_add']}")
    return out


# --- real corpus ----------------------------------------------------------------------
def bench_real(questions_file: Path, root: Path) -> dict:
    from bot.evaluate import load_rows
    from bot.index.builder import build_index
    from bot.service import Assistant
    from bot.settings import get_settings

    base = get_settings()
    settings = base.model_copy(update={"index_dir": root / "real-index", "answer_cache_size": 0})
    assistant = Assistant(settings)
    t = time.time()
    assistant.embedder.ensure_loaded()
    load_s = time.time() - t

    t = time.time()
    result = build_index(settings, assistant.embedder, assistant.segmenter)
    build_s = time.time() - t
    version_units = [u.text for u in assistant.index.current().units]

    t = time.time()
    reps = 3
    for _ in range(reps):
        assistant.embedder.embed_passages(version_units)
    embed_rate = reps * len(version_units) / (time.time() - t)

    rows = load_rows(questions_file)
    assistant.warm_up()
    for row in rows[:5]:
        assistant.ask(row["q"])
    latencies = []
    for _ in range(3):
        for row in rows:
            t = time.perf_counter()
            assistant.ask(row["q"])
            latencies.append((time.perf_counter() - t) * 1000)
    peak = rss_mb()

    env = dict(os.environ, HOIDAP_INDEX_DIR=str(settings.index_dir))
    exe = Path(sys.executable).with_name("hoidap")
    cold = []
    for _ in range(2):
        t = time.time()
        subprocess.run(
            [str(exe), "ask", "Người đứng đầu phải thế nào?"], env=env, cwd=REPO, capture_output=True, check=True
        )
        cold.append(time.time() - t)
    return {
        "answer_latency_ms": {
            "p50": pct(latencies, 50),
            "p95": pct(latencies, 95),
            "questions": len(rows),
            "source": questions_file.name,
        },
        "embed_units_per_s": round(embed_rate, 1),
        "build_s": round(build_s, 2),
        "build_units": result.units,
        "model_load_s": round(load_s, 2),
        "peak_rss_mb": peak,
        "cold_start_s": round(min(cold), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    default_q = REPO.parent / "shared" / "eval" / "dev.jsonl"
    parser.add_argument(
        "--questions", type=Path, default=default_q if default_q.exists() else REPO / "eval" / "holdout.jsonl"
    )
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="hoidap-bench-"))
    started = time.time()
    try:
        log("real corpus …")
        report = bench_real(args.questions, root)
        search, size_mb = {}, {}
        threshold = Settings(_env_file=None).hnsw_min_units
        for size in (int(s) for s in args.sizes.split(",") if s):
            log(f"synthetic corpus of {size} units …")
            res = bench_synthetic(size, root)
            kind = res["built"]  # what the builder chose with the default hnsw_min_units
            search[str(size)] = {
                "p50": res[kind]["p50"],
                "p95": res[kind]["p95"],
                "index": kind,
                "units": res["units"],
                "build_s": res["build_s"],
                "flat": res["flat"],
                "hnsw": res["hnsw"],
            }
            size_mb[str(size)] = res[kind]["index_mb"]
            if "incremental_add" in res:
                report["incremental_add_10k"] = res["incremental_add"]
        report["search_latency_ms"] = search
        report["index_mb"] = size_mb
        report["hnsw_min_units"] = threshold
        report["total_s"] = round(time.time() - started, 1)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
