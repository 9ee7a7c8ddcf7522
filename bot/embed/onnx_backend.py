"""Embedder on onnxruntime: the exported model without torch (fast start, small memory).

Reads ``<model>/onnx/`` written by ``hoidap setup-model`` (:mod:`bot.embed.onnx_export`):
the fp32 graph by default — the vectors of sentence-transformers to 1e-6, so the shipped
calibration holds — with its weights memory-mapped (only the embedding rows a text uses
become resident, and processes share them), or the int8 one (``HOIDAP_ONNX_INT8``). Tokenisation is the
model's own tokenizer as a SentencePiece model (same ids as ``tokenizer.json``, 7 MB instead
of 290 MB); the rare text it would read differently (a literal ``<s>``/``<mask>``, trailing
space) goes to ``tokenizers`` with ``tokenizer.json``, loaded only then. Mean pooling and
normalisation are done in numpy exactly as the sentence-transformers modules do them.

With int8 every text runs on its own, never padded into a batch: dynamic quantisation
scales activations over the whole input tensor, so a text's vector would otherwise
depend on which other texts shared its batch (the embedding caches rely on a text always
getting the same vector). fp32 has no such coupling and batches texts of similar length.
Several runs use several cores side by side (``bot.threads``: one in a serving process,
every core while building).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from bot.embed.base import Embedder
from bot.embed.onnx_export import FP32, INT8, MARKER, SPECIAL_PIECES, TOKENIZER, is_exported, onnx_dir
from bot.errors import ModelError
from bot.settings import DEFAULT_MODEL_DIR, Settings
from bot.text.normalize import canonical

MAX_TOKENS = 512
PAD_ID = 1  # <pad> of XLM-R's vocabulary (masked out: its value never matters)
# fp32 batches: up to this many texts, or padded tokens, per run.
BATCH_TEXTS = 32
BATCH_TOKENS = 4096
PAD_SLACK = 1.25  # a text joins a batch only if the batch's longest is at most this much longer


class OnnxEmbedder(Embedder):
    """The exported default model (or any BERT-like folder exported the same way) on onnxruntime."""

    def __init__(self, settings: Settings) -> None:
        self.model_dir = Path(settings.model)
        self.query_prompt = settings.query_prompt
        self.passage_prompt = settings.passage_prompt
        self.int8 = settings.onnx_int8
        self.threads = settings.torch_threads
        if settings.model_segmented:
            raise ModelError(
                "Bộ nhúng ONNX chưa hỗ trợ mô hình cần tách từ; dùng HOIDAP_EMBEDDER=sentence-transformers."
            )
        variant = "int8" if self.int8 else "fp32"
        try:
            info = json.loads((onnx_dir(self.model_dir) / MARKER).read_text(encoding="utf-8"))
            # What makes the vectors: the source model and the graph file of this variant.
            recipe = json.dumps([info.get("source"), info.get("files", {}).get(INT8 if self.int8 else FP32)])
        except (OSError, ValueError):
            recipe = "missing"
        key = f"{recipe}|{variant}|q={self.query_prompt}|p={self.passage_prompt}"
        self.model_id = f"{self.model_dir.name}-onnx-{variant}#{hashlib.sha1(key.encode()).hexdigest()[:10]}"
        self.dim = 0
        self._session = None
        self._tokenizer = None
        self._fallback = None  # tokenizers' Tokenizer for the texts SentencePiece would read otherwise
        self._lock = threading.Lock()

    # --- loading -------------------------------------------------------------------------
    def _load(self):
        with self._lock:
            if self._session is None:
                self._session, self._tokenizer = self._load_model()
        return self._session

    def _load_model(self):
        if not is_exported(self.model_dir):
            how = (
                "hoidap setup-model"
                if str(self.model_dir) == DEFAULT_MODEL_DIR
                else f"hoidap setup-model ({self.model_dir})"
            )
            raise ModelError(f"Chưa có bản ONNX của mô hình tại {onnx_dir(self.model_dir)}. Chạy: {how}")
        try:
            import onnxruntime as ort
            import sentencepiece

            from bot.threads import set_threads

            set_threads(self.threads)
            options = ort.SessionOptions()
            # One thread per run: texts run side by side instead (see the module docstring), and a
            # serving process must not spin idle threads on cores other processes need.
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.log_severity_level = 3
            path = onnx_dir(self.model_dir) / (INT8 if self.int8 else FP32)
            session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            tokenizer = sentencepiece.SentencePieceProcessor(model_file=str(onnx_dir(self.model_dir) / TOKENIZER))
            self._max = self._max_tokens()
            self.dim = int(session.get_outputs()[0].shape[-1])
            return session, tokenizer
        except ModelError:
            raise
        except Exception as e:
            raise ModelError(f"Không tải được mô hình ONNX {self.model_dir}: {e}") from e

    def _max_tokens(self) -> int:
        """The model's maximum sequence length (tokenizer_config.json), as sentence-transformers uses it."""
        try:
            config = json.loads((self.model_dir / "tokenizer_config.json").read_text(encoding="utf-8"))
            return min(int(config.get("model_max_length", MAX_TOKENS)), MAX_TOKENS)
        except (OSError, ValueError):
            return MAX_TOKENS

    def ensure_loaded(self) -> None:
        """Load the model now (start-up), rather than on the first question."""
        self._load()

    # --- embedding -----------------------------------------------------------------------
    def token_ids(self, text: str) -> list[int]:
        """The ids sentence-transformers would feed the model: ``<s>`` text ``</s>``, cut at the model's maximum."""
        if text[-1:].isspace() or any(p in text for p in SPECIAL_PIECES):
            return self._fallback_ids(text)
        return [0, *self._tokenizer.encode(text)[: self._max - 2], 2]

    def _fallback_ids(self, text: str) -> list[int]:
        with self._lock:
            if self._fallback is None:
                from tokenizers import Tokenizer

                self._fallback = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
                self._fallback.no_padding()
                self._fallback.enable_truncation(self._max)
        return self._fallback.encode(text).ids

    def _one(self, token_ids: list[int]) -> np.ndarray:
        ids = np.asarray([token_ids], dtype=np.int64)
        mask = np.ones_like(ids)
        hidden = self._session.run(None, {"input_ids": ids, "attention_mask": mask})[0][0]
        # Mean over the tokens (no padding: every token counts), then unit length, in float32 like
        # sentence-transformers' Pooling and Normalize modules.
        vec = hidden.sum(axis=0, dtype=np.float32) / np.float32(len(hidden))
        return vec / max(float(np.linalg.norm(vec)), 1e-12)

    def _batch(self, token_lists: list[list[int]]) -> np.ndarray:
        """Vectors of texts of similar length run together, padded; fp32 only (see :meth:`_embed`)."""
        width = max(len(t) for t in token_lists)
        ids = np.full((len(token_lists), width), PAD_ID, dtype=np.int64)
        mask = np.zeros((len(token_lists), width), dtype=np.int64)
        for row, tokens in enumerate(token_lists):
            ids[row, : len(tokens)] = tokens
            mask[row, : len(tokens)] = 1
        hidden = self._session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        weights = mask[:, :, None].astype(np.float32)
        vecs = (hidden * weights).sum(axis=1, dtype=np.float32) / weights.sum(axis=1)
        return vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)

    def _embed(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Vectors of ``texts``, each the same whatever the texts beside it.

        int8 runs every text alone (its activations are scaled per run). fp32 batches texts of
        similar length (sorted, so padding is small): masked attention and per-row matrix
        products give every text the vector it gets alone up to float rounding (≤ 1e-7, tested),
        and a batch keeps the matrix units busy where one 20-token text would not (~1.5x). Batches (or texts) run side by side
        on the threads the process may use.
        """
        from bot.threads import current

        self._load()
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        tokens = [self.token_ids(t) for t in texts]
        order = sorted(range(len(texts)), key=lambda i: -len(tokens[i]))  # longest first: no core waits alone
        if self.int8:
            jobs = [[i] for i in order]
        else:
            jobs, job = [], []
            for i in order:
                longest = len(tokens[job[0]]) if job else 0  # every row is padded to the first
                if job and (
                    len(job) >= BATCH_TEXTS
                    or (len(job) + 1) * longest > BATCH_TOKENS
                    or longest > PAD_SLACK * len(tokens[i])
                ):
                    jobs.append(job)
                    job = []
                job.append(i)
            jobs.append(job)

        def run(job: list[int]) -> np.ndarray:
            if len(job) == 1:
                return self._one(tokens[job[0]])[None, :]
            return self._batch([tokens[i] for i in job])

        def put(job: list[int], vecs: np.ndarray) -> None:
            out[job] = vecs
            if progress:
                progress(len(job))

        workers = min(current(), len(jobs))
        if workers <= 1:
            for job in jobs:
                put(job, run(job))
        else:
            with ThreadPoolExecutor(workers, thread_name_prefix="embed") as pool:
                for job, vecs in zip(jobs, pool.map(run, jobs), strict=True):
                    put(job, vecs)
        return out

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed([self.query_prompt + canonical(t) for t in texts])

    def embed_passages(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        return self._embed([self.passage_prompt + canonical(t) for t in texts], progress)
