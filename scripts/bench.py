#!/usr/bin/env python3
"""Benchmark the retrieval core; prints one JSON object on stdout (progress on stderr).

Real corpus (the knowledge folder): answer latency over the dev questions with the
model loaded and both caches off (answers, query vectors), the query embedding alone,
embedding throughput with the build's threads, full build (cold embedding cache),
cold start of ``hoidap ask`` and peak RSS of a serving process (``hoidap ask --json -``
answering every dev question), each measured in a fresh subprocess.

Synthetic corpora of 1k / 10k / 100k units, built with the real builder from generated
Q&A documents: Vietnamese sentences walked from a word-bigram chain of the documents'
own text (``knowledge/`` and the test documents), embedded with the real model once
and cached under ``--cache`` (the first run at 100k takes minutes; later ones load the
vectors). Query vectors are real questions (the eval sets) embedded with the real
model. Reported per size: search latency of ``Retriever.retrieve`` on a parsed message
(dense + lexical + fusion; its vectors precomputed; parsing the message is reported apart
as ``query_parse_ms``), recall@10 of the dense candidates against exact search, build time
(embedding excluded: vectors come from the cache), index size.
Both FAISS kinds are measured at every size; ``--sweep`` adds HNSW parameters and the
flat/HNSW crossover on prefixes of the 100k vectors.

``--compare-to REV`` runs this same bench on git revision REV in the same run (a
temporary ``git worktree``, its own PYTHONPATH, this venv, the same ``models/`` folder
and the same cached synthetic vectors) and prints ours/theirs ratios: on a shared,
noisy machine a ratio measured side by side is what counts.

Usage: python scripts/bench.py [--sizes 1000,10000,100000] [--questions FILE] [--cache DIR]
                               [--compare-to REV] [--sweep] [--repo PATH] [--ocr]

``--ocr`` adds OCR throughput (pages per second) on a 200 dpi scan of the seed leaflet. A quick run of
that alone: ``python scripts/bench.py --sizes "" --skip-real --leaflets 0 --ocr``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parents[1]  # the checkout this script belongs to (its texts, its models)
GENERATOR_VERSION = 2
PAIRS_PER_DOC = 500
# + the question and the whole answer: 5 units per pair. Short sentences keep the one-time embedding
# of 100k units to ~2M tokens (about 15 CPU-minutes with the int8 model).
ITEMS_PER_PAIR = 3


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def pct(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 3)


def dir_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1048576, 2)


# --- generated Vietnamese text ------------------------------------------------------------
_SPLIT = re.compile(r"(?<=[.;:?!])\s+|\n+")
_TAILS = ["như thế nào?", "là gì?", "ra sao?", "gồm những nội dung gì?", "được quy định thế nào?", "có đúng không?"]


class SentenceChain:
    """A word-bigram chain over real text: its walks are Vietnamese sentences in the documents' words."""

    def __init__(self, texts: list[str], seed: int) -> None:
        self.rng = random.Random(seed)
        self.next: dict[str, list[str]] = {}
        self.starts: list[str] = []
        for text in texts:
            for sentence in _SPLIT.split(text):
                words = [w.strip("()[]“”\"'#*").rstrip(".?!;:") for w in sentence.split()]
                words = [w for w in words if w and not re.fullmatch(r"[-–—•\d.,:;)]+", w)]
                if len(words) < 4:
                    continue
                self.starts.append(words[0])
                for a, b in zip(words, [*words[1:], "</s>"], strict=True):
                    self.next.setdefault(a.lower(), []).append(b)

    def sentence(self, low: int, high: int) -> str:
        n = self.rng.randint(low, high)
        words = [self.rng.choice(self.starts)]
        while len(words) < n:
            follow = self.next.get(words[-1].lower())
            if not follow:
                break
            w = self.rng.choice(follow)
            if w == "</s>":
                if len(words) >= low:
                    break
                w = self.rng.choice(self.starts).lower()
            words.append(w)
        text = " ".join(words).rstrip(",.;:")
        return text[0].upper() + text[1:]


def source_texts(repo: Path) -> list[str]:
    files = sorted((repo / "knowledge").glob("*")) + sorted((repo / "tests" / "data" / "docs").glob("*"))
    return [f.read_text(encoding="utf-8") for f in files if f.suffix in (".txt", ".md")]


