"""Chat language → the Vietnamese the documents are written in.

Members write like people in a group chat: ``ad ơi ct46 nói gì vụ mấy ông đùn đẩy z``,
Telex or VNI keystrokes left in when the input method was off (``ddaayr trachs
nhieemj``, ``tra1ch nhie65m``), ALL CAPS, stretched letters (``khôngggg``),
emoji, invisible characters pasted from other apps. :func:`normalize_chat` turns
such a message into plain, lowercase, canonical Vietnamese:

1. hygiene — zero-width and bidi controls, soft hyphens, BOMs, control characters
   and emoji removed; NFC and one tone placement (:func:`bot.text.normalize.canonical`);
2. keystrokes — a token is decoded from Telex/VNI only when it cannot be a
   Vietnamese syllable as typed and its decoding is a real one (so ``xoong``,
   ``boong``, ``ads``, ``ct46``, ``45-QĐ/TU`` stay as they are); a lone token with
   only a final tone key (``list`` → ``lít``?) is decoded only when other tokens of
   the message are Telex too;
3. shorthand — abbreviations, teen-code and fillers from ``data/abbreviations.tsv``
   (data, not code), expanded only on token boundaries and only where their
   condition holds (``ct`` before a number, ``tu`` after ``thường vụ``, ``k`` at
   the end of a clause…).

The result keeps sentence punctuation, so :mod:`bot.answer.query` can find the
question part of a long message.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

from bot.text.normalize import TONE_MARKS, canonical
from bot.text.syllable import is_shaped, is_word

# --- 1. hygiene ------------------------------------------------------------------------------------
# Format characters that split a word invisibly: ZWSP, ZWNJ, ZWJ, word joiner, soft hyphen, BOM,
# LRM/RLM and the bidi embeddings/isolates. Removed, not replaced: they sit inside words.
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Characters kept: letters, digits, whitespace and the punctuation that structures a question.
_KEEP_PUNCT = set(".,;:?!()[]-/%\"'“”‘’…\n")


def clean(text: str) -> str:
    """Remove invisible and control characters, emoji and symbols; NFC; one tone placement."""
    text = unicodedata.normalize("NFC", text or "")
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub(" ", text)
    out = []
    for ch in text:
        # Combining marks (category Mn) belong to decomposed input: kept, NFC composes them.
        if ch.isalnum() or ch.isspace() or ch in _KEEP_PUNCT or unicodedata.category(ch) == "Mn":
            out.append(ch)
        else:
            out.append(" ")  # emoji, pictographs, box drawing, other symbols
    text = "".join(out)
    # canonical() collapses whitespace; keep line breaks as sentence boundaries.
    return "\n".join(canonical(line) for line in text.split("\n") if line.strip())


# --- 2. keystrokes ---------------------------------------------------------------------------------
_TELEX_TONES = {"s": "\u0301", "f": "\u0300", "r": "\u0309", "x": "\u0303", "j": "\u0323"}
_VNI_TONES = {"1": "\u0301", "2": "\u0300", "3": "\u0309", "4": "\u0303", "5": "\u0323"}
_VOWEL_CHARS = set("aăâeêioôơuưy")
_CIRCUMFLEX = {"a": "â", "e": "ê", "o": "ô"}
_HORN = {"o": "ơ", "u": "ư"}
_BREVE = {"a": "ă"}


def _with_tone(letters: str, tone: str | None) -> str:
    """Put ``tone`` on the syllable ``letters`` (placement by :func:`canonical`)."""
    if tone is None:
        return letters
    # Attach to the first vowel, then let canonical() move it to the right vowel.
    for i, ch in enumerate(letters):
        if ch in _VOWEL_CHARS:
            return canonical(letters[: i + 1] + tone + letters[i + 1 :])
    return letters


def _telex_letters(s: str) -> str | None:
    """Apply Telex's letter keys (dd aa ee oo aw ow uw w) to a toneless string."""
    out: list[str] = []
    i = 0
    while i < len(s):
        ch = s[i]
        nxt = s[i + 1] if i + 1 < len(s) else ""
        if ch == "d" and nxt == "d":
            out.append("đ")
            i += 2
            continue
        if ch in _CIRCUMFLEX and nxt == ch:
            out.append(_CIRCUMFLEX[ch])
            i += 2
            continue
        if ch == "w":
            # "uow" → ươ; otherwise w marks the vowel before it (aw ow uw), or stands for ư.
            if len(out) >= 2 and out[-2] == "u" and out[-1] == "o":
                out[-2:] = ["ư", "ơ"]
            elif out and out[-1] in ("a", "o", "u"):
                out[-1] = {"a": "ă", "o": "ơ", "u": "ư"}[out[-1]]
            elif out and out[-1] not in _VOWEL_CHARS and i == len(s) - 1:
                # "w" typed after the final consonant: marks the vowels before it ("truongw").
                j = (
                    max(k for k, c in enumerate(out) if c in _VOWEL_CHARS)
                    if any(c in _VOWEL_CHARS for c in out)
                    else -1
                )
                if j < 0:
                    return None
                if j >= 1 and out[j - 1] == "u" and out[j] == "o":
                    out[j - 1 : j + 1] = ["ư", "ơ"]
                elif out[j] in ("a", "o", "u"):
                    out[j] = {"a": "ă", "o": "ơ", "u": "ư"}[out[j]]
                else:
                    return None
            else:
                out.append("ư")
            i += 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def decode_telex(token: str) -> str | None:
    """``ddaayr`` → ``đẩy``, ``nhieemj`` → ``nhiệm``; None when it is not a Telex-typed syllable."""
    t = token.lower()
    if not t.isascii() or not t.isalpha():
        return None
    candidates: list[tuple[str, str | None]] = []
    if t[-1] in _TELEX_TONES and len(t) > 1:
        candidates.append((t[:-1], _TELEX_TONES[t[-1]]))
    # A tone key typed right after the vowel, before the final consonant ("trasch").
    for i in range(1, len(t) - 1):
        if t[i] in _TELEX_TONES and t[i - 1] in _VOWEL_CHARS and t[i + 1] not in _VOWEL_CHARS:
            candidates.append((t[:i] + t[i + 1 :], _TELEX_TONES[t[i]]))
    candidates.append((t, None))
    for letters, tone in candidates:
        if tone is None and letters[-1:] == "z":
            letters = letters[:-1]  # "z" clears marks
        base = _telex_letters(letters)
        if base is None or base == t:
            continue
        word = _with_tone(base, tone)
        if word != t and is_word(word):
            return word
    return None


