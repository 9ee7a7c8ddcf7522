"""What a Vietnamese syllable can be: phonotactics plus the syllables of a real dictionary.

Chat normalisation must decide, token by token, whether ``trachs`` is a word typed
with the input method off (Telex for ``trách``) or something to leave alone
(``xoong``, ``ads``, ``ct46``). Two facts decide it:

- *shape*: a syllable is an initial consonant, a rhyme, a tone; a word with any
  other shape (``trachs``: no Vietnamese rhyme ends in ``chs``) cannot be
  Vietnamese as typed;
- *existence*: the syllable occurs in a dictionary. The dictionary is
  underthesea's own Viet74K word list (shipped with the package we already use
  for segmentation), read as a data file so nothing heavy is imported.

The rhyme inventory is read from the same dictionary (rhymes of its native-shaped
syllables), not written by hand.
"""

from __future__ import annotations

import importlib.util
import re
import unicodedata
from functools import cache
from pathlib import Path

from bot.text.normalize import TONE_MARKS, fold, normalize

# Initial consonants, longest first so "ngh" wins over "ng" and "n".
ONSETS = tuple(
    sorted(
        "b c ch d đ g gh gi h k kh l m n ng ngh nh p ph qu r s t th tr v x".split(),
        key=len,
        reverse=True,
    )
)
_VOWELS = "aăâeêioôơuưy"
_RHYME_SHAPE = re.compile(rf"^[{_VOWELS}]{{1,3}}(?:c|ch|m|n|ng|nh|p|t)?$")
_STOP_FINAL = re.compile(r"(?:c|ch|p|t)$")
# Tones allowed on a syllable closed by a stop consonant: sắc and nặng (and none, as typed).
_STOP_TONES = {None, "\u0301", "\u0323"}
_DICTIONARY = "underthesea/corpus/data/Viet74K.txt"


def split_tone(syllable: str) -> tuple[str, str | None]:
    """``"trách"`` → (``"trach"``, acute accent). Quality marks (â, ơ…) stay."""
    decomposed = unicodedata.normalize("NFD", syllable)
    tone = next((c for c in decomposed if c in TONE_MARKS), None)
    bare = "".join(c for c in decomposed if c not in TONE_MARKS)
    return unicodedata.normalize("NFC", bare), tone


def split_onset(bare: str) -> tuple[str, str]:
    """(initial consonant, rhyme) of a toneless syllable; ``gi``/``qu`` before a vowel are initials."""
    for onset in ONSETS:
        if bare.startswith(onset) and len(bare) > len(onset):
            rest = bare[len(onset) :]
            if onset in ("gi", "qu") and rest[0] not in _VOWELS:
                continue
            return onset, rest
    if bare in ("gi",):  # "gì": the i is the vowel
        return "g", "i"
    return "", bare


def _dictionary_path() -> Path | None:
    spec = importlib.util.find_spec("underthesea")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))).parent / _DICTIONARY
    return path if path.is_file() else None


@cache
def dictionary_syllables() -> frozenset[str]:
    """The Vietnamese-shaped syllables of the Viet74K word list, in our normal form.

    Loanwords (``ballad``) and the list's few typos (``vòmg``) are left out by the shape check.
    """
    return frozenset(s for s in _raw_syllables() if is_shaped(s))


@cache
def _raw_syllables() -> frozenset[str]:
    path = _dictionary_path()
    if path is None:
        return frozenset()
    out = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        for tok in normalize(line).split():
            if tok.isalpha():
                out.add(tok)
    return frozenset(out)


@cache
def dictionary_folded() -> frozenset[str]:
    """The dictionary's syllables without any mark (``ông`` → ``ong``): what unaccented typing can mean."""
    return frozenset(fold(s) for s in dictionary_syllables())


@cache
def rhymes() -> frozenset[str]:
    """Rhymes of the dictionary's native-shaped syllables (seen in at least two syllables)."""
    counts: dict[str, int] = {}
    for syl in _raw_syllables():
        bare, _ = split_tone(syl)
        _, rhyme = split_onset(bare)
        if _RHYME_SHAPE.match(rhyme):
            counts[rhyme] = counts.get(rhyme, 0) + 1
    return frozenset(r for r, n in counts.items() if n >= 2)


def is_shaped(token: str) -> bool:
    """True when ``token`` (lowercase, as typed, with or without marks) has a Vietnamese syllable's shape."""
    if not token.isalpha():
        return False
    bare, tone = split_tone(token)
    onset, rhyme = split_onset(bare)
    if rhyme not in rhymes() and _fold_quality(rhyme) not in _folded_rhymes():
        return False
    # A syllable closed by c/ch/p/t takes only sắc or nặng.
    return tone in _STOP_TONES or not _STOP_FINAL.search(rhyme)


def is_word(token: str) -> bool:
    """True when ``token`` is a real syllable: right shape and in the dictionary."""
    return is_shaped(token) and token in dictionary_syllables()


_QUALITY = str.maketrans("ăâêôơư", "aaeoou")


def _fold_quality(rhyme: str) -> str:
    return rhyme.translate(_QUALITY)


@cache
def _folded_rhymes() -> frozenset[str]:
    """Rhymes typed without quality marks (``uong`` for ``ương``): members type unaccented."""
    return frozenset(_fold_quality(r) for r in rhymes())
