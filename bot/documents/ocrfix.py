"""Correct the Vietnamese letters OCR confuses, before the text is parsed.

Tesseract reads the letters of a Vietnamese word well and its marks less well: ``hỏi`` comes back as
``hòi``, ``ở`` as ``ỏ``, ``ư`` as ``u``, ``đ`` as ``d``. A quoted answer must be the official text
exactly, so a word is corrected when the evidence says so, using only general knowledge of Vietnamese
— never the document being read:

- *well-formed syllables*: the shape test of the legacy-encoding judge
  (:func:`bot.documents.encoding.is_syllable`) and the syllables of the Viet74K dictionary
  (:func:`bot.text.syllable.dictionary_syllables`) say which words can exist at all;
- *a lexicon of words*: the dictionary's entries of two syllables or more (``câu hỏi``, ``trách
  nhiệm``) say which neighbours go together.

A word is replaced only by a dictionary syllable with the same letters and at most two different marks
(tone, or the marks of ă â ê ô ơ ư đ). A word that is not a syllable at all is replaced by the
candidate that best fits its neighbours (or is most common); a word that is a syllable but forms no
dictionary word with either neighbour is replaced only when a candidate does (``Câu hòi`` → ``Câu
hỏi``). Words of other shapes (numbers, abbreviations, names in capitals) are left alone.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import cache

from bot.documents.encoding import is_syllable
from bot.text.normalize import canonical, fold

_TOKEN_RE = re.compile(r"^([^\w]*)([^\W\d_]+)([^\w]*)$")
MAX_MARK_CHANGES = 2


@dataclass(frozen=True)
class Lexicon:
    syllables: frozenset[str]
    pairs: dict[tuple[str, str], int]  # neighbouring syllables of a dictionary word -> how common (1-4)
    frequency: Counter  # dictionary entries a syllable occurs in
    by_skeleton: dict[str, tuple[str, ...]]  # "hoi" -> ("hoi", "hỏi", "hơi", "hội", …)
    text_unigrams: Counter  # syllables of general running text
    text_bigrams: Counter  # neighbouring syllables of general running text


# underthesea's word lists, most common words first: a word in the smaller list is the more common one.
_TIERS = (("Viet11K.txt", 4), ("Viet22K.txt", 3), ("Viet39K.txt", 2), ("Viet74K.txt", 1))
# General Vietnamese running text: the VLSP 2013 tagged test set underthesea ships with its POS tagger.
_TEXT = "pipeline/pos_tag/models/pos_crf_vlsp2013_20230303/test_output.txt"


def _underthesea_file(relative: str):
    from bot.text.syllable import _dictionary_path

    path = _dictionary_path()  # .../underthesea/corpus/data/Viet74K.txt
    if path is None:
        return None
    candidate = path.parents[2] / relative
    return candidate if candidate.is_file() else None


@cache
def lexicon() -> Lexicon:
    """Built once from general Vietnamese resources shipped with underthesea (see :mod:`bot.text.syllable`):
    its word lists (which syllables go together, and how common the word is) and the running text of its
    POS tagger's test set (how often syllables follow each other in prose)."""
    from bot.text.syllable import dictionary_syllables

    syllables = dictionary_syllables()
    pairs: dict[tuple[str, str], int] = {}
    frequency: Counter = Counter()
    for name, weight in _TIERS:
        path = _underthesea_file(f"corpus/data/{name}")
        if path is None:
            continue
        for entry in path.read_text(encoding="utf-8").splitlines():
            words = canonical(entry.split(",")[0]).lower().replace("-", " ").split()
            if not words or not all(w in syllables for w in words):
                continue
            if weight == 1:
                frequency.update(set(words))
            for pair in zip(words, words[1:], strict=False):
                pairs[pair] = max(pairs.get(pair, 0), weight)
    unigrams: Counter = Counter()
    bigrams: Counter = Counter()
    text = _underthesea_file(_TEXT)
    if text is not None:
        previous = None
        for line in text.read_text(encoding="utf-8").splitlines():
            token = canonical(line.split("\t")[0]).lower() if line.strip() else ""
            parts = token.split() if token and all(s in syllables for s in token.split()) else []
            if not parts:
                previous = None  # punctuation, numbers, names, sentence ends: no neighbour across them
                continue
            unigrams.update(parts)
            if previous is not None:
                bigrams[(previous, parts[0])] += 1
            bigrams.update(zip(parts, parts[1:], strict=False))
            previous = parts[-1]
    groups: dict[str, list[str]] = {}
    for s in syllables:
        groups.setdefault(fold(s), []).append(s)
    return Lexicon(syllables, pairs, frequency, {k: tuple(sorted(v)) for k, v in groups.items()}, unigrams, bigrams)