def decode_vni(token: str) -> str | None:
    """``tra1ch`` → ``trách``, ``d9u2n`` → ``đùn``; None when it is not a VNI-typed syllable."""
    t = token.lower()
    if not t.isascii() or not re.fullmatch(r"[a-z][a-z0-9]*", t) or not re.search(r"[a-z][0-9]", t):
        return None
    if not any(c.isdigit() for c in t) or not any(c.isalpha() for c in t):
        return None
    out: list[str] = []
    tone = None
    for ch in t:
        if ch.isalpha():
            out.append(ch)
            continue
        if ch in _VNI_TONES:
            tone = _VNI_TONES[ch]
            continue
        table = {"6": _CIRCUMFLEX, "7": _HORN, "8": _BREVE}.get(ch)
        if ch == "9":
            idx = max((k for k, c in enumerate(out) if c == "d"), default=-1)
            if idx < 0:
                return None
            out[idx] = "đ"
        elif table is not None:
            idx = max((k for k, c in enumerate(out) if c in table), default=-1)
            if idx < 0:
                return None
            if ch == "7" and out[idx] == "o" and idx >= 1 and out[idx - 1] == "u":
                out[idx - 1] = "ư"  # "uo7" is how many type ươ
            out[idx] = table[out[idx]]
        else:
            return None  # "0": not a VNI key
    word = _with_tone("".join(out), tone)
    return word if is_word(word) else None


_RUN = re.compile(r"(\w)\1{2,}")


def _squeeze(token: str) -> str | None:
    """``khôngggg`` → ``không``: letters stretched three times or more (or twice, if that is the fix)."""
    lower = token.lower()
    squeezed = _RUN.sub(r"\1", lower)
    if squeezed != lower and (is_shaped(squeezed) or not squeezed.isalpha()):
        return squeezed
    # A stretched vowel after its accented form: "quáaaa" (á, then a a a).
    j = len(lower)
    while j > 0 and lower[j - 1] in "aeiouy":
        j -= 1
    run = lower[j:]
    stretched = j and len(run) >= 2 and len(set(run)) == 1 and lower[j - 1] != run[0] and _base(lower[j - 1]) == run[0]
    if stretched and is_word(lower[:j]):
        return lower[:j]
    for i in range(len(lower) - 1):  # one doubled letter: "khongg"
        if lower[i] == lower[i + 1]:
            single = lower[:i] + lower[i + 1 :]
            if not is_shaped(lower) and is_shaped(single):
                return single
    return None


