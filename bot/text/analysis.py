"""Lexical analysis of questions and passages, diacritic- and typo-aware.

A question typed with diacritics is compared on its exact (normalized)
syllables, so ``chi`` does not match ``chỉ``; one typed without any is compared
on folded syllables. :class:`Lexicon` holds what the indexed corpus contains
(syllables, adjacent pairs, segmented words, and in how many answers each
syllable appears) and corrects one-letter typos against it.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import pairwise

from bot.text.normalize import fold, normalize
from bot.text.stopwords import QUESTION_PHRASES, STOPWORDS
from bot.text.syllable import dictionary_folded

_WORD_RE = re.compile(r"\w+")
FOLDED_STOPWORDS = _FOLDED_STOPWORDS = frozenset(fold(w) for w in STOPWORDS)
_FOLDED_PHRASES = tuple(tuple(fold(t) for t in p) for p in QUESTION_PHRASES)


def tokens(text: str) -> list[str]:
    """Normalized syllables (lowercase, NFC, one tone placement), punctuation dropped."""
    return _WORD_RE.findall(normalize(text))


def syllables_of_canonical(text: str) -> list[str]:
    """:func:`tokens` of a text already in :func:`bot.text.normalize.canonical` form."""
    return _WORD_RE.findall(text.lower())


def lexical_terms(text: str) -> list[str]:
    """Terms for the keyword index: folded syllables plus folded adjacent pairs.

    Folding lets unaccented questions meet accented text; pairs keep some word
    order (``cap_uy`` ≠ ``uy ... cap``) without needing a segmenter.
    """
    return terms_of_tokens(tokens(text))


def terms_of_tokens(toks: list[str]) -> list[str]:
    """:func:`lexical_terms` of a text already split by :func:`tokens`."""
    folded = [fold(t) for t in toks]
    return folded + [a + "_" + b for a, b in pairwise(folded)]


class TextProfile:
    """The lexical footprint of a passage (or of the whole corpus)."""

    __slots__ = ("accented", "folded", "pairs", "folded_pairs", "words")

    def __init__(self, accented=(), folded=(), pairs=(), folded_pairs=(), words=()) -> None:
        self.accented = set(accented)
        self.folded = set(folded)
        self.pairs = set(pairs)
        self.folded_pairs = set(folded_pairs)
        self.words = set(words)

    @classmethod
    def of(cls, text: str, words: Iterable[str] = ()) -> TextProfile:
        profile = cls()
        profile.add(text, words)
        return profile

    def add(self, text: str, words: Iterable[str] = ()) -> None:
        toks = tokens(text)
        folded = [fold(t) for t in toks]
        self.accented.update(toks)
        self.folded.update(folded)
        self.pairs.update(a + "_" + b for a, b in pairwise(toks))
        self.folded_pairs.update(a + "_" + b for a, b in pairwise(folded))
        self.words.update(w.lower() for w in words if "_" in w)

    def to_dict(self) -> dict:
        return {k: sorted(getattr(self, k)) for k in self.__slots__}

    @classmethod
    def from_dict(cls, data: dict) -> TextProfile:
        return cls(**data)


@dataclass
class Lexicon:
    """Corpus vocabulary, answer-level document frequencies and a typo index."""

    profile: TextProfile
    df: dict[str, int]  # folded syllable -> number of answers containing it
    n_groups: int
    _deletes: dict[str, list[str]] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, group_texts: Iterable[tuple[str, Iterable[str]]]) -> Lexicon:
        """``group_texts``: (text of one answer group, its segmented words)."""
        profile = TextProfile()
        df: Counter = Counter()
        n = 0
        for text, words in group_texts:
            profile.add(text, words)
            df.update({fold(t) for t in tokens(text)})
            n += 1
        return cls(profile, dict(df), n)

    def idf(self, token: str) -> float:
        return math.log(1 + (self.n_groups + 1) / (self.df.get(fold(token), 0) + 0.5))

    def _delete_index(self) -> dict[str, list[str]]:
        if not self._deletes:
            index: dict[str, list[str]] = {}
            for word in self.profile.folded:
                if len(word) < 3:
                    continue
                for i in range(len(word)):
                    index.setdefault(word[:i] + word[i + 1 :], []).append(word)
            self._deletes = index
        return self._deletes

    def correct(self, folded_token: str) -> str | None:
        """The corpus syllable one edit away from ``folded_token`` (most frequent), if any.

        A real Vietnamese syllable the corpus happens not to use (``ông`` in "mấy ông") is a
        word, not a typo: only tokens that no dictionary syllable folds to are corrected.
        """
        if len(folded_token) < 3 or folded_token in self.profile.folded or folded_token in dictionary_folded():
            return None
        index = self._delete_index()
        candidates: set[str] = set(index.get(folded_token, ()))  # a letter was dropped
        for i in range(len(folded_token)):
            deleted = folded_token[:i] + folded_token[i + 1 :]
            if deleted in self.profile.folded:  # a letter was added
                candidates.add(deleted)
            candidates.update(index.get(deleted, ()))  # a letter was replaced/swapped
        candidates.discard(folded_token)
        if not candidates:
            return None
        return max(sorted(candidates), key=lambda w: self.df.get(w, 0))

    def to_dict(self) -> dict:
        return {"profile": self.profile.to_dict(), "df": self.df, "n_groups": self.n_groups}

    @classmethod
    def from_dict(cls, data: dict) -> Lexicon:
        return cls(TextProfile.from_dict(data["profile"]), data["df"], data["n_groups"])


@dataclass
class QueryTerms:
    """The content of a question: what it asks about, minus how it asks."""

    text: str
    tokens: list[str]
    fixed: list[str]  # tokens with one-letter typos corrected against the corpus
    accented: bool
    content: list[str]  # content syllables (typos corrected where the corpus allows)
    pairs: list[tuple[str, str]]  # adjacent content syllables
    words: list[str]  # multi-syllable words from the segmenter (accented questions only)
    corrected: set[str]

    @classmethod
    def of(
        cls, text: str, lexicon: Lexicon | None = None, words: Iterable[str] = (), restored: str | None = None
    ) -> QueryTerms:
        """``restored``: the same text with diacritics put back (one word per typed word); it tells
        whether an unmarked ``dau`` is ``đầu`` (content) or ``đâu`` (a question word)."""
        toks = tokens(text)
        accented = any(fold(t) != t for t in toks)
        is_stop = _stop_mask(toks, accented)
        if restored is not None:
            back = tokens(restored)
            if len(back) == len(toks):
                is_stop = [
                    stop if fold(t) != t or fold(r) == r else _stop_mask([r], True)[0]
                    for t, r, stop in zip(toks, back, is_stop, strict=True)
                ]
        corrected: set[str] = set()
        fixed = list(toks)
        if lexicon is not None:
            for i, t in enumerate(toks):
                if is_stop[i] or fold(t) in lexicon.profile.folded:
                    continue
                fix = lexicon.correct(fold(t))
                if fix is not None:
                    fixed[i] = fix
                    corrected.add(fix)
        content = [t for t, s in zip(fixed, is_stop, strict=True) if not s]
        pairs = [(a, b) for (a, sa), (b, sb) in pairwise(zip(fixed, is_stop, strict=True)) if not sa and not sb]
        seg = [w.lower() for w in words if "_" in w and not _is_function_word(w)]
        return cls(text, toks, fixed, accented, content, pairs, seg, corrected)

    def keyword_terms(self) -> list[str]:
        """Terms for the keyword index (see :func:`lexical_terms`), typos corrected."""
        folded = [fold(t) for t in self.fixed]
        return folded + [a + "_" + b for a, b in pairwise(folded)]

    def has(self, profile: TextProfile, token: str) -> float:
        """1 if ``token`` occurs in ``profile``, 0.5 if only by folding or a typo fix, else 0.

        Judged word by word: members often mark some words and not others ("cap tren thì…"), so a
        word typed without marks meets the corpus folded, and a marked one must match its marks.
        """
        if token in self.corrected:
            return 0.5 if token in profile.folded else 0.0
        if fold(token) != token:
            if token in profile.accented:
                return 1.0
            # Same letters with other marks: a likely slip, half credit.
            return 0.5 if fold(token) in profile.folded else 0.0
        return 1.0 if token in profile.folded else 0.0

    def has_pair(self, profile: TextProfile, a: str, b: str) -> bool:
        marked = fold(a) != a and fold(b) != b
        if marked and a not in self.corrected and b not in self.corrected:
            return a + "_" + b in profile.pairs
        return fold(a) + "_" + fold(b) in profile.folded_pairs


def _is_function_word(word: str) -> bool:
    """``như_thế_nào``, ``bao_nhiêu``: a segmented word made only of question syllables."""
    parts = word.lower().split("_")
    return all(p in STOPWORDS for p in parts) or tuple(fold(p) for p in parts) in _FOLDED_PHRASES


def _stop_mask(toks: list[str], accented: bool) -> list[bool]:
    """Which syllables are function words or part of a question phrase (a word typed without
    marks is compared without marks, whatever the rest of the message)."""
    stop = [(t in STOPWORDS) if fold(t) != t else (t in _FOLDED_STOPWORDS) for t in toks]
    folded = [fold(t) for t in toks]
    for phrase in _FOLDED_PHRASES:
        n = len(phrase)
        for i in range(len(toks) - n + 1):
            if tuple(folded[i : i + n]) == phrase:
                for j in range(i, i + n):
                    stop[j] = True
    return stop