def pair_score(lex: Lexicon, a: str | None, b: str | None) -> float:
    """How strongly ``a b`` go together: a common dictionary word, or often seen together in prose."""
    if a is None or b is None:
        return 0.0
    return lex.pairs.get((a, b), 0) + 2 * math.log1p(lex.text_bigrams[(a, b)])


def prior(lex: Lexicon, s: str) -> float:
    return 0.5 * math.log1p(lex.text_unigrams[s]) + 0.2 * math.log1p(lex.frequency[s])


def _marks(word: str) -> list[str]:
    """The combining marks of each letter (and đ's stroke), letter by letter."""
    out = []
    for ch in word:
        decomposed = unicodedata.normalize("NFD", ch)
        out.append(decomposed[1:] + ("\u0335" if ch in "đĐ" else ""))
    return out


def mark_changes(a: str, b: str) -> int:
    """How many letters carry different marks in two words of the same skeleton (tone counted once)."""
    if len(a) != len(b):
        return MAX_MARK_CHANGES + 1
    tones = set("\u0301\u0300\u0309\u0303\u0323")
    ma, mb = _marks(a), _marks(b)
    quality = sum(1 for x, y in zip(ma, mb, strict=True) if set(x) - tones != set(y) - tones)
    tone_a = next((c for m in ma for c in m if c in tones), None)
    tone_b = next((c for m in mb for c in m if c in tones), None)
    return quality + (tone_a != tone_b)


