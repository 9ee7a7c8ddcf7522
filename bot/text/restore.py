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
from collections.abc import Iterable

from bot.text.normalize import fold, normalize
from bot.text.stopwords import COMMON_PHRASES, COMMON_WORDS

MAX_N = 4
PLAIN = "="  # table keys "=ban": the corpus writes this syllable without marks
MARKED_SHARE = 0.5  # of a message's syllables carrying marks: typed with marks
_WORD_RE = re.compile(r"\w+")


class DiacriticRestorer:
    """Maps folded syllable n-grams to their most frequent accented spelling."""

    def __init__(self, table: dict[str, str]) -> None:
        self.table = table  # "nguoi dung dau" -> "người đứng đầu"

    @classmethod
    def build(cls, texts: Iterable[str], max_n: int = MAX_N, min_count_long: int = 1) -> DiacriticRestorer:
        """Learn spellings from ``texts``; n-grams (n ≥ 2) seen fewer than ``min_count_long`` times are dropped."""
        return cls.build_from_tokens(
            (_WORD_RE.findall(normalize(t)) for t in texts), max_n=max_n, min_count_long=min_count_long
        )

    @classmethod
    def build_from_tokens(
        cls, token_lists: Iterable[list[str]], max_n: int = MAX_N, min_count_long: int = 1
    ) -> DiacriticRestorer:
        """:meth:`build` from texts already split into normalised syllables (a build has them at hand).

        Counted with arrays, not a Counter per n-gram (seconds instead of minutes at 100k units):
        syllables become integer ids, each n-gram the id of (its first n-1 syllables, the last one),
        and (folded n-gram, spelling) pairs are counted by ``np.unique``. The most frequent spelling
        of each n-gram wins, the first seen on a tie (in text order), as a Counter would choose.
        """
        import numpy as np

        vocab: dict[str, int] = {}
        ids: list[int] = []
        ends: list[int] = []
        for toks in token_lists:
            ids.extend([vocab.setdefault(t, len(vocab)) for t in toks])
            ends.append(len(ids))
        words = list(vocab)
        table: dict[str, str] = {}
        if ids:
            folded_words = [fold(w) for w in words]
            fold_ids: dict[str, int] = {}
            fold_of = np.array([fold_ids.setdefault(f, len(fold_ids)) for f in folded_words], dtype=np.int64)
            marked_word = np.array([f != w for f, w in zip(folded_words, words, strict=True)], dtype=np.int64)
            acc = np.array(ids, dtype=np.int64)
            fol = fold_of[acc]
            total = len(acc)
            text_end = np.repeat(np.array(ends, dtype=np.int64), np.diff(np.array([0, *ends], dtype=np.int64)))
            acc_gram, fol_gram = acc.copy(), fol.copy()
            for n in range(1, max_n + 1):
                if n > 1:  # extend every (n-1)-gram by the next syllable; ids stay dense
                    nxt = np.minimum(np.arange(total) + n - 1, total - 1)
                    _, acc_gram = np.unique(acc_gram * len(vocab) + acc[nxt], return_inverse=True)
                    _, fol_gram = np.unique(fol_gram * len(fold_ids) + fol[nxt], return_inverse=True)
                start = np.arange(total)
                # Every spelling counts, the bare one too: where the corpus writes "cho" five hundred
                # times and "chờ" three, a bare "cho" stays "cho".
                ok = start + n <= text_end
                where = start[ok]
                if not len(where):
                    continue
                pairs = fol_gram[ok] * (int(acc_gram.max()) + 1) + acc_gram[ok]
                uniq, first, counts = np.unique(pairs, return_index=True, return_counts=True)
                key = fol_gram[where[first]]
                # Per folded n-gram: highest count first, then the earliest seen.
                order = np.lexsort((where[first], -counts, key))
                head = order[np.concatenate([[True], key[order][1:] != key[order][:-1]])]
                for j in head.tolist():
                    if n > 1 and counts[j] < min_count_long:
                        continue
                    p = int(where[first[j]])
                    span = ids[p : p + n]
                    if not any(marked_word[w] for w in span):
                        # The bare spelling wins: nothing to restore, but a phrase must say so ("sau khi"
                        # stays), or its syllables would be looked up alone ("sau" → "sáu").
                        if n > 1:
                            table[" ".join(folded_words[w] for w in span)] = " ".join(words[w] for w in span)
                        continue
                    table[" ".join(folded_words[w] for w in span)] = " ".join(words[w] for w in span)
        for w in COMMON_WORDS:  # a common word keeps its usual spelling (bare ones stay bare)
            if fold(w) != w:
                table[fold(w)] = w
            else:
                table.pop(w, None)
        table.update({" ".join(fold(w) for w in p): " ".join(p) for p in COMMON_PHRASES})
        # Syllables the corpus itself writes without marks ("ban" in "Ban Thường vụ", "ra" in "đề ra"):
        # in a message typed with marks, such a syllable typed bare is meant as it is.
        table.update({PLAIN + w: w for w in words if fold(w) == w and w.isalpha()})
        return cls(table)

    def restore(self, text: str) -> str:
        """Accent the unaccented spans of ``text``; accented syllables are kept as typed, and so is a
        lone bare syllable of a message typed with marks when the corpus writes it bare too ("ủy ban
        nhân dân" stays; "ủy bạn" would be wrong). In a message where most syllables carry marks, every
        bare syllable is kept as typed, and only bare phrases the corpus spells with marks are restored
        ("người đứng đầu phai lam gi" → "phải làm")."""
        toks = _WORD_RE.findall(normalize(text))
        marked = [fold(t) != t for t in toks]
        mixed = any(marked)
        # Typed with marks (most syllables carry them): a bare syllable is meant as typed ("năm nay",
        # "sau khi", "tham nhũng", "chi bộ"); only phrases the corpus spells with marks are restored.
        letters = [m for t, m in zip(toks, marked, strict=True) if t.isalpha()]
        typed_with_marks = len(letters) >= 2 and sum(letters) >= MARKED_SHARE * len(letters)
        out: list[str] = []
        i = 0
        while i < len(toks):
            if marked[i]:
                out.append(toks[i])
                i += 1
                continue
            alone = (i == 0 or marked[i - 1]) and (i + 1 == len(toks) or marked[i + 1])
            if mixed and alone and self.table.get(PLAIN + toks[i]) is not None:
                out.append(toks[i])
                i += 1
                continue
            for n in range(min(MAX_N, len(toks) - i), 0, -1):
                if any(marked[i : i + n]):
                    continue
                span = toks[i : i + n]
                # A bare syllable of a message typed with marks stays as typed.
                hit = span[0] if n == 1 and typed_with_marks else self.table.get(" ".join(span))
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