def synthetic_documents(units: int, folder: Path, seed: int = 1) -> None:
    """Q&A documents totalling about ``units`` units; a smaller corpus is a prefix of a larger one."""
    chain = SentenceChain(source_texts(HERE), seed)
    pairs_total = max(1, units // (ITEMS_PER_PAIR + 2))
    folder.mkdir(parents=True, exist_ok=True)
    for d in range((pairs_total + PAIRS_PER_DOC - 1) // PAIRS_PER_DOC):
        lines = [
            f"HỎI - ĐÁP Về Chỉ thị số {100 + d}-CT/TU, ngày 01/01/2025 của Ban Thường vụ Tỉnh ủy về thử nghiệm hiệu năng"
        ]
        for q in range(1, PAIRS_PER_DOC + 1):
            question = f"Câu hỏi {q}: {chain.sentence(5, 10)} {chain.rng.choice(_TAILS)}"
            items = [f"({i}) {chain.sentence(6, 14)}." for i in range(1, ITEMS_PER_PAIR + 1)]
            if d * PAIRS_PER_DOC + q <= pairs_total:  # the chain walks on, so prefixes stay identical
                lines += [question, "Trả lời:", *items]
        (folder / f"synthetic-{d:04d}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def unit_texts(folder: Path) -> list[str]:
    from bot.index.builder import make_groups, parse_sources

    units, _ = make_groups(parse_sources([folder], max_bytes=500 * 1048576))
    return [u.text for u in units]


def eval_questions(repo: Path) -> list[str]:
    out = []
    for path in sorted((repo / "eval").glob("*.jsonl")) + sorted((repo.parent / "shared" / "eval").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(json.loads(line)["q"])
    return list(dict.fromkeys(out))


# --- vectors, computed once and cached -----------------------------------------------------
class VectorCache:
    """Real embeddings of the synthetic units and of the bench questions, in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def _paths(self, name: str) -> tuple[Path, Path]:
        return self.folder / f"{name}.json", self.folder / f"{name}.npy"

    def load(self, name: str) -> tuple[list[str], np.ndarray] | None:
        meta, arr = self._paths(name)
        if not (meta.is_file() and arr.is_file()):
            return None
        return json.loads(meta.read_text(encoding="utf-8"))["texts"], np.load(arr)

    def ensure(self, name: str, texts: list[str], embed) -> tuple[list[str], np.ndarray]:
        held = self.load(name)
        if held is not None and held[0] == texts:
            return held
        started = time.time()
        vectors = embed(texts)
        meta, arr = self._paths(name)
        np.save(arr, vectors.astype(np.float32))
        meta.write_text(json.dumps({"texts": texts, "seconds": round(time.time() - started, 1)}), encoding="utf-8")
        log(f"  embedded {len(texts)} texts for {name} in {time.time() - started:.0f} s (cached)")
        return texts, vectors


def make_cached_embedder(table: dict[str, np.ndarray], dim: int):
    from bot.embed.base import Embedder

    class CachedEmbedder(Embedder):
        """Serves vectors computed beforehand: the build and the search cost what they cost with any model."""

        model_id = "bench-cached-real-vectors"

        def __init__(self) -> None:
            self.dim = dim
            self.next_query: np.ndarray | None = None
            self.misses = 0

        def embed_queries(self, texts):
            # The retriever reads normalised/restored forms of the question: all get its real vector.
            return np.vstack([self.next_query] * len(texts)) if len(texts) else np.zeros((0, dim), np.float32)

        def embed_passages(self, texts, progress=None):
            out = np.zeros((len(texts), dim), dtype=np.float32)
            for i, t in enumerate(texts):
                v = table.get(t)
                if v is None:  # a revision that splits documents differently: a random stand-in
                    self.misses += 1
                    v = np.random.default_rng(i).standard_normal(dim).astype(np.float32)
                    v /= np.linalg.norm(v)
                out[i] = v
            if progress:
                progress(len(texts))
            return out

    return CachedEmbedder()


def prepare_vectors(root: Path, cache: VectorCache, sizes: list[int]) -> dict:
    """Corpus texts of the largest size and the question vectors, embedded (or loaded from the cache)."""
    biggest = max(sizes)
    folder = root / f"texts-{biggest}"
    synthetic_documents(biggest, folder)
    texts = unit_texts(folder)
    questions = eval_questions(HERE)
    rng = random.Random(5)
    questions = rng.sample(questions, min(300, len(questions)))
    sig = hashlib.sha1(f"{GENERATOR_VERSION}|{biggest}".encode()).hexdigest()[:10]
    embedder = None

    def embedder_once():
        # The int8 export, run in padded batches: ~2x the texts per second of the serving path, for
        # a one-time cost. The vectors are the model's (int8 weights; batch neighbours move them by
        # ~1e-3), which is all a search benchmark needs.
        nonlocal embedder
        if embedder is None:
            from bot.embed.factory import create_embedder
            from bot.settings import get_settings

            embedder = create_embedder(get_settings().model_copy(update={"embedder": "onnx", "onnx_int8": True}))
            embedder.ensure_loaded()
            embedder.int8 = False  # batched path (see OnnxEmbedder._embed)
        return embedder

    def embed_passages(t):
        from bot.threads import threads

        with threads(0):
            return embedder_once().embed_passages(t)

    model_name = "synthetic-units"
    corpus = cache.ensure(f"{model_name}-{sig}", texts, embed_passages)
    queries = cache.ensure(f"questions-{sig}", questions, lambda t: embedder_once().embed_queries(t))
    return {"units": corpus, "questions": queries}


# --- search ---------------------------------------------------------------------------------
def exact_top(matrix: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    scores = queries @ matrix.T
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    rows = np.arange(len(queries))[:, None]
    return top[rows, np.argsort(-scores[rows, top], axis=1)]


def recall_at_10(index, matrix: np.ndarray, queries: np.ndarray) -> float:
    """Share of the exact top 10 among the index's first 10 of its 64 candidates (what retrieval asks for)."""
    truth = exact_top(matrix, queries, 10)
    found = 0
    for q, true in zip(queries, truth, strict=True):
        ids = index.search(q, 64)[1][:10]
        found += len(set(ids.tolist()) & set(true.tolist()))
    return round(found / (10 * len(queries)), 4)


def time_search(index, queries: np.ndarray, k: int = 64, reps: int = 2) -> float:
    """p50 of one dense search (ms)."""
    times = []
    for _ in range(reps):
        for q in queries:
            t = time.perf_counter()
            index.search(q, k)
            times.append((time.perf_counter() - t) * 1000)
    return pct(times[len(queries) // 4 :], 50)


def bench_synthetic(size: int, root: Path, vectors: dict, sweep: bool) -> dict:
    from bot.ann.faiss_backend import FaissVectorIndex
    from bot.answer.retrieval import Retriever
    from bot.index.builder import build_index
    from bot.index.store import IndexStore
    from bot.index.version import IndexVersion
    from bot.segment.factory import create_segmenter
    from bot.settings import Settings

    texts, unit_vecs = vectors["units"]
    table = dict(zip(texts, unit_vecs, strict=True))
    questions, question_vecs = vectors["questions"]
    dim = unit_vecs.shape[1]
    folder = root / f"corpus-{size}"
    synthetic_documents(size, folder / "knowledge")
    segmenter = create_segmenter("underthesea")
    settings = Settings(
        _env_file=None, knowledge_dir=folder / "knowledge", index_dir=folder / "index", max_upload_mb=500
    )
    embedder = make_cached_embedder(table, dim)
    started = time.time()
    result = build_index(settings, embedder, segmenter)
    build_s = time.time() - started
    version = IndexVersion(IndexStore(settings.index_dir).active_path())
    built_kind = version.manifest["vector_kind"]
    matrix = np.vstack([version.vectors.vector(i) for i in range(len(version.units))]).astype(np.float32)
    built_index = version.vectors
    out: dict = {}
    for kind in ("flat", "hnsw"):
        if kind == built_kind:
            version.vectors = built_index
            size_mb = dir_mb(version.path)
        else:  # the other FAISS index over the same vectors, for comparison
            alt = FaissVectorIndex(dim, expected_size=len(matrix), hnsw_min_units=1 if kind == "hnsw" else 10**12)
            alt.add(matrix)
            alt.save(folder / f"alt-{kind}.faiss")
            version.vectors = alt
            size_mb = (
                dir_mb(version.path)
                - (version.path / "vectors.faiss").stat().st_size / 1048576
                + (folder / f"alt-{kind}.faiss").stat().st_size / 1048576
            )
        retriever = Retriever(version, embedder, segmenter, fusion_weight=0.1)
        if kind == "flat":  # reading the message (normalisation, segmentation, terms) is the same for both
            parse, queries = [], []
            for q in questions:
                t = time.perf_counter()
                queries.append(retriever.query(q))
                parse.append((time.perf_counter() - t) * 1000)
            out["query_parse_ms"] = {"p50": pct(parse, 50), "p95": pct(parse, 95)}
        latencies = []
        for _ in range(2):
            for query, vec in zip(queries, question_vecs, strict=True):
                embedder.next_query = vec
                if getattr(query, "vectors", None) is not None:
                    query.vectors = None  # no vectors kept from the previous pass
                t = time.perf_counter()
                retriever.retrieve(query)
                latencies.append((time.perf_counter() - t) * 1000)
        latencies = latencies[len(questions) // 4 :]  # warm-up
        out[kind] = {
            "p50": pct(latencies, 50),
            "p95": pct(latencies, 95),
            "dense_p50": time_search(version.vectors, question_vecs),
            "recall_at_10": recall_at_10(version.vectors, matrix, question_vecs),
            "index_mb": round(size_mb, 2),
        }
        log(f"  {size} units, {kind}: {out[kind]}")
    out["units"] = result.units
    out["build_s"] = round(build_s, 1)
    out["built"] = built_kind
    if embedder.misses:
        out["vector_misses"] = embedder.misses
    if size == 10_000:  # an admin adds one small document to a large corpus
        shutil.copy(HERE / "tests" / "data" / "docs" / "quy-dinh-99-kiem-thu.txt", folder / "knowledge" / "qd99.txt")
        started = time.time()
        added = build_index(settings, embedder, segmenter)
        out["incremental_add"] = {
            "units": added.units,
            "embedded": added.embedded,
            "cached": added.cached,
            "seconds": round(time.time() - started, 1),
        }
        log(f"  add one document to {size}: {out['incremental_add']}")
    if sweep:
        out["sweep"] = sweep_hnsw(matrix, question_vecs)
    shutil.rmtree(folder, ignore_errors=True)
    return out


def sweep_hnsw(matrix: np.ndarray, queries: np.ndarray) -> dict:
    """HNSW parameters on these vectors, and flat vs HNSW on prefixes (the switch threshold)."""
    import faiss

    from bot.ann.faiss_backend import FaissVectorIndex
    from bot.threads import threads

    out: dict = {"params": [], "crossover": []}
    for m, ef_c in ((32, 80), (32, 200), (48, 200)):
        with threads(0):
            t = time.time()
            index = FaissVectorIndex(matrix.shape[1], len(matrix), 1, m=m, ef_construction=ef_c)
            index.add(matrix)
            built = time.time() - t
        for ef_s in (128, 256, 384, 512):
            index.index.hnsw.efSearch = ef_s
            row = {
                "M": m,
                "efConstruction": ef_c,
                "efSearch": ef_s,
                "build_s": round(built, 1),
                "recall_at_10": recall_at_10(index, matrix, queries),
                "search_ms": time_search(index, queries, reps=1),
            }
            out["params"].append(row)
            log(f"    sweep {row}")
        del index
    for n in (5_000, 20_000, 50_000):
        if n > len(matrix):
            break
        flat = FaissVectorIndex(matrix.shape[1], n, 10**12)
        flat.add(matrix[:n])
        hnsw = FaissVectorIndex(matrix.shape[1], n, 1)
        with threads(0):
            hnsw.add(matrix[:n])
        row = {
            "units": n,
            "flat_ms": time_search(flat, queries),
            "hnsw_ms": time_search(hnsw, queries),
            "hnsw_recall_at_10": recall_at_10(hnsw, matrix[:n], queries),
        }
        out["crossover"].append(row)
        log(f"    crossover {row}")
        del flat, hnsw
    faiss.omp_set_num_threads(1)
    return out


def measured_threshold(search: dict) -> dict:
    """Where HNSW starts to beat exact search, from the dense search times measured at each size."""
    points = []
    for size, res in search.items():
        points.append((int(size), res["flat"]["dense_p50"], res["hnsw"]["dense_p50"], res["hnsw"]["recall_at_10"]))
        for row in res.get("sweep", {}).get("crossover", []):
            points.append((row["units"], row["flat_ms"], row["hnsw_ms"], row["hnsw_recall_at_10"]))
    points.sort()
    faster = [n for n, flat, hnsw, recall in points if hnsw < flat and recall >= 0.97]
    return {"points": [list(p) for p in points], "hnsw_faster_from": min(faster) if faster else None}


# --- real corpus -------------------------------------------------------------------------------
def serving_env(index_dir: Path) -> dict:
    env = dict(os.environ, HOIDAP_INDEX_DIR=str(index_dir), PYTHONPATH=str(REPO))
    env.pop("HOIDAP_ANSWER_CACHE_SIZE", None)
    return env


def child_rss_mb(cmd: list[str], env: dict, stdin: bytes) -> tuple[float, float]:
    """(peak RSS in MB, seconds) of one subprocess."""
    t = time.time()
    proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    proc.stdin.write(stdin)
    proc.stdin.close()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f"{cmd} failed with {proc.returncode}")
    return round(usage.ru_maxrss / 1024, 1), time.time() - t


def bench_real(questions_file: Path, root: Path) -> dict:
    from bot.evaluate import load_rows
    from bot.index.builder import build_index
    from bot.service import Assistant
    from bot.settings import get_settings

    base = get_settings()
    settings = base.model_copy(update={"index_dir": root / "real-index", "answer_cache_size": 0, "query_cache_size": 0})
    assistant = Assistant(settings)
    t = time.time()
    assistant.embedder.ensure_loaded()
    load_s = time.time() - t

    t = time.time()
    result = build_index(settings, assistant.embedder, assistant.segmenter)
    build_s = time.time() - t
    units = [u.text for u in assistant.index.current().units]

    try:
        from bot.threads import threads
    except ImportError:  # pragma: no cover - revisions before threads were set
        from contextlib import nullcontext as threads
    reps = 3
    with threads(settings.build_threads):  # as a build embeds
        assistant.embedder.embed_passages(units[:4])
        t = time.time()
        for _ in range(reps):
            assistant.embedder.embed_passages(units)
        embed_rate = reps * len(units) / (time.time() - t)

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
    # The query embedding alone, as the answerer calls it (adapter included), one question at a time.
    embed_ms = []
    query_embedder = assistant.answerer.embedder
    for _ in range(3):
        for row in rows:
            t = time.perf_counter()
            query_embedder.embed_queries([row["q"]])
            embed_ms.append((time.perf_counter() - t) * 1000)

    env = serving_env(settings.index_dir)
    cmd = [sys.executable, "-m", "bot", "ask"]
    cold = []
    for _ in range(3):
        t = time.time()
        subprocess.run([*cmd, "Người đứng đầu phải thế nào?"], env=env, cwd=REPO, capture_output=True, check=True)
        cold.append(time.time() - t)
    stdin = "".join(row["q"].replace("\n", " ") + "\n" for row in rows).encode("utf-8")
    peak, _ = child_rss_mb([*cmd, "--json", "-"], env, stdin)
    return {
        "answer_latency_ms": {
            "p50": pct(latencies, 50),
            "p95": pct(latencies, 95),
            "questions": len(rows),
            "source": questions_file.name,
        },
        "query_embedding_ms": {"p50": pct(embed_ms, 50), "p95": pct(embed_ms, 95)},
        "embed_units_per_s": round(embed_rate, 1),
        "build_s": round(build_s, 2),
        "build_units": result.units,
        "model_load_s": round(load_s, 2),
        "peak_rss_mb": peak,
        "cold_start_s": round(min(cold), 2),
        "embedder": getattr(assistant.embedder, "model_id", "?"),
    }


# --- comparison with another revision -----------------------------------------------------------
def run_other_revision(rev: str, argv: list[str], cache: Path) -> dict:
    """This bench, run on revision ``rev`` checked out in a temporary worktree; its JSON report."""
    tmp = Path(tempfile.mkdtemp(prefix="hoidap-bench-rev-"))
    worktree = tmp / "checkout"
    subprocess.run(
        ["git", "-C", str(HERE), "worktree", "add", "--detach", str(worktree), rev], check=True, capture_output=True
    )
    try:
        if (HERE / "models").is_dir():
            (worktree / "models").symlink_to(HERE / "models")
        env = dict(os.environ, PYTHONPATH=str(worktree))
        cmd = [sys.executable, str(Path(__file__).resolve()), *argv, "--repo", str(worktree), "--cache", str(cache)]
        log(f"== revision {rev} ({worktree}) ==")
        proc = subprocess.run(cmd, env=env, cwd=worktree, stdout=subprocess.PIPE, check=True)
        return json.loads(proc.stdout)
    finally:
        subprocess.run(["git", "-C", str(HERE), "worktree", "remove", "--force", str(worktree)], capture_output=True)
        subprocess.run(["git", "-C", str(HERE), "worktree", "prune"], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


def ratios(ours, theirs):
    """ours / theirs for every number both reports have (same nesting)."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        out = {k: ratios(ours[k], theirs[k]) for k in ours if k in theirs}
        return {k: v for k, v in out.items() if v is not None and v != {}}
    if isinstance(ours, int | float) and isinstance(theirs, int | float) and not isinstance(ours, bool) and theirs:
        return round(ours / theirs, 3)
    return None


HEADLINE = [
    ("search p50 at 10k (ms)", ("search_latency_ms", "10000", "p50")),
    ("search p50 at 100k (ms)", ("search_latency_ms", "100000", "p50")),
    ("recall@10 at 10k", ("search_latency_ms", "10000", "recall_at_10")),
    ("recall@10 at 100k", ("search_latency_ms", "100000", "recall_at_10")),
    ("answer latency p50 (ms)", ("answer_latency_ms", "p50")),
    ("query embedding p50 (ms)", ("query_embedding_ms", "p50")),
    ("embedding (units/s)", ("embed_units_per_s",)),
    ("build of 100k units (s)", ("search_latency_ms", "100000", "build_s")),
    ("cold start (s)", ("cold_start_s",)),
    ("peak RSS serving (MB)", ("peak_rss_mb",)),
]


def _get(report: dict, path: tuple[str, ...]):
    for key in path:
        if not isinstance(report, dict) or key not in report:
            return None
        report = report[key]
    return report


def print_comparison(rev: str, ours: dict, theirs: dict) -> None:
    log(f"\n{'figure':<28} {'this tree':>12} {rev[:12]:>12} {'ratio':>8}")
    for label, path in HEADLINE:
        a, b = _get(ours, path), _get(theirs, path)
        r = f"{a / b:.2f}" if isinstance(a, int | float) and isinstance(b, int | float) and b else "-"
        log(f"{label:<28} {a!s:>12} {b!s:>12} {r:>8}")


# --- main -------------------------------------------------------------------------------------
REPO = HERE


# --- many leaflets: quality and latency with 50 loaded ---------------------------------------------
_TYPES = [("Kế hoạch", "KH"), ("Nghị quyết", "NQ"), ("Quy định", "QĐ"), ("Hướng dẫn", "HD"), ("Kết luận", "KL")]


def distractor_leaflets(folder: Path, count: int, seed: int = 3) -> None:
    """``count`` leaflets in the layout of ours, walked from our corpus' own sentences (overlapping
    vocabulary, so they are real competitors), each with its own number: 8 questions of 6 items."""
    corpus = HERE / "eval" / "corpus" / "docs"
    # Table rows of our .txt leaflets ("a | b") are walked as words: a cell bar would make a table of items.
    texts = [p.read_text(encoding="utf-8").replace(" | ", ", ") for p in sorted(corpus.glob("*.txt"))]
    chain = SentenceChain(texts, seed)
    folder.mkdir(parents=True, exist_ok=True)
    for d in range(count):
        kind, code = _TYPES[d % len(_TYPES)]
        lines = [
            f"HỎI - ĐÁP Về {kind} số {500 + d}-{code}/TU, ngày 01/01/2025 của Ban Thường vụ Tỉnh ủy về "
            f"{chain.sentence(6, 12).lower()}"
        ]
        for q in range(1, 9):
            lines += [f"Câu hỏi {q}: {chain.sentence(6, 12)} {chain.rng.choice(_TAILS)}", "Trả lời:"]
            lines += [f"({i}) {chain.sentence(8, 22)}." for i in range(1, 7)]
        (folder / f"distractor-{d:03d}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def bench_many(root: Path, total: int) -> dict:
    """Our leaflets answered alone and among ``total`` leaflets (the rest generated distractors), with the
    installed calibration: quality on our labelled messages side by side, and answer latency against
    one leaflet (the seed)."""
    from bot.answer.answerer import Answerer
    from bot.answer.corpus import load_corpus
    from bot.answer.lodo import Workbench, score
    from bot.embed.adapter import AdaptedEmbedder
    from bot.index.manager import FixedIndex
    from bot.service import Assistant
    from bot.settings import Settings

    settings = Settings(_env_file=None, index_dir=root / "many-index", data_dir=root / "many-data")
    assistant = Assistant(settings)
    corpus = load_corpus()
    bench = Workbench(settings, assistant.embedder, assistant.segmenter, corpus, folder=root / "many")
    ours = sorted(corpus.leaflets)
    distractors = root / "distractors"
    distractor_leaflets(distractors, max(total - len(ours), 0))
    out: dict = {"leaflets": {}, "quality": {}, "answer_p50_ms": {}}
    questions = [r["q"] for r in corpus.rows][:300]

    def answerer(version):
        return Answerer(
            FixedIndex(version),
            AdaptedEmbedder(assistant.embedder, assistant.answerer.embedder.adapter),
            assistant.segmenter,
            assistant.calibration,
            cache_size=0,
        )

    def latency(version) -> float:
        a = answerer(version)
        for q in questions[:20]:
            a.answer(q)  # warm
        times = []
        for q in questions:
            t = time.perf_counter()
            a.answer(q)
            times.append((time.perf_counter() - t) * 1000)
        return pct(times, 50)

    seed_only = bench.index(["46"])
    ours_only = bench.index(ours)
    sources = root / "many-sources"
    sources.mkdir(parents=True, exist_ok=True)
    for key in ours:
        path = bench.file(key)
        shutil.copyfile(path, sources / path.name)
    for path in distractors.glob("*.txt"):
        shutil.copyfile(path, sources / path.name)
    from bot.index.builder import build_scratch

    log(f"  building {len(list(sources.iterdir()))} leaflets …")
    everything = build_scratch(settings, assistant.embedder, assistant.segmenter, [sources], root / "many-all")
    many = str(len(everything.documents))
    for name, version in (("1", seed_only), (str(len(ours)), ours_only), (many, everything)):
        out["leaflets"][name] = {
            "documents": len(version.documents),
            "answers": sum(1 for g in version.groups if g.question_number is not None),
            "units": len(version.units),
        }
        out["answer_p50_ms"][name] = latency(version)
        if version is not seed_only:
            report, _ = score(answerer(version), bench.rows(corpus.rows, version))
            out["quality"][name] = {
                "inscope_lenient": round(report.inscope_top1, 3),
                "oos_reject": round(report.oos_reject, 3),
                "wrong_answers": report.wrong_answers,
                "one_tap_reach": round(report.one_tap_reach, 3),
            }
    out["p50_ratio_many_to_one"] = round(out["answer_p50_ms"][many] / out["answer_p50_ms"]["1"], 2)
    return out


def bench_variants(root: Path, rounds: int = 2) -> dict:
    """What the build-time variants (bot.documents.variants) cost: our corpus' leaflets built from cold
    caches with and without them, alternately, ``rounds`` times each (the faster of each kept: the
    machine is shared). Units are exact; seconds are wall-clock."""
    import bot.documents.variants as variants
    from bot.answer.corpus import load_corpus
    from bot.embed.factory import create_embedder
    from bot.index.builder import build_scratch
    from bot.segment.factory import create_segmenter
    from bot.settings import Settings

    corpus = load_corpus()
    sources = root / "variants-sources"
    sources.mkdir(parents=True, exist_ok=True)
    for leaflet in corpus.leaflets.values():
        shutil.copyfile(leaflet.source, sources / leaflet.source.name)
    base = Settings(_env_file=None)
    embedder, segmenter = create_embedder(base), create_segmenter(base.segmenter)
    kept = (variants.question_core, variants.item_head)
    arms: dict = {"without": {"s": []}, "with": {"s": []}}
    try:
        for r in range(rounds):
            for arm in ("without", "with"):
                if arm == "without":
                    variants.question_core = variants.item_head = lambda text: None
                else:
                    variants.question_core, variants.item_head = kept
                folder = root / f"variants-{arm}-{r}"
                settings = base.model_copy(update={"index_dir": folder / "index", "data_dir": folder / "data"})
                t = time.perf_counter()
                version = build_scratch(settings, embedder, segmenter, [sources], folder / "built")
                arms[arm]["s"].append(time.perf_counter() - t)
                arms[arm]["units"] = len(version.units)
    finally:
        variants.question_core, variants.item_head = kept
    out = {arm: {"units": v["units"], "build_s": round(min(v["s"]), 2)} for arm, v in arms.items()}
    out["documents"] = len(corpus.leaflets)
    out["units_ratio"] = round(out["with"]["units"] / out["without"]["units"], 2)
    out["build_ratio"] = round(out["with"]["build_s"] / out["without"]["build_s"], 2)
    return out


def bench_ocr(root: Path, workers: int = 0) -> dict:
    """OCR throughput: the seed leaflet as a 200 dpi scan (tests/corpus.py), read from a cold OCR cache at
    the default settings (300 dpi, ``workers`` pages at once: 0 = every core), then again from the warm
    cache (what a rebuild costs). Pages per second of the whole reading (render, clean-up, Tesseract,
    corrections, layout), in this process — the sandbox's own start-up is not counted."""
    sys.path.insert(0, str(REPO))
    from bot.documents.ocr import OcrConfig
    from bot.documents.readers import ReadOptions, read_document
    from tests.corpus import leaflet_pdf, scanned_pdf

    seed = REPO / "knowledge" / "chi-thi-46-CT-TU-hoi-dap.txt"
    scan = scanned_pdf(leaflet_pdf(seed, root / "ocr" / "seed.pdf"), root / "ocr" / "seed-scan.pdf")
    config = OcrConfig(cache_path=root / "ocr" / "ocr.sqlite", workers=workers)
    options = ReadOptions(config)
    read_document(root / "ocr" / "warm-up.txt", data="Câu hỏi 1: Có không?\nTrả lời: Có.".encode(), options=options)
    from bot.documents.ocrfix import lexicon

    lexicon()  # built once per process: not part of a page's cost
    t = time.perf_counter()
    cold = read_document(scan, options=options)
    cold_s = time.perf_counter() - t
    t = time.perf_counter()
    read_document(scan, options=options)
    warm_s = time.perf_counter() - t
    pages = len(cold.ocr["pages"])
    return {
        "pages": pages,
        "dpi": config.dpi,
        "workers": config.worker_count(),
        "cold_s": round(cold_s, 2),
        "pages_per_s": round(pages / cold_s, 3),
        "tesseract_s_per_page": round(sum(p["seconds"] for p in cold.ocr["pages"]) / pages, 2),
        "cached_s": round(warm_s, 2),
        "cached_pages_per_s": round(pages / warm_s, 1),
    }


def main() -> None:
    global REPO
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    default_q = HERE.parent / "shared" / "eval" / "dev.jsonl"
    parser.add_argument(
        "--questions", type=Path, default=default_q if default_q.exists() else HERE / "eval" / "holdout.jsonl"
    )
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "hoidap-bench-cache")
    parser.add_argument("--compare-to", metavar="REV", help="also run this bench on git revision REV")
    parser.add_argument("--sweep", action="store_true", help="HNSW parameters and the flat/HNSW crossover")
    parser.add_argument("--repo", type=Path, default=None, help=argparse.SUPPRESS)  # the checkout to measure
    parser.add_argument("--skip-real", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--leaflets", type=int, default=50, help="quality and latency with this many leaflets loaded (0: skip)"
    )
    parser.add_argument(
        "--variants", action="store_true", help="build cost of the build-time variants (with vs without)"
    )
    parser.add_argument("--ocr", action="store_true", help="OCR pages per second (a scan of the seed leaflet)")
    args = parser.parse_args()
    REPO = (args.repo or HERE).resolve()
    sys.path.insert(0, str(REPO))
    os.chdir(REPO)  # relative paths of the settings (models/, knowledge/) are the checkout's
    import bot

    log(
        f"measuring {Path(bot.__file__).parent} ({subprocess.run(['git', '-C', str(REPO), 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True).stdout.strip()})"
    )
    sizes = [int(s) for s in args.sizes.split(",") if s]
    cache = VectorCache(args.cache)
    root = Path(tempfile.mkdtemp(prefix="hoidap-bench-"))
    started = time.time()
    try:
        vectors = prepare_vectors(root, cache, sizes) if sizes else None
        report: dict = {}
        if not args.skip_real:
            log("real corpus …")
            report.update(bench_real(args.questions, root))
        search, size_mb = {}, {}
        for size in sizes:
            log(f"synthetic corpus of {size} units …")
            res = bench_synthetic(size, root, vectors, args.sweep and size == max(sizes))
            kind = res["built"]  # what the builder chose with the default hnsw_min_units
            search[str(size)] = {
                "p50": res[kind]["p50"],
                "p95": res[kind]["p95"],
                "recall_at_10": res[kind]["recall_at_10"],
                "dense_p50": res[kind]["dense_p50"],
                "index": kind,
                "units": res["units"],
                "build_s": res["build_s"],
                "flat": res["flat"],
                "hnsw": res["hnsw"],
            }
            for extra in ("sweep", "vector_misses", "query_parse_ms"):
                if extra in res:
                    search[str(size)][extra] = res[extra]
            size_mb[str(size)] = res[kind]["index_mb"]
            if "incremental_add" in res:
                report["incremental_add_10k"] = res["incremental_add"]
        if sizes:
            report["search_latency_ms"] = search
            report["index_mb"] = size_mb
            report["hnsw_threshold_measured"] = measured_threshold(search)
        if args.ocr:
            log("OCR of a scanned leaflet …")
            report["ocr"] = bench_ocr(root)
        if args.variants:
            log("build-time variants: with and without …")
            report["variants"] = bench_variants(root)
        if args.leaflets:
            log(f"{args.leaflets} leaflets …")
            report["many_leaflets"] = bench_many(root, args.leaflets)
        from bot.settings import Settings

        report["hnsw_min_units"] = Settings(_env_file=None).hnsw_min_units
        report["total_s"] = round(time.time() - started, 1)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if args.compare_to:
        argv = ["--sizes", args.sizes, "--questions", str(args.questions.resolve())]
        theirs = run_other_revision(args.compare_to, argv, args.cache.resolve())
        print_comparison(args.compare_to, report, theirs)
        report = {**report, "compare": {"rev": args.compare_to, "theirs": theirs, "ratios": ratios(report, theirs)}}
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
