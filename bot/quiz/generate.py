"""Generate a verified quiz bank from the indexed official text.

Three kinds, all checkable against the documents:

- **cloze** — a passage of an official answer with one salient word blanked
  (“…theo hướng “giao nhiệm vụ, ___ sản phẩm”…”); distractors are words of the
  same part of speech and length from elsewhere in the corpus, and one is
  rejected if putting it in the blank yields text found in any document;
- **item** — “which of these is among the points listed in Câu hỏi N?”: the
  right option quotes one enumerated item, the others quote other answers of the
  same document that are not in that list (and do not resemble its items);
- **fact** — date, issuer, number of questions, number of listed points, from
  the parsed metadata and structure.

Every question carries its source and passes :func:`bot.quiz.verify.verify`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import random
import re
from collections import Counter
from dataclasses import dataclass

from bot.documents.model import DocumentMeta, format_date
from bot.index.version import Group, IndexVersion
from bot.quiz.model import OPTION_MAX, QUESTION_MAX, QuizQuestion, limit_problems
from bot.quiz.verify import CorpusText, verify
from bot.segment.base import Segmenter
from bot.text.normalize import normalize
from bot.text.stopwords import STOPWORDS

BLANK = "___"
CONTENT_TAGS = {"N", "V", "A"}
# Words too general to make a meaningful blank.
GENERIC = {
    "thực hiện",
    "một cách",
    "nhất là",
    "trong đó",
    "có thể",
    "đối với",
    "liên quan",
    "cơ quan",
    "công việc",
    "nhiệm vụ",
    "vấn đề",
    "nội dung",
    "cá nhân",
    "tập thể",
    "đơn vị",
    "ban thường vụ",
    "tỉnh ủy",
    "cán bộ",
    "đảng viên",
    "thẩm quyền",
    "trách nhiệm",
}
INSTITUTIONS = [
    "Ban Chấp hành Đảng bộ tỉnh",
    "Ủy ban nhân dân tỉnh",
    "Hội đồng nhân dân tỉnh",
    "Ủy ban Kiểm tra Tỉnh ủy",
    "Ban Tổ chức Tỉnh ủy",
    "Ban Tuyên giáo Tỉnh ủy",
    "Ban Thường vụ Tỉnh ủy",
]


@dataclass(frozen=True)
class Word:
    text: str  # surface form as in the document
    tag: str | None
    syllables: int


def _seed(*parts: object) -> random.Random:
    return random.Random(int(hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:12], 16))


def _shuffle(correct: str, wrong: list[str], seed: random.Random) -> tuple[list[str], int]:
    options = [correct, *wrong]
    seed.shuffle(options)
    return options, options.index(correct)


def _cite(meta: DocumentMeta, group: Group, item: int | None = None) -> str:
    where = f"Câu hỏi {group.question_number}" if group.question_number is not None else "Văn bản"
    if item is not None:
        where += f", mục ({item})"
    return f"{where}, {meta.doc_type or 'Văn bản'} {meta.number or ''}".strip()


def _source(meta: DocumentMeta, group: Group | None, doc_id: str, item: int | None = None) -> dict:
    return {
        "doc_id": doc_id,
        "doc_number": meta.number,
        "question_number": group.question_number if group else None,
        "item": item,
    }


def _excerpt(text: str, limit: int) -> str:
    """The start of ``text`` cut at a clause or word boundary, with "…" when cut."""
    # A list label would give the right option away among unlabelled ones: (1) 1. 1) a) - • and "1 | " table rows.
    text = re.sub(r"^\s*(\(\d+\)|\d{1,3}[.)]|[a-zđ]\)|[-–•+*◦▪]|\d{1,3}\s+\|)\s*", "", text).strip()
    if len(text) <= limit:
        return text.rstrip(".;")
    cut = max(text.rfind(", ", 0, limit - 1), text.rfind("; ", 0, limit - 1))
    if cut < limit // 2:
        cut = text.rfind(" ", 0, limit - 1)
    return text[:cut].rstrip(",; ") + "…"


class BankGenerator:
    def __init__(self, version: IndexVersion, segmenter: Segmenter) -> None:
        self.version = version
        self.segmenter = segmenter
        self.corpus = CorpusText.of(version)
        self._tags: dict[str, list[tuple[str, str | None]]] = {}
        self._vocab: list[Word] | None = None
        self._group_df: Counter | None = None

    def tagged(self, text: str) -> list[tuple[str, str | None]]:
        if text not in self._tags:
            self._tags[text] = self.segmenter.tag(text)
        return self._tags[text]

    def _content_words(self, text: str) -> list[Word]:
        out = []
        for word, tag in self.tagged(text):
            n = len(word.split())
            low = word.lower()
            if (
                2 <= n <= 4
                and (tag is None or tag in CONTENT_TAGS)
                and low not in GENERIC
                and not any(ch.isdigit() for ch in word)
                and not all(s in STOPWORDS for s in low.split())
                and word in text
            ):
                out.append(Word(word, tag, n))
        return out

    def vocabulary(self) -> tuple[list[Word], Counter]:
        """Content words of the corpus, and in how many answer groups each appears."""
        if self._vocab is None:
            seen: dict[str, Word] = {}
            df: Counter = Counter()
            for g in self.version.groups:
                words = self._content_words(g.answer)
                df.update({normalize(w.text) for w in words})
                for w in words:
                    seen.setdefault(normalize(w.text), w)
            self._vocab, self._group_df = list(seen.values()), df
        return self._vocab, self._group_df

    # --- cloze ---------------------------------------------------------------------
    def clozes(self, per_unit: int = 2) -> list[QuizQuestion]:
        vocab, df = self.vocabulary()
        limit_df = max(2, len(self.version.groups) // 4)
        out = []
        for group in self.version.groups:
            units = [self.version.units[p] for p in group.positions]
            targets = [u for u in units if u.kind in ("item", "sentence", "section")]
            if not any(u.kind in ("item", "sentence") for u in units):
                targets += [u for u in units if u.kind == "answer"]
            meta = self.version.document(group.doc_id)
            for unit in targets:
                words = [w for w in self._content_words(unit.text) if df[normalize(w.text)] <= limit_df]
                words.sort(key=lambda w: (df[normalize(w.text)], -len(w.text)))
                made = 0
                used: set[str] = set()
                for word in words:
                    if made >= per_unit or normalize(word.text) in used:
                        continue
                    q = self._cloze(group, unit, word, vocab, meta)
                    if q is not None:
                        out.append(q)
                        used.add(normalize(word.text))
                        made += 1
        return out

    def _cloze(self, group, unit, word: Word, vocab: list[Word], meta: DocumentMeta) -> QuizQuestion | None:
        text = unit.text
        start = text.find(word.text)
        if start < 0:
            return None
        end = start + len(word.text)
        left = max(0, start - 90)
        right = min(len(text), end + 90)
        if left > 0:
            left = text.find(" ", left) + 1
        if right < len(text):
            right = text.rfind(" ", 0, right)
        before, after = text[left:start], text[end:right]
        if left == 0:  # a bullet marker is layout, not wording
            marker = re.match(r"\s*[-–•+*]\s+", before)
            if marker:
                before = before[marker.end() :]
        snippet = ("…" if left > 0 else "") + before + BLANK + after + ("…" if right < len(text) else "")
        cite = _cite(meta, group, unit.item)
        question = f"Điền vào chỗ trống ({cite}):\n{snippet}"
        if len(question) > QUESTION_MAX:
            return None
        rng = _seed("cloze", unit.uid, word.text)
        wrong = self._distractors(word, before, after, text, vocab, rng)
        if len(wrong) < 3:
            return None
        options, correct = _shuffle(word.text, wrong, rng)
        explanation = _fit(f"{cite}: “{_around(before, word.text, after, 45)}”", 200)
        q = QuizQuestion("cloze", question, options, correct, explanation, _source(meta, group, unit.doc_id, unit.item))
        return q if not verify(q, self.version, self.corpus) else None

    def _distractors(self, word: Word, before: str, after: str, unit_text: str, vocab, rng) -> list[str]:
        target = normalize(word.text)
        unit_norm = normalize(unit_text)
        left_word = before.split()[-1] if before.split() else ""
        right_word = after.split()[0] if after.split() else ""

        def ok(cand: Word) -> bool:
            c = normalize(cand.text)
            if c == target or c in target or target in c or c in unit_norm:
                return False
            filled_left = normalize(f"{left_word} {cand.text}")
            filled_right = normalize(f"{cand.text} {right_word}")
            # Reject a distractor that would make official text: it could be right too.
            return not (
                (left_word and self.corpus.contains(filled_left))
                or (right_word and self.corpus.contains(filled_right))
                or self.corpus.contains(normalize(before + cand.text + after))
            )

        tiers = [
            [w for w in vocab if w.tag == word.tag and w.syllables == word.syllables],
            [w for w in vocab if w.tag == word.tag],
            [w for w in vocab if w.syllables == word.syllables],
        ]
        chosen: list[str] = []
        for tier in tiers:
            pool = sorted(tier, key=lambda w: w.text)
            rng.shuffle(pool)
            for cand in pool:
                if len(chosen) == 3:
                    return chosen
                if cand.text not in chosen and ok(cand) and len(cand.text) <= OPTION_MAX:
                    chosen.append(cand.text.lower() if word.text[:1].islower() else cand.text)
        return chosen

    # --- items ---------------------------------------------------------------------
    def item_questions(self) -> list[QuizQuestion]:
        out = []
        for group in self.version.groups:
            items = [self.version.units[p] for p in group.positions if self.version.units[p].kind == "item"]
            if len(items) < 3:
                continue
            meta = self.version.document(group.doc_id)
            others = self._other_excerpts(group, items)
            for unit in items:
                correct = _excerpt(unit.text, 90)
                rng = _seed("item", unit.uid)
                pool = [e for e in others if abs(len(e) - len(correct)) < 60]
                pool = pool if len(pool) >= 3 else others
                if len(pool) < 3:
                    continue
                wrong = rng.sample(sorted(pool), 3)
                options, idx = _shuffle(correct, wrong, rng)
                head = f"Theo Câu hỏi {group.question_number} – {meta.short_name}: “{_fit(group.question, 150)}”"
                question = f"{head}\nNội dung nào sau đây được nêu trong câu trả lời?"
                explanation = _fit(f"{_cite(meta, group, unit.item)}: “{_excerpt(unit.text, 120)}”", 200)
                q = QuizQuestion(
                    "item", question, options, idx, explanation, _source(meta, group, unit.doc_id, unit.item)
                )
                if not verify(q, self.version, self.corpus):
                    out.append(q)
        return out

    def _other_excerpts(self, group: Group, items) -> list[str]:
        """Clauses from the same document's other answers that do not resemble this list."""
        item_sets = [set(normalize(u.text).split()) for u in items]
        answer_norm = normalize(group.answer)
        out = []
        for g in self.version.groups:
            if g.doc_id != group.doc_id or g.gid == group.gid:
                continue
            for clause in re.split(r"(?<=[.;])\s+|\n", g.answer):
                ex = _excerpt(clause, 90)
                toks = set(normalize(ex.rstrip("…")).split())
                if len(ex) < 25 or normalize(ex.rstrip("…")) in answer_norm:
                    continue
                if any(len(toks & s) / max(len(toks | s), 1) > 0.35 for s in item_sets):
                    continue
                out.append(ex)
        return sorted(set(out))

    # --- facts ---------------------------------------------------------------------
    def facts(self) -> list[QuizQuestion]:
        out = []

        def fact(kind: str, question: str, shuffled: tuple[list[str], int], explanation: str, source: dict) -> None:
            options, idx = shuffled
            out.append(QuizQuestion("fact", question, options, idx, _fit(explanation, 200), source | {"fact": kind}))

        for doc_id, meta in self.version.documents.items():
            groups = [g for g in self.version.groups if g.doc_id == doc_id]
            rng = _seed("fact", doc_id)
            name, source = meta.short_name, _source(meta, None, doc_id)
            if meta.date:
                correct = format_date(meta.date)
                fact(
                    "date",
                    f"{name} được ban hành ngày nào?",
                    _shuffle(correct, _other_dates(meta.date, rng), rng),
                    f"Theo tiêu đề văn bản: {name}, ngày {correct}.",
                    source,
                )
            if meta.issuer:
                wrong = rng.sample([i for i in INSTITUTIONS if normalize(i) != normalize(meta.issuer)], 3)
                fact(
                    "issuer",
                    f"Cơ quan nào ban hành {name}?",
                    _shuffle(meta.issuer, wrong, rng),
                    f"Theo tiêu đề văn bản: {name} của {meta.issuer}.",
                    source,
                )
            n = sum(1 for g in groups if g.question_number is not None)
            if n >= 3:
                fact(
                    "questions",
                    f"Tài liệu hỏi - đáp về {name} gồm bao nhiêu câu hỏi?",
                    _numbers(n, rng),
                    f"Tài liệu hỏi - đáp về {name} gồm {n} câu hỏi.",
                    source,
                )
            for g in groups:
                items = sum(1 for p in g.positions if self.version.units[p].kind == "item")
                if items >= 3:
                    fact(
                        "items",
                        f"Câu trả lời cho Câu hỏi {g.question_number} ({name}) nêu bao nhiêu nội dung "
                        "(gạch đầu dòng hoặc mục đánh số)?",
                        _numbers(items, _seed("count", g.gid, doc_id)),
                        f"{_cite(meta, g)} nêu {items} nội dung.",
                        _source(meta, g, doc_id),
                    )
        return [q for q in out if not verify(q, self.version, self.corpus)]

    def bank(self) -> list[QuizQuestion]:
        seen: set[str] = set()
        out = []
        for q in self.facts() + self.item_questions() + self.clozes():
            if q.id not in seen and not limit_problems(q):
                seen.add(q.id)
                out.append(q)
        return out


