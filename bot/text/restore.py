"""Restore Vietnamese diacritics of unaccented questions from the corpus itself.

Members often type without diacritics (``nguoi dung dau phai the nao``). The
lexical index matches folded text directly, but the embedding model reads
unaccented Vietnamese poorly. So before embedding we put the marks back by
greedy longest match against phrases seen in the indexed documents (up to
:data:`MAX_N` syllables), and for single syllables prefer common words, then
the corpus' most frequent spelling. Syllables never seen stay as typed.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable

from bot.text.normalize import fold, normalize
from bot.text.stopwords import COMMON_WORDS

MAX_N = 4
_WORD_RE = re.compile(r"\w+")


class DiacriticRestorer:
    """Maps folded syllable n-grams to their most frequent accented spelling."""

    def __init__(self, table: dict[str, str]) -> None:
        self.table = table  # "nguoi dung dau" -> "người đứng đầu"

    @classmethod
    def build(cls, texts: Iterable[str], max_n: int = MAX_N, min_count_long: int = 1) -> DiacriticRestorer:
        """Learn spellings from ``texts``; n-grams (n ≥ 2) seen fewer than ``min_count_long`` times are dropped."""
        counts: dict[str, Counter] = defaultdict(Counter)
        for text in texts:
            toks = _WORD_RE.findall(normalize(text))
            folded = [fold(t) for t in toks]
            accented = [f != t for f, t in zip(folded, toks, strict=True)]
            for n in range(1, max_n + 1):
                for i in range(len(toks) - n + 1):
                    if not any(accented[i : i + n]):
                        continue  # nothing to learn from an unaccented span
                    counts[" ".join(folded[i : i + n])][" ".join(toks[i : i + n])] += 1
        table = {}
        for key, forms in counts.items():
            form, count = forms.most_common(1)[0]
            if " " in key and count < min_count_long:
                continue
            table[key] = form
        common = {fold(w): w for w in COMMON_WORDS}
        table.update({k: v for k, v in common.items() if k != v})
        return cls(table)

    def restore(self, text: str) -> str:
        """Accent the unaccented spans of ``text``; accented syllables are kept as typed."""
        toks = _WORD_RE.findall(normalize(text))
        out: list[str] = []
        i = 0
        while i < len(toks):
            if fold(toks[i]) != toks[i]:
                out.append(toks[i])
                i += 1
                continue
            for n in range(min(MAX_N, len(toks) - i), 0, -1):
                span = toks[i : i + n]
                if any(fold(t) != t for t in span):
                    continue
                hit = self.table.get(" ".join(span))
                if hit is not None:
                    out.append(hit)
                    i += n
                    break
            else:
                out.append(toks[i])
                i += 1
        return " ".join(out)

    def to_dict(self) -> dict[str, str]:
        return self.table
