"""Vietnamese text normalization shared by documents and queries.

Both sides of every comparison go through the same functions, so a member who
types ``uỷ`` (new tone placement), ``ủy`` (traditional), decomposed Unicode from
a phone keyboard, or no diacritics at all still meets the official wording.

- :func:`canonical` — NFC, one tone-mark placement, collapsed spaces. Case kept.
- :func:`normalize` — ``canonical`` then lowercase: the form used for matching.
- :func:`fold` — diacritics removed (``đ`` → ``d``): the form unaccented queries meet.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Combining tone marks (the five Vietnamese tones other than level).
TONE_MARKS = {"\u0301", "\u0300", "\u0309", "\u0303", "\u0323"}
# Vowel-quality marks stay attached to their letter (â, ă, ê, ô, ơ, ư).
_QUALITY_MARKS = {"\u0302", "\u0306", "\u031b"}
_VOWELS = set("aăâeêioôơuưy")
_QUALITY_VOWELS = set("ăâêôơư")
_WORD_RE = re.compile(r"\w+", re.UNICODE)
_SPACE_RE = re.compile(r"\s+")


@lru_cache(maxsize=200_000)
def _place_tone(word: str) -> str:
    """Re-place the tone mark of one syllable using the traditional convention.

    Traditional placement (``hòa``, ``thủy``, ``ủy``) is what the province's
    official documents use. Rules: a vowel with a quality mark takes the tone
    (``ơ`` in ``ươ``); otherwise, with a final consonant, the last vowel of the
    nucleus; in an open syllable, the first of two vowels or the middle of three.
    ``qu`` and ``gi`` (before another vowel) count as initial consonants.
    """
    decomposed = unicodedata.normalize("NFD", word)
    tone = None
    letters: list[str] = []  # base letter + quality marks, NFC
    current = ""
    for ch in decomposed:
        if unicodedata.combining(ch):
            if ch in TONE_MARKS:
                tone = ch
            else:
                current += ch
        else:
            if current:
                letters.append(unicodedata.normalize("NFC", current))
            current = ch
    if current:
        letters.append(unicodedata.normalize("NFC", current))
    if tone is None:
        return unicodedata.normalize("NFC", word)

    lower = [c.lower() for c in letters]
    start = 0
    if (
        len(lower) >= 2
        and lower[0] == "q"
        and lower[1] == "u"
        or len(lower) >= 3
        and lower[0] == "g"
        and lower[1] == "i"
        and lower[2] in _VOWELS
    ):
        start = 2
    else:
        while start < len(lower) and lower[start] not in _VOWELS:
            start += 1
    end = start
    while end < len(lower) and lower[end] in _VOWELS:
        end += 1
    nucleus = list(range(start, end))
    if not nucleus:
        # "gi" or "qu" alone with the tone ("gì"): the i/u is the vowel.
        nucleus = [i for i, c in enumerate(lower) if c in _VOWELS][-1:]
        if not nucleus:
            return unicodedata.normalize("NFC", word)
    quality = [i for i in nucleus if lower[i] in _QUALITY_VOWELS]
    if quality:
        target = quality[-1]
    elif end < len(lower):  # closed syllable: last vowel of the nucleus
        target = nucleus[-1]
    elif len(nucleus) == 3:
        target = nucleus[1]
    else:
        target = nucleus[0]
    letters[target] = letters[target] + tone
    return unicodedata.normalize("NFC", "".join(letters))


def canonical(text: str) -> str:
    """NFC, traditional tone placement, single spaces, stripped. Case is kept."""
    text = unicodedata.normalize("NFC", text)
    text = _WORD_RE.sub(_word_tone, text)
    return _SPACE_RE.sub(" ", text).strip()


def _word_tone(match: re.Match) -> str:
    return _place_tone(match.group(0))  # cached: a corpus has few distinct syllables


def normalize(text: str) -> str:
    """The matching form: :func:`canonical` then lowercase."""
    return canonical(text).lower()


def _fold_table() -> dict[int, int | None]:
    """Latin letters with marks → base letter; combining marks → removed; đ → d."""
    table: dict[int, int | None] = {}
    for cp in list(range(0x00C0, 0x0250)) + list(range(0x1E00, 0x1F00)):
        ch = chr(cp)
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        if len(base) == 1 and base != ch:
            table[cp] = ord(base)
    for cp in range(0x0300, 0x0370):  # decomposed input: drop the marks themselves
        table[cp] = None
    table[ord("đ")] = ord("d")
    table[ord("Đ")] = ord("d")
    return table


_FOLD = _fold_table()


def fold(text: str) -> str:
    """Remove every diacritic (``đ`` → ``d``) and lowercase: ``Tỉnh ủy`` → ``tinh uy``."""
    return text.lower().translate(_FOLD)


def has_diacritics(text: str) -> bool:
    """True when the text carries any Vietnamese diacritic (or đ)."""
    return fold(text) != text.lower()


def syllables(text: str) -> list[str]:
    """Lowercased word tokens (syllables, numbers) of normalized text, punctuation dropped."""
    return _WORD_RE.findall(normalize(text))
