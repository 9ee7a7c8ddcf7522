"""One object per member message: normalised once at the entry, read by every step.

A message from a group chat is not a clean question. It may carry fillers and
shorthand (``ad ơi ct46 nói j z``), keystrokes of an input method that was off,
and — in long messages — two or three sentences of context before the question,
or two questions at once. :class:`Query` holds every form the later steps need:

- ``normalized``: the whole message in document Vietnamese (:mod:`bot.text.chat`);
- ``focus``: the question part(s) — what coverage is measured on, so context
  sentences help ranking but do not count against the answer;
- ``asks``: the separate things asked, when a message asks more than one;
- ``refs``/``spans``: loaded documents the message names (``theo Chỉ thị 46``),
  removed from the focus because they steer *which* document answers, not what
  is asked; ``foreign``: documents it names that are not loaded (``Kết luận 21``);
- ``dense_focus``/``dense_full``: the texts the embedding model reads (diacritics
  restored when the member typed without them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.answer import titles
from bot.documents.metadata import DocNumber
from bot.index.version import IndexVersion
from bot.segment.base import Segmenter
from bot.text.analysis import QueryTerms
from bot.text.chat import clean, normalize_chat, telex_tokens
from bot.text.normalize import fold, has_diacritics

# --- document references --------------------------------------------------------------------------
_DOC_TYPES = (
    "chi thi|nghi quyet|quy dinh|ket luan|quyet dinh|huong dan|ke hoach|thong tri|chuong trinh(?: hanh dong)?|de an"
    "|nghi dinh|thong tu|thong bao|cong van|luat"
)
_CODE = r"[a-z]{1,8}"
_DOC_REF_RE = re.compile(
    rf"\b({_DOC_TYPES})\s+(?:(?:so|trung uong|tw|hoi nghi trung uong)\s+)?(\d{{1,4}})(?!\s*/\s*\d{{1,2}}\b)"
    rf"(?:\s*/\s*(?:19|20)\d{{2}})?(?:\s*[-/]\s*({_CODE}(?:\s*[-/]\s*{_CODE})*))?"
)
# A number written alone: 46-CT/TU, 218/KH-UBND, 27/2024/NQ-HĐND (folded).
_NUMBER_RE = re.compile(rf"\b(\d{{1,4}})(?:\s*/\s*(?:19|20)\d{{2}})?\s*[-/]\s*({_CODE}(?:\s*[-/]\s*{_CODE})*)\b")
_DOC_TYPE_CODES = {
    "chi thi": "ct",
    "nghi quyet": "nq",
    "quy dinh": "qd",
    "ket luan": "kl",
    "quyet dinh": "qd",
    "huong dan": "hd",
    "ke hoach": "kh",
    "thong tri": "tt",
    "chuong trinh": "ctr",
    "chuong trinh hanh dong": "ctr",
    "de an": "da",
    "nghi dinh": "nd",
    "thong tu": "tt",
    "thong bao": "tb",
    "cong van": "cv",
    "luat": "luat",
}


@dataclass(frozen=True)
class DocReference:
    """A document a message names: ``("ket luan", "21", "kl/tw")``; ``key`` compares them."""

    kind: str  # folded type words ("chi thi"), or "" when only the number was written ("46-CT/TU")
    number: str
    code: str  # folded code after the number ("ct/tu"), may be ""
    span: tuple[int, int]

    @property
    def label(self) -> str:
        return f"{self.kind} {self.number}".strip() + (f"-{self.code.upper()}" if self.code else "")


def find_references(text: str) -> list[DocReference]:
    """Every document named in ``text`` (any case; diacritics optional)."""
    folded = fold(text)
    if len(folded) != len(text):  # spans must cut the original at the same places
        return []
    refs: list[DocReference] = []
    taken: list[tuple[int, int]] = []
    for m in _DOC_REF_RE.finditer(folded):
        start = m.start()
        before = folded[:start].rstrip()
        for word in ("theo", "trong", "cua", "tai", "ve"):  # "theo Chỉ thị 46": the whole phrase goes
            if before.endswith(" " + word) or before == word:
                start = len(before) - len(word)
                break
        code = re.sub(r"\s+", "", m.group(3) or "")
        refs.append(DocReference(m.group(1), m.group(2), code, (start, m.end())))
        taken.append((m.start(), m.end()))
    for m in _NUMBER_RE.finditer(folded):
        if any(a <= m.start() < b for a, b in taken):
            continue
        refs.append(DocReference("", m.group(1), re.sub(r"\s+", "", m.group(2)), m.span()))
    return refs


def matches(ref: DocReference, number: str | None) -> bool:
    """Does ``ref`` name the document numbered ``number`` (``"46-CT/TU"``)?"""
    if not number:
        return False
    codes = tuple(c for c in re.split(r"[-/]", ref.code) if c) if ref.code else ()
    return DocNumber.parse(number).named_by(ref.number, _DOC_TYPE_CODES.get(ref.kind), codes)


# Type words that name a document when no number follows ("chỉ thị về nêu gương"); "quy định", "hướng
# dẫn", "kế hoạch", "quyết định" and "chương trình" are also everyday words ("theo quy định", "có kế
# hoạch"), so they name a document only together with words of its subject or issuer.
_PLAIN_TYPE_RE = re.compile(rf"\b({_DOC_TYPES}|van ban)\b(?!\s+(?:so\s+)?\d)")
_DISTINCT_TYPES = frozenset({"chi thi", "nghi quyet", "ket luan", "chuong trinh hanh dong", "de an", "thong tri"})
_SUBJECT_WINDOW = 12
_SAME_TYPE = {"quyet dinh": "quy"}  # "qđ" is written for both: either matches


def of_type(documents: dict, kind: str) -> dict:
    """The loaded documents of a type (folded type words; "van ban" is any)."""
    want = _SAME_TYPE.get(kind, kind)
    return {
        d: m for d, m in documents.items() if kind == "van ban" or (m.doc_type and fold(m.doc_type).startswith(want))
    }


def subject_references(text: str, documents: dict) -> dict[str, list[tuple[int, int]]]:
    """Loaded documents a message names by type and subject or issuer rather than by number —
    "chỉ thị về nêu gương", "kế hoạch của ubnd về chuyển đổi số", "theo qđ tiếp công dân" — with
    the spans that name them (the type word and the title's words that follow it).

    The words after a type word are matched against the titles of the loaded documents of that type
    (:mod:`bot.answer.titles`); with no title clearly named, a distinct type ("chỉ thị", "nghị quyết")
    names the only loaded document of that type.
    """
    out: dict[str, list[tuple[int, int]]] = {}
    folded = fold(text)
    if len(folded) != len(text):
        return out
    for m in _PLAIN_TYPE_RE.finditer(folded):
        kind = m.group(1)
        candidates = of_type(documents, kind)
        window = titles.words(" ".join(text[m.end() :].split()[:_SUBJECT_WINDOW]))
        named = titles.named_by_title(window, documents, set(candidates)) if candidates else None
        if named is None and len(candidates) == 1 and kind in _DISTINCT_TYPES:
            named = next(iter(candidates))
        if named is None:
            continue
        # The span goes on over the words of that document's title (and the little words between them).
        title = set(re.findall(r"[a-z0-9]+", fold(documents[named].title)))
        start = m.start()
        before = folded[:start].rstrip()
        for word in ("theo", "trong", "cua", "tai"):
            if before.endswith(" " + word) or before == word:
                start = len(before) - len(word)
                break
        end = m.end()
        for w in re.finditer(r"[a-z0-9]+", folded[m.end() :]):
            if w.group(0) in title:
                end = m.end() + w.end()
            elif w.group(0) not in ("ve", "cua", "va", "tinh"):
                break
        out.setdefault(named, []).append((start, end))
    return out


def without_spans(text: str, spans: list[tuple[int, int]]) -> str:
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + " " + text[end:]
    return re.sub(r"\s+", " ", text).strip(" ,;:")


# --- sentences and the question part ---------------------------------------------------------------
_SENTENCE_END = re.compile(r"(?<=[.?!…;])\s+|\n+")
# Cues that a sentence asks something (matched on folded text: unaccented messages too).
_QUESTION_CUES = re.compile(
    r"\b(gi|nao|sao|the nao|ra sao|bao nhieu|bao gio|bao lau|ai|dau|khong|chua|co phai|phai khong|hay khong"
    r"|cho (em|e|minh|toi|anh|chi|hoi|biet|xin)|hoi|xin|trich|neu|liet ke|ke ra|gui|giup|muon biet|muon doc"
    r"|can (biet|ban|danh sach|doc)|cho biet|tim|la sao|nhu nao|the)\b"
)
# Enumerations inside one sentence: "một là …, hai là …", "thứ nhất …, thứ hai …".
_ENUMERATOR = re.compile(
    r"(?:^|[\s,;:])(?:mot la|hai la|ba la|thu nhat|thu hai|thu ba|y (?:1|2|3|mot|hai|ba)|\(?[1-3][.)])\s*[,:]?\s*"
)
# Asking for the whole list ("liệt kê hết", "danh sách đầy đủ", "từ (1) đến hết"): quote the whole answer.
_WANTS_LIST = re.compile(
    r"\b(liet ke|danh sach|danh muc|tat ca|toan bo|day du|het cac|het nhung|het moi|ke het|ke ra het|neu het"
    r"|tu \(?1\)? den het|nguyen danh sach|full|gom nhung (gi|bieu hien nao)|nhung bieu hien nao|cac bieu hien nao"
    r"|bao nhieu bieu hien|may bieu hien)\b"
)
# "…, và …" joining two questions: only when both halves ask something.
_AND_SPLIT = re.compile(r",?\s+(?:va|con)\s+(?=\S)")


@dataclass
class Sentence:
    raw: str  # cleaned, as typed
    text: str  # normalised
    question: bool


def split_sentences(cleaned: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(cleaned) if s and s.strip(" .,;")]


def is_question(raw: str, normalized: str) -> bool:
    if raw.rstrip().endswith("?"):
        return True
    return bool(_QUESTION_CUES.search(fold(raw)) or _QUESTION_CUES.search(fold(normalized)))


def split_asks(text: str) -> list[str]:
    """The separate questions inside one normalised question sentence (usually just one)."""
    folded = fold(text)
    if len(folded) != len(text):
        return [text]
    cuts = [m for m in _ENUMERATOR.finditer(folded)]
    if len(cuts) >= 2:
        pieces = []
        for i, m in enumerate(cuts):
            end = cuts[i + 1].start() if i + 1 < len(cuts) else len(text)
            piece = text[m.end() : end].strip(" ,;:.?")
            if piece:
                pieces.append(piece)
        if len(pieces) >= 2:
            return pieces
    halves = _AND_SPLIT.split(text)
    if len(halves) == 2 and all(_QUESTION_CUES.search(fold(h)) and len(h.split()) >= 4 for h in halves):
        return [h.strip(" ,;:.?") for h in halves]
    return [text]


@dataclass
class Query:
    """Everything later steps read about one message (built by :meth:`of`)."""

    raw: str
    text: str  # cleaned (hygiene, NFC, tone placement), case kept: for logs and display
    normalized: str  # chat language → document Vietnamese, lowercase
    sentences: list[Sentence]
    focus: str  # the question part(s), document references removed
    unreferenced: str  # the whole message, references to loaded documents removed
    context: str  # the other sentences (normalised)
    asks: list[str]  # separate things asked (≥ 2 when the message asks several), references removed
    refs: set[str]  # ids of loaded documents the message names
    foreign: list[str]  # labels of documents named that are not loaded ("ket luan 21-KL/TW")
    references: list[DocReference]
    accented: bool
    dense_focus: str
    dense_full: str
    dense_sentences: list[str]  # each sentence of a long message (empty for one-sentence messages)
    words: list[str]  # segmented words of the focus (accented messages)
    wants_list: bool  # asks for a whole list: the whole answer is quoted, never one item
    terms: QueryTerms  # content of the focus, typos corrected against the corpus
    full_terms: QueryTerms  # content of the whole message (ranking)
    decoded: list[tuple[str, str]] = field(default_factory=list)
    expanded: list[tuple[str, str]] = field(default_factory=list)
    # (embedder, text -> vector): what the dense side read, embedded once per message (see
    # :meth:`bot.answer.retrieval.Retriever.query_vectors`).
    vectors: tuple[object, dict] | None = field(default=None, repr=False, compare=False)

    def reference_text(self, label: str) -> str:
        """A named document as the member wrote it (normalised: "Nghị quyết 35"), from its label."""
        for ref in self.references:
            if ref.label == label:
                start, end = ref.span
                text = self.normalized[start:end].strip()
                for word in ("theo ", "trong ", "của ", "tại ", "về "):
                    text = text.removeprefix(word)
                return text[:1].upper() + text[1:]
        return label

    @property
    def empty(self) -> bool:
        return not self.terms.tokens and not self.full_terms.tokens

    @classmethod
    def of(cls, raw: str, version: IndexVersion, segmenter: Segmenter | None) -> Query:
        text = clean(raw or "")
        telex = telex_tokens(text) >= 2
        sentences: list[Sentence] = []
        decoded: list[tuple[str, str]] = []
        expanded: list[tuple[str, str]] = []
        for piece in split_sentences(text):
            chat = normalize_chat(piece, telex=telex)
            decoded += chat.decoded
            expanded += chat.expanded
            if chat.text.strip(" .,;:?!…"):
                sentences.append(Sentence(piece, chat.text, is_question(piece, chat.text)))
        normalized = " ".join(s.text for s in sentences)
        asked = [s for s in sentences if s.question] or sentences
        rest = [s for s in sentences if s not in asked]

        references = find_references(normalized)
        refs: set[str] = set()
        foreign: list[str] = []
        for ref in references:
            hit = {doc_id for doc_id, meta in version.documents.items() if matches(ref, meta.number)}
            refs |= hit
            if not hit:
                foreign.append(ref.label)
        by_subject = (
            subject_references(normalized, version.documents) if not references and len(version.documents) >= 2 else {}
        )
        refs |= set(by_subject)

        def strip_refs(s: str) -> str:
            spans = [
                r.span for r in find_references(s) if any(matches(r, m.number) for m in version.documents.values())
            ]
            if by_subject:
                spans += [span for found in subject_references(s, version.documents).values() for span in found]
            return (without_spans(s, spans) or s) if spans else s

        focus = strip_refs(" ".join(s.text for s in asked))
        asks = [strip_refs(a) for s in asked for a in split_asks(s.text)]
        asks = [a for a in asks if a.strip(" .,;:?!")]
        context = " ".join(s.text for s in rest)
        full = strip_refs(normalized)

        accented = has_diacritics(full)
        # The model reads unaccented Vietnamese poorly: marks are put back on every unmarked
        # stretch (a whole unaccented message, or the words a member left unmarked), keeping
        # what was typed with marks.
        restore = version.restorer.restore
        dense_focus = restore(focus)
        dense_full = restore(full)
        dense_sentences = []
        if len(sentences) >= 2:
            for s in sentences:
                piece = strip_refs(s.text)
                if len(piece.split()) >= 4:
                    dense_sentences.append(restore(piece))
        words = segmenter.words(dense_focus) if segmenter is not None and has_diacritics(dense_focus) else []
        terms = QueryTerms.of(focus, version.lexicon, words, restored=dense_focus)
        full_terms = QueryTerms.of(full, version.lexicon, restored=dense_full)
        return cls(
            raw=raw or "",
            text=text,
            normalized=normalized,
            sentences=sentences,
            focus=focus,
            unreferenced=full,
            context=context,
            asks=asks,
            refs=refs,
            foreign=foreign,
            references=references,
            accented=accented,
            dense_focus=dense_focus or focus,
            dense_full=dense_full or full,
            dense_sentences=dense_sentences,
            words=words,
            wants_list=bool(_WANTS_LIST.search(fold(focus))),
            terms=terms,
            full_terms=full_terms,
            decoded=decoded,
            expanded=expanded,
        )
