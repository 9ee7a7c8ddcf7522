"""Is this Vietnamese text, and was it typed in a legacy encoding?

Offices still send files typed with the pre-Unicode Vietnamese fonts: TCVN3
(“ABC”, the ``.VnTime`` fonts) and VNI-Windows (the ``VNI-Times`` fonts). Such
text arrives either as 8-bit bytes (a .txt saved by an old editor) or, far more
often, as Unicode that shows the font's Latin-1 letters: ``C©u hái 1`` is
TCVN3 for ``Câu hỏi 1``, ``Caâu hoûi 1`` is VNI. We convert it back when the
conversion turns mostly-invalid syllables into valid Vietnamese ones, and say
so in the preview; otherwise the text is refused for not being Vietnamese.

The judge of both is :func:`syllable_ratio`: the share of words that are
well-formed Vietnamese syllables (onset, vowel nucleus, coda, at most one tone).
It needs no dictionary, accepts text typed without diacritics, and rejects
random characters, foreign scripts and mojibake alike.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# --- TCVN3 (TCVN 5712:1993, VN3 “ABC”) ------------------------------------------------
# Byte 0xA0 + i → character (VN1 positions; VN3 files use the lowercase ones and
# show capitals with a second font on the same codes). Checked against glibc's
# TCVN5712-1 converter.
_TCVN3_HIGH = (
    "\u00a0ĂÂÊÔƠƯĐăâêôơưđẰ\u0300\u0309\u0303\u0301\u0323àảãáạẲằẳẵắẴ"
    "ẮẦẨẪẤỀặầẩẫấậèỂẻẽéẹềểễếệìỉỄẾỒĩíịòỔỏõóọồổỗốộờởỡớợùỖủũúụừửữứựỳỷỹýỵỐ"
)
assert len(_TCVN3_HIGH) == 96
_TCVN3_MAP = {chr(0xA0 + i): ch for i, ch in enumerate(_TCVN3_HIGH)}
_TCVN3_MAP["\u00a0"] = " "
# Characters that only TCVN3 mojibake produces in Vietnamese text (Latin-1 symbols).
_TCVN3_SIGNS = set("¡¢£¤¥¦§¨©ª«¬®¯°±²³´µ¶·¸¹º»¼½¾¿")

# --- VNI-Windows ----------------------------------------------------------------------
# A vowel is typed as its base letter followed by a mark byte; a few letters are one byte.
_ACUTE, _GRAVE, _HOOK, _TILDE, _DOT = "\u0301", "\u0300", "\u0309", "\u0303", "\u0323"
_CIRC, _BREVE = "\u0302", "\u0306"
_VNI_MARKS = {
    "ù": _ACUTE,
    "ø": _GRAVE,
    "û": _HOOK,
    "õ": _TILDE,
    "ï": _DOT,
    "â": _CIRC,
    "ê": _BREVE,
    "á": _CIRC + _ACUTE,
    "à": _CIRC + _GRAVE,
    "å": _CIRC + _HOOK,
    "ã": _CIRC + _TILDE,
    "ä": _CIRC + _DOT,
    "é": _BREVE + _ACUTE,
    "è": _BREVE + _GRAVE,
    "ú": _BREVE + _HOOK,
    "ü": _BREVE + _TILDE,
    "ë": _BREVE + _DOT,
}
_VNI_MARKS.update({k.upper(): v for k, v in list(_VNI_MARKS.items())})
_VNI_LETTERS = {"ô": "ơ", "ö": "ư", "ñ": "đ", "í": "í", "ì": "ì", "æ": "ỉ", "ó": "ĩ", "ò": "ị", "î": "ỵ"}
_VNI_LETTERS.update({k.upper(): v.upper() for k, v in list(_VNI_LETTERS.items())})
_VNI_BASES = set("aeouyAEOUY") | {"ơ", "ư", "Ơ", "Ư"}

ENCODING_NAMES = {"tcvn3": "TCVN3 (ABC)", "vni": "VNI-Windows"}


def tcvn3_to_unicode(text: str) -> str:
    """Convert TCVN3 text shown through Latin-1 (``C©u hái``) to Unicode (``Câu hỏi``).

    Capitals of accented letters share the lowercase codes (another font draws
    them), so a word whose plain letters are all capitals is upper-cased whole.
    """
    out = "".join(_TCVN3_MAP.get(ch, ch) for ch in text)
    out = unicodedata.normalize("NFC", out)

    def caps(m: re.Match) -> str:
        word = m.group(0)
        ascii_letters = [c for c in word if c.isascii() and c.isalpha()]
        if len(ascii_letters) >= 1 and all(c.isupper() for c in ascii_letters) and any(not c.isascii() for c in word):
            return word.upper()
        return word

    return re.sub(r"\w+", caps, out)


def vni_to_unicode(text: str) -> str:
    """Convert VNI-Windows text shown through Latin-1 (``Caâu hoûi``) to Unicode (``Câu hỏi``)."""
    out: list[str] = []
    for ch in text:
        prev = out[-1] if out else ""
        if ch in _VNI_MARKS and prev and unicodedata.normalize("NFD", prev)[0] in _VNI_BASES | {"ơ", "ư"}:
            out[-1] = unicodedata.normalize("NFC", prev + _VNI_MARKS[ch])
        elif ch in _VNI_LETTERS:
            out.append(_VNI_LETTERS[ch])
        else:
            out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


# --- is it Vietnamese? ------------------------------------------------------------------
_TONES = {_ACUTE, _GRAVE, _HOOK, _TILDE, _DOT}
_ONSET = r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|b|c|d|đ|g|h|k|l|m|n|p|r|s|t|v|x)?"
_NUCLEUS = r"(?:[aăâeêioôơuưy]{1,3})"
_CODA = r"(?:ch|ng|nh|c|m|n|p|t)?"
_SYLLABLE_RE = re.compile(f"^{_ONSET}{_NUCLEUS}{_CODA}$")
_LETTERS_RE = re.compile(r"[^\W\d_]+")


@lru_cache(maxsize=65536)  # a corpus has a few thousand distinct words, checked again in every document
def is_syllable(word: str) -> bool:
    """A well-formed Vietnamese syllable, with or without diacritics (``hỏi``, ``hoi``, ``nghiêng``)."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = sum(1 for c in decomposed if c in _TONES)
    if tones > 1:
        return False
    base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
    return bool(_SYLLABLE_RE.match(base))


