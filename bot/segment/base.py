"""The Segmenter interface: split Vietnamese text into words.

Vietnamese writes words as space-separated syllables; a segmenter joins the
syllables of one word (``thủ trưởng`` → ``thủ_trưởng``) so lexical matching and
word-level models (PhoBERT) see words rather than syllables.
"""

from __future__ import annotations

from abc import ABC, abstractmethod


class Segmenter(ABC):
    """Turns a sentence into a list of words (multi-syllable words joined by ``_``)."""

    name: str = "base"

    @property
    def cache_id(self) -> str:
        """Identifies this segmenter's output (its name and version) in the build's segmentation cache."""
        return self.name

    @abstractmethod
    def words(self, text: str) -> list[str]:
        """Return the words of ``text`` in order, syllables of one word joined with ``_``."""

    def tag(self, text: str) -> list[tuple[str, str | None]]:
        """Words with a part-of-speech tag (N, V, A…) where the backend knows one."""
        return [(w.replace("_", " "), None) for w in self.words(text)]

    def segment(self, text: str) -> str:
        """Return ``text`` as space-separated words (the input PhoBERT-style models expect)."""
        return " ".join(self.words(text))