def _around(before: str, word: str, after: str, width: int) -> str:
    """``word`` with up to ``width`` characters of context each side, cut at spaces."""
    left = before[-width:]
    if len(before) > width:
        left = "…" + left[left.find(" ") + 1 :]
    right = after[:width]
    if len(after) > width:
        right = right[: right.rfind(" ")].rstrip(",;.") + "…"
    return left + word + right


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _other_dates(date: dt.date, rng: random.Random) -> list[str]:
    candidates = set()
    for delta_days in (-31, -7, -2, 1, 3, 14, 30, 61):
        candidates.add(date + dt.timedelta(days=delta_days))
    for years in (-1, 1):
        with contextlib.suppress(ValueError):
            candidates.add(date.replace(year=date.year + years))
    if date.day <= 12 and date.day != date.month:  # day and month swapped: a classic confusion
        candidates.add(date.replace(day=date.month, month=date.day))
    candidates.discard(date)
    return [format_date(d) for d in rng.sample(sorted(candidates), 3)]


def _numbers(n: int, rng: random.Random) -> tuple[list[str], int]:
    wrong = sorted({max(1, n + d) for d in (-3, -2, -1, 1, 2, 4)} - {n})
    return _shuffle(str(n), [str(x) for x in rng.sample(wrong, 3)], rng)


def generate_bank(version: IndexVersion, segmenter: Segmenter) -> list[QuizQuestion]:
    """Every verified question the active documents support. Example: ``hoidap quiz bank --json``."""
    return BankGenerator(version, segmenter).bank()