def syllable_ratio(text: str, sample: int = 20_000) -> tuple[float, int]:
    """Share of letter runs that are Vietnamese syllables, and how many runs were judged."""
    words = _LETTERS_RE.findall(text[: sample * 8])[:sample]
    if not words:
        return 0.0, 0
    ok = sum(1 for w in words if is_syllable(w))
    return ok / len(words), len(words)


@dataclass(frozen=True)
class Repair:
    text: str
    encoding: str | None  # "tcvn3" / "vni" when converted


# Below this share of syllables text is not Vietnamese prose; converted text must reach it.
MIN_RATIO = 0.6
MIN_WORDS = 12  # too little text to judge (tiny test files, a one-line note)


def repair_legacy(text: str) -> Repair:
    """Convert TCVN3/VNI mojibake when that makes the text Vietnamese; otherwise return it unchanged."""
    ratio, n = syllable_ratio(text)
    if n < MIN_WORDS or ratio >= 0.85:
        return Repair(text, None)
    best: tuple[float, str, str] | None = None
    for name, convert in (("tcvn3", tcvn3_to_unicode), ("vni", vni_to_unicode)):
        converted = convert(text)
        r, _ = syllable_ratio(converted)
        if r >= MIN_RATIO and r > ratio + 0.15 and (best is None or r > best[0]):
            best = (r, name, converted)
    if best is None:
        return Repair(text, None)
    return Repair(best[2], best[1])


def looks_like_tcvn3(text: str) -> bool:
    """Many Latin-1 symbols where Vietnamese letters should be (a hint for refusal messages)."""
    signs = sum(1 for c in text if c in _TCVN3_SIGNS)
    return signs >= 5 and signs > 0.02 * max(len(text), 1)


def is_vietnamese(text: str) -> tuple[bool, float]:
    """Whether ``text`` reads as Vietnamese prose (small texts are given the benefit of the doubt)."""
    ratio, n = syllable_ratio(text)
    return (n < MIN_WORDS or ratio >= MIN_RATIO), ratio