def _base(ch: str) -> str:
    """The letter without any mark: ``á`` → ``a``, ``ư`` → ``u``."""
    return unicodedata.normalize("NFD", ch)[0]


@dataclass
class _Decoded:
    text: str
    strong: bool  # an unambiguous keystroke (dd, w, doubled vowel, a VNI digit inside letters)


def _decode(token: str) -> _Decoded | None:
    lower = token.lower()
    if any(c.isdigit() for c in lower):
        word = decode_vni(lower)
        return _Decoded(word, True) if word else None
    if not lower.isascii() or is_shaped(lower):
        return None  # already Vietnamese (or another script) as typed
    word = decode_telex(lower)
    if word is None:
        return None
    strong = "dd" in lower or "w" in lower or bool(re.search(r"(aa|ee|oo)", lower))
    return _Decoded(word, strong)


# --- 3. shorthand ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rule:
    form: tuple[str, ...]
    expansion: str  # "" removes
    when: str
    arg: frozenset[str] = frozenset()

    @property
    def removes(self) -> bool:
        return not self.expansion


@cache
def rules() -> dict[tuple[str, ...], list[Rule]]:
    """The shorthand table, by form (first matching row wins)."""
    text = resources.files("bot.text").joinpath("data/abbreviations.tsv").read_text(encoding="utf-8")
    table: dict[tuple[str, ...], list[Rule]] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) < 3:
            raise ValueError(f"abbreviations.tsv, line {n}: expected form, expansion, when")
        form, expansion, when = (c.strip() for c in cols[:3])
        arg: frozenset[str] = frozenset()
        if "=" in when:
            when, _, values = when.partition("=")
            arg = frozenset(values.split("|"))
        if when not in {"always", "number", "final", "initial", "prev", "next"}:
            raise ValueError(f"abbreviations.tsv, line {n}: unknown condition {when!r}")
        key = tuple(canonical(form).lower().split())
        table.setdefault(key, []).append(Rule(key, "" if expansion == "-" else canonical(expansion), when, arg))
    return table


@cache
def _max_form() -> int:
    return max(len(k) for k in rules())


# A document number ("46-CT/TU", "45-QĐ/TU") is one token: nothing inside it is shorthand.
# A document number is one token, never expanded as shorthand: 46-CT/TU, 218/KH-UBND, 27/2024/NQ-HĐND.
_TOKEN = re.compile(
    r"\d{1,4}(?:/(?:19|20)\d\d)?(?:\s*-\s*|/)[^\W\d_]{1,8}(?:\s*[-/]\s*[^\W\d_]{1,8})*|\w+|[^\w\s]", re.UNICODE
)
_CLAUSE_END = set(".,;:?!…\n()")
_SPLIT_ALNUM = re.compile(r"^([^\W\d_]+)(\d+)$")


def _is_number(tok: str | None) -> bool:
    return tok is not None and (tok.isdigit() or bool(re.match(r"\d{1,4}\s*[-/]", tok)))


@dataclass
class ChatText:
    """A normalised message and what was changed (for ``hoidap explain``)."""

    text: str  # lowercase canonical Vietnamese, punctuation kept
    decoded: list[tuple[str, str]]  # (as typed, decoded) keystroke fixes
    expanded: list[tuple[str, str]]  # (as typed, expansion or "" when dropped)


def telex_tokens(message: str) -> int:
    """How many words of ``message`` decode as Telex/VNI keystrokes (a message-level hint)."""
    return sum(1 for t in _TOKEN.findall(clean(message)) if t[0].isalnum() and _decode(t) is not None)


