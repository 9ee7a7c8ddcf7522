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
    pairs: frozenset[tuple[str, str]]  # neighbouring syllables of a dictionary word
    frequency: Counter  # dictionary entries a syllable occurs in
    by_skeleton: dict[str, tuple[str, ...]]  # "hoi" -> ("hoi", "hỏi", "hơi", "hội", …)


@cache
def lexicon() -> Lexicon:
    """Built once from the Viet74K word list shipped with underthesea (see :mod:`bot.text.syllable`)."""
    from bot.text.syllable import _dictionary_path, dictionary_syllables

    syllables = dictionary_syllables()
    pairs: set[tuple[str, str]] = set()
    frequency: Counter = Counter()
    path = _dictionary_path()
    if path is not None:
        for entry in path.read_text(encoding="utf-8").splitlines():
            words = canonical(entry).lower().replace("-", " ").split()
            if not words or not all(w in syllables for w in words):
                continue
            frequency.update(set(words))
            pairs.update(zip(words, words[1:], strict=False))
    groups: dict[str, list[str]] = {}
    for s in syllables:
        groups.setdefault(fold(s), []).append(s)
    return Lexicon(syllables, frozenset(pairs), frequency, {k: tuple(sorted(v)) for k, v in groups.items()})


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


@cache
def _partners() -> tuple[Counter, Counter]:
    """How many different syllables follow (first) and precede (second) each syllable in the lexicon."""
    follows: Counter = Counter()
    precedes: Counter = Counter()
    for a, b in lexicon().pairs:
        follows[a] += 1
        precedes[b] += 1
    return follows, precedes


SURE = 93  # Tesseract confidence above which a dictionary word is changed only on strong evidence
RARER = 4  # a dictionary word this many times rarer than a candidate is a likely misreading of it
BOUND = 4  # a syllable with at most this many partners on one side is all but bound to them ("đùn đẩy")


def correct_words(words: list[str], confidences: list[float] | None = None) -> tuple[list[str], list[Correction]]:
    """The words (in reading order) with OCR confusions corrected, and what was changed.

    ``confidences`` (Tesseract's, 0-100, one per word) decide how much evidence a change needs: a word
    Tesseract was sure of and that exists is changed only when a neighbour all but requires another one.
    """
    lex = lexicon()
    follows, precedes = _partners()
    sure = confidences or [100.0] * len(words)
    cores: list[str | None] = []
    for w in words:
        m = _TOKEN_RE.match(w)
        cores.append(canonical(m.group(2)).lower() if m else None)
    out = list(words)
    changes: list[Correction] = []
    for i, word in enumerate(words):
        core = cores[i]
        if core is None or not is_syllable(core):
            continue
        m = _TOKEN_RE.match(word)
        original = m.group(2)
        if original.isupper() and len(original) > 1:
            continue  # headings in capitals: marks are read well there, and acronyms look like syllables
        prev = cores[i - 1] if i > 0 and not _ends_clause(words[i - 1]) and m.group(1) == "" else None
        nxt = cores[i + 1] if i + 1 < len(words) and not _ends_clause(word) else None

        def context(s: str, prev=prev, nxt=nxt) -> int:
            return int(prev is not None and (prev, s) in lex.pairs) + int(nxt is not None and (s, nxt) in lex.pairs)

        def bound(s: str, prev=prev, nxt=nxt) -> bool:
            return (prev is not None and (prev, s) in lex.pairs and follows[prev] <= BOUND) or (
                nxt is not None and (s, nxt) in lex.pairs and precedes[nxt] <= BOUND
            )

        known = core in lex.syllables
        if known and context(core) > 0:
            continue
        candidates = [
            c for c in lex.by_skeleton.get(fold(core), ()) if c != core and mark_changes(core, c) <= MAX_MARK_CHANGES
        ]
        if not candidates:
            continue

        def score(c: str, core=core) -> tuple[int, float]:
            return (context(c), math.log1p(lex.frequency[c]) - mark_changes(core, c))

        best = max(candidates, key=score)
        if known:
            if context(best) == 0:
                continue  # a real word, and nothing says another one was meant
            rare = lex.frequency[best] >= RARER * max(1, lex.frequency[core])  # "hòi" beside "hỏi"
            if not bound(best) and (sure[i] >= SURE or not rare):
                continue  # nothing but a weak hint against a word Tesseract read: keep what it read
        elif context(best) == 0 and mark_changes(core, best) > 1:
            continue  # a guess with neither context nor a near spelling: leave it for the admin
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
