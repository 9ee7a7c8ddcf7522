"""Word segmentation with underthesea's CRF model, imported narrowly.

``import underthesea`` runs the package ``__init__``, which pulls in
transformers and costs seconds. The segmenter needs only
``underthesea.pipeline.word_tokenize`` and the CRF tagger, so we load those
submodules under a placeholder parent package and never execute the heavy one.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types
from collections.abc import Callable

from bot.errors import ConfigError
from bot.segment.base import Segmenter

_lock = threading.Lock()
_word_tokenize: Callable | None = None


def _load_narrowly(module: str):
    """Import ``underthesea.<...>`` without executing ``underthesea/__init__.py``."""
    if "underthesea" in sys.modules:  # the real package is already loaded: use it
        return importlib.import_module(module)
    spec = importlib.util.find_spec("underthesea")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("Chưa cài underthesea (pip install underthesea).")
    placeholder = types.ModuleType("underthesea")
    placeholder.__path__ = list(spec.submodule_search_locations)
    placeholder.__spec__ = spec
    sys.modules["underthesea"] = placeholder
    try:
        # text_normalize first: underthesea's own __init__ order, which breaks the
        # import cycle between it and word_tokenize.regex_tokenize.
        importlib.import_module("underthesea.pipeline.text_normalize")
        # Imported lazily inside word_tokenize(); load it now, under the placeholder.
        importlib.import_module("underthesea.models.fast_crf_sequence_tagger")
        return importlib.import_module(module)
    finally:
        # Drop the placeholder so a later plain ``import underthesea`` runs the real
        # package; the submodules already loaded stay cached and are reused by it.
        if sys.modules.get("underthesea") is placeholder:
            del sys.modules["underthesea"]


def word_tokenize() -> Callable:
    """Return underthesea's ``word_tokenize``, loading it once per process."""
    global _word_tokenize
    with _lock:
        if _word_tokenize is None:
            _word_tokenize = _load_narrowly("underthesea.pipeline.word_tokenize").word_tokenize
    return _word_tokenize


_pos_predictor = None


def pos_tag(text: str) -> list[tuple[str, str]]:
    """Part-of-speech tags of ``text``'s words (used by the quiz to pick distractors).

    Same steps as ``underthesea.pos_tag``, whose body imports the whole package.
    """
    global _pos_predictor
    words = word_tokenize()(text)
    with _lock:
        if _pos_predictor is None:
            _pos_predictor = _load_narrowly("underthesea.pipeline.pos_tag.model_crf").CRFPOSTagPredictor.Instance()
    return [tuple(pair) for pair in _pos_predictor.predict(words, None)]


class UndertheseaSegmenter(Segmenter):
    """CRF word segmentation trained on VLSP 2013 (underthesea)."""

    name = "underthesea"

    @property
    def cache_id(self) -> str:
        from importlib.metadata import version

        return f"underthesea-{version('underthesea')}"

    def words(self, text: str) -> list[str]:
        if not text.strip():
            return []
        tokens = word_tokenize()(text)
        return [t.replace(" ", "_") for t in tokens]

    def tag(self, text: str) -> list[tuple[str, str | None]]:
        if not text.strip():
            return []
        return pos_tag(text)