def normalize_chat(message: str, telex: bool | None = None) -> ChatText:
    """Normalise one chat message (see the module docstring).

    ``telex``: whether the whole message is typed with keystrokes (when normalising
    it sentence by sentence); by default decided on ``message`` itself. Example:

    >>> normalize_chat("ad ơi ct46 nói j vụ mấy ông đùn đẩy z").text
    'chỉ thị 46 nói gì vụ mấy ông đùn đẩy vậy'
    """
    lines = clean(message).split("\n")
    raw: list[str] = []
    glued: set[int] = set()  # positions of tokens written without a space before them
    for i, line in enumerate(lines):
        if i:
            raw.append("\n")
        for m in _TOKEN.finditer(line):
            if m.start() > 0 and not line[m.start() - 1].isspace():
                glued.add(len(raw))
            raw.append(m.group(0))
    decoded: list[tuple[str, str]] = []

    # Keystrokes: count how many words decode, so a lone weak one ("list") is left alone.
    attempts = [(_decode(t) if t[0].isalnum() else None) for t in raw]
    telex_message = telex if telex is not None else sum(1 for a in attempts if a is not None) >= 2
    toks: list[str] = []
    glue: list[bool] = []
    for pos, (tok, attempt) in enumerate(zip(raw, attempts, strict=True)):
        low = tok.lower()
        if attempt is not None and (attempt.strong or telex_message):
            decoded.append((tok, attempt.text))
            low = attempt.text
        elif low.isalpha():
            squeezed = _squeeze(low)
            if squeezed:
                decoded.append((tok, squeezed))
                low = squeezed
        split = _SPLIT_ALNUM.match(low)
        if split and (split.group(1),) in rules():
            toks.extend([split.group(1), split.group(2)])  # "ct46" → "ct" "46"
            glue.extend([pos in glued, False])
        else:
            toks.append(low)
            glue.append(pos in glued)

    out, expanded = _apply_rules(toks, glue)
    text = _join(out)
    return ChatText(text, decoded, expanded)


def _apply_rules(toks: list[str], glue: list[bool]) -> tuple[list[tuple[str, bool]], list[tuple[str, str]]]:
    """Shorthand applied left to right; output tokens carry "glued to the previous one"."""
    table = rules()
    n = len(toks)
    # Clause boundaries: a "final" form is the last word before punctuation, ignoring fillers after it.
    out: list[tuple[str, bool]] = []
    expanded: list[tuple[str, str]] = []
    i = 0
    while i < n:
        tok = toks[i]
        if tok in _CLAUSE_END or not tok[0].isalnum():
            out.append((tok, glue[i]))
            i += 1
            continue
        matched = False
        for size in range(min(_max_form(), n - i), 0, -1):
            form = tuple(toks[i : i + size])
            for rule in table.get(form, ()):
                if _holds(rule, toks, i, size, out):
                    text = " ".join(form)
                    expanded.append((text, rule.expansion))
                    if rule.expansion:
                        words = rule.expansion.split()
                        out.append((words[0], glue[i]))
                        out.extend((w, False) for w in words[1:])
                    i += size
                    matched = True
                    break
            if matched:
                break
        if not matched:
            out.append((tok, glue[i]))
            i += 1
    return out, expanded


def _holds(rule: Rule, toks: list[str], i: int, size: int, out: list[tuple[str, bool]]) -> bool:
    nxt = toks[i + size] if i + size < len(toks) else None
    if rule.when == "always":
        return True
    if rule.when == "number":
        return _is_number(nxt)
    if rule.when == "next":
        return nxt in rule.arg
    if rule.when == "prev":
        prev = out[-1][0] if out and out[-1][0][0].isalnum() else None
        return prev in rule.arg
    if rule.when == "initial":
        return not out or not out[-1][0][0].isalnum()
    if rule.when == "final":
        return _clause_rest_is_filler(toks, i + size)
    return False


def _clause_rest_is_filler(toks: list[str], j: int) -> bool:
    """True when nothing but punctuation, the end, or removable fillers follows position ``j``."""
    table = rules()
    while j < len(toks):
        tok = toks[j]
        if tok in _CLAUSE_END or not tok[0].isalnum():
            return True
        if not any(r.removes and r.when in ("always", "final") for r in table.get((tok,), ())):
            return False
        j += 1
    return True


def _join(tokens: list[tuple[str, bool]]) -> str:
    """Tokens back to text with the message's own spacing; punctuation orphaned by removed fillers dropped."""
    parts: list[str] = []
    for tok, glued in tokens:
        if tok == "\n":
            parts.append("\n")
        elif glued or not parts or parts[-1] == "\n":
            parts.append(tok)
        else:
            parts.append(" " + tok)
    text = "".join(parts)
    text = re.sub(r"\s*([,;:])\s*(?=[,;:.?!…]|$)", "", text)
    text = re.sub(r"(?m)^[ \t,;:.]+", "", text)
    text = re.sub(r"[ \t]+", " ", text)
    return "\n".join(line.strip() for line in text.split("\n") if line.strip())


def strip_tone(word: str) -> str:
    """``trách`` → ``trach``: the tone only (quality marks stay)."""
    return unicodedata.normalize("NFC", "".join(c for c in unicodedata.normalize("NFD", word) if c not in TONE_MARKS))
