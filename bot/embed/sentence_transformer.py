"""Embedder backed by sentence-transformers (default: multilingual-e5-small, offline)."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from bot.embed.base import Embedder
from bot.errors import ModelError
from bot.segment.base import Segmenter
from bot.settings import DEFAULT_MODEL_DIR, Settings
from bot.text.normalize import canonical

log = logging.getLogger(__name__)


_CONFIG_FILES = ("config.json", "modules.json", "config_sentence_transformers.json", "tokenizer_config.json")


def _identity(model: str) -> str:
    """What identifies a model's vectors: a hub id, or a local folder's configuration and weights size.

    A local folder is recognised by content, not by path, so moving the checkout or
    running from another working directory keeps the embedding cache valid.
    """
    folder = Path(model).expanduser()
    if not folder.is_dir():
        return model
    digest = hashlib.sha1()
    for name in _CONFIG_FILES:
        f = folder / name
        if f.is_file():
            digest.update(name.encode() + f.read_bytes())
    for weights in sorted(folder.glob("*.safetensors")) + sorted(folder.glob("*.bin")):
        digest.update(f"{weights.name}:{weights.stat().st_size}".encode())
    return f"local:{digest.hexdigest()}"


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model, configured by name/path, prompts and segmentation.

    Inputs are canonicalized (NFC, one tone placement) first, and word-segmented
    with the configured segmenter when the model expects it (PhoBERT-based ones).
    """

    def __init__(self, settings: Settings, segmenter: Segmenter | None = None) -> None:
        self.model_name = settings.model
        self.query_prompt = settings.query_prompt
        self.passage_prompt = settings.passage_prompt
        self.segmented = settings.model_segmented
        self.segmenter = segmenter
        self.batch_size = settings.embed_batch_size
        self.device = settings.device
        self.threads = settings.torch_threads
        if self.segmented and segmenter is None:
            raise ModelError("Mô hình cần văn bản đã tách từ nhưng chưa có bộ tách từ.")
        recipe = f"{_identity(self.model_name)}|q={self.query_prompt}|p={self.passage_prompt}|seg={self.segmented}"
        self.model_id = f"{Path(self.model_name).name}#{hashlib.sha1(recipe.encode()).hexdigest()[:10]}"
        self._model = None
        self._lock = threading.Lock()
        self.dim = 0

    def _load(self):
        with self._lock:
            if self._model is None:
                self._model = self._load_model()
                self.dim = int(self._model.get_embedding_dimension())
        return self._model

    def _load_model(self):
        path = Path(self.model_name)
        if self.model_name == DEFAULT_MODEL_DIR and not path.is_dir():
            raise ModelError(f"Chưa có mô hình mặc định tại {path}. Chạy: hoidap setup-model (hoặc make run).")
        try:
            import transformers
            from sentence_transformers import SentenceTransformer

            from bot.threads import set_threads

            set_threads(self.threads)
            transformers.utils.logging.disable_progress_bar()
            transformers.utils.logging.set_verbosity_error()
            return SentenceTransformer(self.model_name, device=self.device)
        except Exception as e:
            raise ModelError(f"Không tải được mô hình {self.model_name!r}: {e}") from e

    def ensure_loaded(self) -> None:
        """Load the model now (start-up), rather than on the first question."""
        self._load()

    def _prepare(self, texts: Sequence[str], prompt: str) -> list[str]:
        out = []
        for t in texts:
            t = canonical(t)
            if self.segmented:
                t = self.segmenter.segment(t)
            out.append(prompt + t)
        return out

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        model = self._load()
        vecs = model.encode(
            self._prepare(texts, self.query_prompt),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vecs, dtype=np.float32).reshape(len(texts), -1)

    def embed_passages(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        model = self._load()
        prepared = self._prepare(texts, self.passage_prompt)
        # Batch texts of similar length together: padding a short unit to the
        # length of a long answer would multiply the work.
        order = sorted(range(len(prepared)), key=lambda i: len(prepared[i]))
        out = np.zeros((len(prepared), self.dim), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            vecs = model.encode(
                [prepared[i] for i in batch],
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            out[batch] = np.asarray(vecs, dtype=np.float32)
            if progress:
                progress(len(batch))
        return out