def _restore_case(original: str, word: str) -> str:
    if original.isupper() and len(original) > 1:
        return word.upper()
    if original[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


@dataclass
class Correction:
    before: str
    after: str


# Weights measured (scripts/measure_ocr.py): no false correction on 23,000 words of clean typed text
# (the eleven leaflets of the corpus, read as if OCR had been 96% sure of each word) while a scan's misread
# marks are corrected.
MARK_COST = 1.5  # each changed mark costs this much evidence
MARGIN = 2.5  # a correction must win by this much
KEEP = 6.0  # confidence points of Tesseract per unit of evidence for what it read
TAKEN = 5.0  # a neighbour this bound to its other neighbour (a common word) lends no support


def correct_words(words: list[str], confidences: list[float] | None = None) -> tuple[list[str], list[Correction]]:
    """The words (in reading order) with OCR confusions corrected, and what was changed.

    Each syllable-shaped word is weighed against the dictionary syllables with the same letters and at
    most two other marks: how well each goes with its neighbours (dictionary words, prose), how common
    it is, how many marks it changes, and how sure Tesseract was of what it read. A neighbour already
    bound more strongly to its other neighbour lends no support: in ``Có quan điểm`` the ``quan`` of
    ``quan điểm`` does not argue for ``Cơ quan``.
    """
    lex = lexicon()
    sure = confidences or [100.0] * len(words)
    cores: list[str | None] = []
    for w in words:
        m = _TOKEN_RE.match(w)
        core = canonical(m.group(2)).lower() if m else None
        cores.append(core if core and is_syllable(core) else None)
    out = list(words)
    changes: list[Correction] = []
    for i, word in enumerate(words):
        core = cores[i]
        if core is None:
            continue
        m = _TOKEN_RE.match(word)
        original = m.group(2)
        if original.isupper() and len(original) > 1:
            continue  # headings in capitals: marks are read well there, and acronyms look like syllables
        prev = cores[i - 1] if i > 0 and not _ends_clause(words[i - 1]) and m.group(1) == "" else None
        nxt = cores[i + 1] if i + 1 < len(words) and not _ends_clause(word) else None
        # A neighbour bound to its other neighbour is taken.
        prev_taken = pair_score(lex, cores[i - 2], prev) if i > 1 and prev and not _ends_clause(words[i - 2]) else 0.0
        next_ok = nxt is not None and i + 2 < len(words) and not _ends_clause(words[i + 1])
        next_taken = pair_score(lex, nxt, cores[i + 2]) if next_ok else 0.0

        def evidence(c: str, prev=prev, nxt=nxt, prev_taken=prev_taken, next_taken=next_taken) -> float:
            left = pair_score(lex, prev, c)
            right = pair_score(lex, c, nxt)
            return (left if prev_taken < TAKEN else 0.0) + (right if next_taken < TAKEN else 0.0) + prior(lex, c)

        candidates = [
            c for c in lex.by_skeleton.get(fold(core), ()) if c != core and mark_changes(core, c) <= MAX_MARK_CHANGES
        ]
        if not candidates:
            continue
        kept = evidence(core) + max(0.0, sure[i] - 50) / KEEP + (0.0 if core in lex.syllables else -3.0)

        def value(c: str, core=core) -> float:
            return evidence(c) - MARK_COST * mark_changes(core, c)

        best = max(candidates, key=value)
        if value(best) <= kept + MARGIN:
            continue
        fixed = _restore_case(original, best)
        out[i] = f"{m.group(1)}{fixed}{m.group(3)}"
        cores[i] = best
        changes.append(Correction(word, out[i]))
    return out, changes


# Marks no Vietnamese prose has, which specks of dust on a scan are read as.
_NOISE = set("_`ˆ~|¦¬°•·‘’'")
_GLUED_DOT = re.compile(r"(?<=[a-zà-ỹđ])[.](?=[a-zà-ỹđ])")
_GLUED_HYPHEN = re.compile(r"(?<=[a-zà-ỹđ])-(?=[a-zà-ỹđ])")


def drop_specks(words: list[str], confidences: list[float], line_starts: set[int]) -> list[int]:
    """Indexes of the words to keep, and the words cleaned in place: dust read as punctuation.

    Dust becomes a lone ``.``/``-``/``:`` that Tesseract is unsure of, a mark no prose has (``_``, `````),
    a dot or hyphen glued between two lowercase words (``cá.thể``, ``quyết-định``), a hyphen glued in
    front of a word (a bullet is followed by a space), or a full stop before a lowercase word.
    """
    keep = []
    for i, w in enumerate(words):
        if all(ch in _NOISE for ch in w):
            continue
        bullet = w in ("-", "–", "+", "•") and i in line_starts
        punctuation = not any(ch.isalnum() for ch in w) and w not in ("“", "”", '"')
        if punctuation and not bullet and (confidences[i] < 70 or len(w) > 1):
            continue
        w = "".join(ch for ch in w if ch not in _NOISE) or w
        w = _GLUED_DOT.sub(" ", w)
        w = re.sub(r"(?<=\))[.](?=\w)", " ", w)
        if not any(ch.isdigit() for ch in w):
            w = _GLUED_HYPHEN.sub(" ", w)
        if len(w) > 1 and w[0] in "-_" and w[1].isalpha():
            w = w[1:]
        if len(w) > 2 and w[-1] == "-" and w[-2].isalpha():
            w = w[:-1]  # Vietnamese prose is not hyphenated at line ends
        w = re.sub(r"^[{\[](?=\d{1,3}\))", "(", w)  # "{5)" is an item number "(5)"
        w = re.sub(r"(?<=\))-(?=\w)", " ", w)
        w = re.sub(r"([,.;:])[,.;:]+$", r"\1", w) if not w.endswith("...") else w
        words[i] = w
        keep.append(i)
    for k, i in enumerate(keep[:-1]):
        here, after = words[i], words[keep[k + 1]]
        if re.search(r"[^.][.]{1,2}$", here) and after[:1].islower():
            words[i] = here.rstrip(".")  # no sentence ends before a lowercase word
        elif here.endswith("..") and not here.endswith("..."):
            words[i] = here[:-1]
    return keep


def _ends_clause(word: str) -> bool:
    """A word followed by punctuation does not form a compound with the next one."""
    return bool(re.search(r"[.,;:!?)\]”\"]$", word))


_QUOTE_OPEN = re.compile(r'(^|[\s(\[])"(?=\S)')


def typographic_quotes(text: str) -> str:
    """Straight double quotes as the curly ones Vietnamese typesetting uses (“…”): OCR cannot tell them
    apart, and Word, which most leaflets come from, types the curly ones."""
    text = _QUOTE_OPEN.sub(lambda m: f"{m.group(1)}“", text)
    return text.replace('"', "”")
