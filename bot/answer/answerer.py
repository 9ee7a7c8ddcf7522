"""Answer a member's question by quoting the official text, or refuse politely.

1. Empty input, greetings and thanks are recognised and not searched.
2. Questions about a document itself are answered from its title metadata.
3. Otherwise: hybrid retrieval ranks official answers; the calibrated model
   estimates P(best answer is right); below the threshold we refuse and offer
   up to N "Có phải bạn muốn hỏi…" suggestions.
4. The quoted unit is the one the question targets: a single enumerated item
   (with its parent question named) when an item matches best, the whole
   official answer otherwise.
Identical questions are served from an LRU cache, per index version.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict

from bot.answer.calibration import RERANK, Calibration
from bot.answer.features import citation, cites, features
from bot.answer.followup import Context, item_asked, leans_on_context, question_asked
from bot.answer.meta import answer_meta, find_meta_question, not_loaded, stated_in_citation
from bot.answer.model import Answer, Source, Suggestion
from bot.answer.query import Query
from bot.answer.retrieval import GroupHit, Retrieval, Retriever, item_margin
from bot.embed.base import Embedder
from bot.index.manager import IndexManager
from bot.index.version import Group, IndexVersion
from bot.segment.base import Segmenter
from bot.text.analysis import tokens
from bot.text.normalize import canonical, fold, normalize
from bot.text.smalltalk import is_greeting, is_smalltalk
from bot.text.stopwords import STOPWORDS

# Words that make a message small talk when nothing else is said.
SMALLTALK = frozenset(
    fold(w)
    for w in "xin chào chào hello hi hey alo cảm ơn cám ơn thanks thank you tạm biệt bye ok oke okay test "
    "bot ơi ạ dạ vâng ừ haha hihi hehe good morning night chúc ngủ ngon buổi sáng tối".split()
)


# A message that asks several things gets at most this many quotes (one message each in a chat).
MAX_QUOTES = 3
MAX_DOCUMENT_CHOICES = 8  # "câu 2 là gì?": one choice per document that has a Câu hỏi 2
# Another document's answer at least this share as likely as the quoted one is offered beside it.
ALTERNATIVE_SHARE = 0.6


# Which loaded text cites a document: "… được nhắc trong chỉ thị nào", "văn bản nào triển khai …"
# (folded; "ct" alone is how members shorten "chỉ thị" here).
_ASKS_WHERE_CITED = re.compile(
    r"\b(nhac|noi|de cap|dan|trich|can cu|trien khai|thuc hien|cu the hoa|quan triet|yeu cau thuc hien)\b.*"
    r"\b(van ban|tai lieu|chi thi|ct|nghi quyet|quy dinh|ket luan|huong dan|ke hoach|chuong trinh|cau hoi|cau) nao\b"
    r"|\b(van ban|tai lieu|chi thi|ct|nghi quyet|quy dinh|ket luan|huong dan|ke hoach|chuong trinh) nao\b.*"
    r"\b(nhac|noi|de cap|dan|trich|can cu|trien khai|thuc hien|cu the hoa|quan triet)\b"
)
# What a citation states right after the cited number ("Quy định số 45-QĐ/TU, ngày 20/11/2023 của Ban
# Thường vụ Tỉnh ủy"), by the metadata question it answers.
_STATES = {
    "when": re.compile(r"^[^.;]{0,12}?\bngay \d{1,2}\s*/\s*\d{1,2}\s*/\s*\d{4}"),
    "who": re.compile(r"^[^.;]{0,40}?\bcua (ban|bo|uy ban|hoi dong|tinh uy|chinh phu|thu tuong|trung uong)\b"),
}


def _after(folded_text: str, ref) -> str:
    """The words that follow the first citation of ``ref`` in a folded official text."""
    m = citation(folded_text, ref.number)
    return folded_text[m.end() :] if m else ""


SAME_MESSAGE = 0.999  # cosine of a message with itself, after float32 rounding


class Answerer:
    """The one entry point channels call to answer a question."""

    def __init__(
        self,
        index: IndexManager,
        embedder: Embedder,
        segmenter: Segmenter,
        calibration: Calibration,
        cache_size: int = 2048,
        max_suggestions: int = 3,
        phrasings=None,
    ) -> None:
        self.index = index
        self.phrasings = phrasings  # bot.learning.memory.PhrasingMemory, or None
        self.embedder = embedder
        self.segmenter = segmenter
        self.calibration = calibration
        self.cache_size = cache_size
        self.max_suggestions = max_suggestions
        self._cache: OrderedDict[tuple[str, str], Answer] = OrderedDict()
        self._lock = threading.Lock()
        self._retrievers: dict[str, Retriever] = {}

    # --- public ------------------------------------------------------------
    def answer(self, question: str, context: Context | None = None) -> Answer:
        """Answer one free-form question (any spelling, with or without diacritics); ``context``: what
        the previous answer in this chat was about, for follow-ups ("ý 5 là gì?")."""
        version = self.index.current()
        # A new link or mark changes answers at once: it is part of the cache key.
        snapshot = self._snapshot(version)
        key = (version.name, snapshot.revision if snapshot else (), normalize(question or ""), context)
        if self.cache_size:
            with self._lock:
                hit = self._cache.get(key)
                if hit is not None:
                    self._cache.move_to_end(key)
                    return hit
        result = self._answer(question or "", version, context)
        result.version = version.name
        if self.cache_size:
            with self._lock:
                self._cache[key] = result
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return result

    def _snapshot(self, version: IndexVersion):
        if self.phrasings is None:
            return None
        return self.phrasings.snapshot(self.retriever(version))

    def answer_question(self, doc_id: str, question_number: int) -> Answer | None:
        """The whole official answer to a given official question (buttons, "xem toàn văn")."""
        version = self.index.current()
        group = next((g for g in version.groups if g.doc_id == doc_id and g.question_number == question_number), None)
        if group is None:
            return None
        result = self._whole_with_next(version, group)
        result.version = version.name
        return result

    def retriever(self, version: IndexVersion) -> Retriever:
        r = self._retrievers.get(version.name)
        if r is None:
            r = Retriever(version, self.embedder, self.segmenter, self.calibration.fusion_weight)
            self._retrievers = {version.name: r}  # drop retrievers of replaced versions
        return r

    def retrieve(self, question: str) -> tuple[Retrieval, Retriever]:
        """Raw retrieval, the calibrated model's order (diagnostics: ``hoidap explain``)."""
        r = self.retriever(self.index.current())
        retrieval = r.retrieve(question)
        if retrieval.hits:
            self._rescore(retrieval, r)
        return retrieval, r

    # --- steps -------------------------------------------------------------
    def _answer(self, question: str, version: IndexVersion, context: Context | None = None) -> Answer:
        if is_smalltalk(question):
            # Thanks, greetings, praise: never a quote. A greeting is greeted back (in private).
            return Answer(found=False, kind="greeting" if is_greeting(question) else "smalltalk")
        retriever = self.retriever(version)
        query = retriever.query(question)
        toks = tokens(query.normalized)
        if not toks:
            return Answer(found=False, kind="empty" if not tokens(query.text) else "smalltalk")
        content = [t for t in toks if t not in STOPWORDS and fold(t) not in SMALLTALK]
        if not content:
            return Answer(found=False, kind="smalltalk")

        follow = self._follows(query, version, context)
        if follow is not None:
            item = self._item_of(version, follow, item_asked(query.normalized))
            if item is not None:
                return item
            # Read as if the member had named the previous answer's document.
            query.refs = {follow.doc_id}

        numbered = self._numbered(query, version, context)
        if numbered is not None:
            return numbered

        meta = self._meta(query, version, retriever)
        if meta is not None:
            return meta

        retrieval = retriever.retrieve(query)
        if follow is not None:
            retrieval.hits = [h for h in retrieval.hits if h.group.doc_id == follow.doc_id] or retrieval.hits
        if not retrieval.hits:
            return Answer(found=False)
        top, p = self._rescore(retrieval, retriever)
        learned = self._learned(retrieval, retriever, query, p)
        if learned is not None:
            return learned
        # A message that asks several things: each ask is answered on its own, and the
        # confident answers to other official questions follow the main one.
        extra = self._asks(query, retriever, exclude=top.group.gid) if len(query.asks) >= 2 else []
        if p >= self.calibration.threshold:
            extra = extra[: MAX_QUOTES - 1]
        if p < self.calibration.threshold:
            if extra:
                main, *rest = extra[:MAX_QUOTES]
                main.more = rest
                return main
            suggestions = self._suggestions(retrieval, retriever)
            if p >= self.calibration.confirm_threshold and suggestions and suggestions[0].gid == top.group.gid:
                # Plausible, not certain: ask "Có phải bạn muốn hỏi…?" with a one-tap way to the quote.
                return Answer(found=False, score=p, suggestions=suggestions, confirm=True, gid=top.group.gid)
            return Answer(found=False, score=p, suggestions=suggestions)

        result = self._quote(version, top, p, query)
        result.alternatives = self._other_documents(version, retrieval, top, p, query)
        shown = {s.gid for s in result.alternatives}
        result.related = [
            self._suggestion(retriever.version, h.group)
            for h in retrieval.hits[1:3]
            if h.group.gid not in shown and self._relevant(h, retrieval, retriever)
        ]
        result.more = extra
        return result

    def _other_documents(
        self, version: IndexVersion, retrieval: Retrieval, top: GroupHit, p: float, query: Query
    ) -> list[Suggestion]:
        """Another document's answer that is nearly as likely, when the message names no document:
        offered one tap away ("Văn bản khác cũng nói về việc này: …"), never mixed into the quote."""
        if query.refs or len(version.documents) < 2:
            return []
        floor = max(self.calibration.confirm_threshold, ALTERNATIVE_SHARE * p)
        for hit in retrieval.hits[1:RERANK]:
            q = retrieval.probabilities.get(hit.group.gid, 0.0)
            if hit.group.doc_id != top.group.doc_id and hit.group.question_number is not None and q >= floor:
                return [self._suggestion(version, hit.group)]
        return []

    def _cited_in(self, query: Query, version: IndexVersion, retriever: Retriever) -> Answer | None:
        """ "QĐ 08-QĐi/TW được nhắc trong chỉ thị nào của tỉnh?": a document that is not loaded, and the
        question is which loaded text cites it. The answer is the official answer that cites it (the
        best ranked of those that do), quoted whole; another document's citing answer is one tap away."""
        if not query.foreign or query.refs:
            return None
        folded = fold(query.normalized)
        # "QĐ 45 ban hành ngày nào?": not ours, but a loaded answer that cites it with its date (or its
        # issuer) states exactly that, in official words: quoting it beats refusing.
        stated = _STATES.get(stated_in_citation(fold(canonical(query.normalized))) or "")
        if stated is None and not _ASKS_WHERE_CITED.search(folded):
            return None
        wanted = [r for r in query.references if r.label in query.foreign]

        def states_it(group: Group) -> bool:
            text = fold(group.question + " " + group.answer)
            return all(cites(text, r) and (stated is None or stated.search(_after(text, r))) for r in wanted)

        citing = [g for g in version.groups if g.question_number is not None and states_it(g)]
        if not citing:
            return None
        if len(citing) > 1:  # the one the message is most about first
            rank = {h.group.gid: i for i, h in enumerate(retriever.retrieve(query).hits)}
            citing.sort(key=lambda g: rank.get(g.gid, len(rank)))
        top = citing[0]
        result = self._whole(version, top, self.calibration.threshold)
        result.alternatives = [
            self._suggestion(version, g) for g in citing[1:] if g.doc_id != top.doc_id and len(version.documents) > 1
        ][:1]
        return result

    @staticmethod
    def _follows(query: Query, version: IndexVersion, context: Context | None) -> Context | None:
        """The previous answer's context, when this message is a follow-up to it."""
        if context is None or context.doc_id not in version.documents or query.refs or query.foreign:
            return None
        return context if leans_on_context(query.normalized) else None

    def _numbered(self, query: Query, version: IndexVersion, context: Context | None) -> Answer | None:
        """ "câu hỏi 4 của ct46 là gì?": an official question asked by its number, in the document named,
        else the one the chat was about, else the only one loaded. With several documents and none of
        them meant, each one's question of that number is offered, one tap away."""
        number = question_asked(query.unreferenced)
        if number is None or query.foreign or len(query.refs) > 1:
            return None
        if query.refs:
            docs = set(query.refs)
        elif context is not None and context.doc_id in version.documents:
            docs = {context.doc_id}
        else:
            docs = set(version.documents)
        groups = [g for g in version.groups if g.doc_id in docs and g.question_number == number]
        if len(groups) == 1:
            return self._whole_with_next(version, groups[0])
        if groups:
            return Answer(
                found=False,
                kind="which_document",
                question=f"Câu hỏi {number}",
                # Every document that has it: a member choosing between documents must see them all.
                suggestions=[self._suggestion(version, g) for g in groups][:MAX_DOCUMENT_CHOICES],
            )
        return None

    def _item_of(self, version: IndexVersion, context: Context, item: int | None) -> Answer | None:
        """ "ý 5 là gì?" right after an official answer: its item (5), quoted alone."""
        if item is None or context.question_number is None:
            return None
        group = next(
            (g for g in version.groups if g.doc_id == context.doc_id and g.question_number == context.question_number),
            None,
        )
        if group is None:
            return None
        unit = next(
            (
                version.units[p]
                for p in group.positions
                if version.units[p].kind == "item" and version.units[p].item == item
            ),
            None,
        )
        if unit is None:
            return None
        return self._item(version, group, item, unit.quote, 1.0)

    def _rescore(self, retrieval: Retrieval, retriever: Retriever) -> tuple[GroupHit, float]:
        """The calibrated model rescores the top answers; the most probable one is moved first."""
        probs = [
            self.calibration.probability(features(retrieval, retriever, rank))
            for rank in range(min(RERANK, len(retrieval.hits)))
        ]
        retrieval.probabilities = {h.group.gid: q for h, q in zip(retrieval.hits, probs, strict=False)}
        best = max(range(len(probs)), key=probs.__getitem__)
        if best:
            retrieval.hits.insert(0, retrieval.hits.pop(best))
        return retrieval.hits[0], probs[best]

    def _learned(self, retrieval: Retrieval, retriever: Retriever, query: Query, p: float) -> Answer | None:
        """What admins taught: a message close to a linked phrasing gets that link's answer; one close
        to an out-of-scope mark (closer than to any link) is refused."""
        snapshot = self._snapshot(retriever.version)
        if snapshot is None or not snapshot.entries or retrieval.vectors is None:
            return None
        link, oos = snapshot.nearest(retrieval.vectors)
        cal = self.calibration
        if oos is not None and oos.similarity >= cal.phrase_oos and (link is None or oos.similarity >= link.similarity):
            return Answer(
                found=False,
                score=0.0,
                suggestions=self._suggestions(retrieval, retriever),
                learned=oos.entry.phrasing_id,
            )
        # The fitted bar may sit at 1.0 (no near-duplicate helped in the fit); the linked message itself,
        # whose vector equals the phrasing's up to float rounding, must still get the admin's answer.
        if link is None or link.similarity < min(cal.phrase_link, SAME_MESSAGE):
            return None
        from bot.learning.store import resolve

        version = retriever.version
        found = resolve(version, link.entry.target)
        if found is None:
            return None
        group, position = found
        score = max(p, link.similarity)
        if position is not None:
            unit = version.units[position]
            result = self._item(version, group, unit.item, unit.quote, score)
        else:
            result = self._whole(version, group, score)
        result.learned = link.entry.phrasing_id
        result.related = [
            self._suggestion(retriever.version, h.group)
            for h in retrieval.hits[:3]
            if h.group.gid != group.gid and self._relevant(h, retrieval, retriever)
        ][:2]
        return result

    def _quote(self, version: IndexVersion, hit: GroupHit, p: float, query: Query) -> Answer:
        """One item when the message clearly targets it, else the whole official answer."""
        position, margin = item_margin(hit, version)
        if position is not None and not query.wants_list and margin >= self.calibration.item_margin:
            unit = version.units[position]
            return self._item(version, hit.group, unit.item, unit.quote, p)
        return self._whole(version, hit.group, p)

    def _asks(self, query: Query, retriever: Retriever, exclude: int) -> list[Answer]:
        """Confident answers to the separate asks of a message, one per official question."""
        out: list[Answer] = []
        seen = {exclude}
        for ask in query.asks:
            retrieval = retriever.retrieve(query, text=ask)
            if not retrieval.hits:
                continue
            hit, p = self._rescore(retrieval, retriever)
            if p >= self.calibration.threshold and hit.group.gid not in seen:
                seen.add(hit.group.gid)
                out.append(self._quote(retriever.version, hit, p, query))
        return out

    def _meta(self, query: Query, version: IndexVersion, retriever: Retriever) -> Answer | None:
        """A question about a loaded document itself, answered from its title; about a document that is
        not loaded: the loaded text that cites it when that is what is asked, else refused as such."""
        asked = find_meta_question(query, version.documents)
        if asked is None:
            cited = self._cited_in(query, version, retriever)
            if cited is not None:
                return cited
            missing = not_loaded(query, version.documents)
            if missing is not None:
                return Answer(found=False, kind="not_loaded", question=query.reference_text(missing))
            return None
        meta = version.document(asked.doc_id)
        n_questions = sum(1 for g in version.groups if g.doc_id == asked.doc_id and g.question_number is not None)
        return Answer(
            found=True,
            answer=answer_meta(asked.intent, meta, n_questions),
            question=meta.title,
            source=Source(meta.title, asked.doc_id, meta.number, meta.citation_name, ocr=meta.ocr),
            score=1.0,
            kind="meta",
        )

    def _source(self, version: IndexVersion, group: Group, item: int | None = None) -> Source:
        meta = version.document(group.doc_id)
        return Source(
            meta.title,
            group.doc_id,
            meta.number,
            meta.citation_name,
            group.question_number,
            item,
            group.heading,
            ocr=meta.ocr,
        )

    def _whole_with_next(self, version: IndexVersion, group: Group) -> Answer:
        """An official answer asked for by name (a button, "câu 3"): whole, its next question one tap away."""
        result = self._whole(version, group, score=1.0)
        result.related = self._related(version, group)
        return result

    def _whole(self, version: IndexVersion, group: Group, score: float) -> Answer:
        return Answer(
            found=True,
            answer=group.answer,
            question=group.question if group.question_number is not None else "",
            source=self._source(version, group),
            score=score,
            kind="answer" if group.question_number is not None else "section",
            gid=group.gid,
        )

    def _item(self, version: IndexVersion, group: Group, item: int, text: str, score: float) -> Answer:
        return Answer(
            found=True,
            answer=text,
            question=group.question,
            source=self._source(version, group, item),
            score=score,
            kind="item",
            full_answer=group.answer,
            gid=group.gid,
        )

    @staticmethod
    def _suggestion(version: IndexVersion, group: Group) -> Suggestion:
        document = version.document(group.doc_id).label if len(version.documents) > 1 else ""
        return Suggestion(group.gid, group.doc_id, group.question_number, group.question, document)

    def _relevant(self, hit: GroupHit, retrieval: Retrieval, retriever: Retriever) -> bool:
        """Worth suggesting: the answer shares some content with the question."""
        profile = retriever.profile(hit.group)
        return any(retrieval.terms.has(profile, t) >= 1.0 for t in retrieval.terms.content)

    def _suggestions(self, retrieval: Retrieval, retriever: Retriever) -> list[Suggestion]:
        out = []
        for hit in retrieval.hits:
            if len(out) >= self.max_suggestions:
                break
            if hit.group.question_number is not None and self._relevant(hit, retrieval, retriever):
                out.append(self._suggestion(retriever.version, hit.group))
        return out

    def _related(self, version: IndexVersion, group: Group) -> list[Suggestion]:
        same_doc = [g for g in version.groups if g.doc_id == group.doc_id and g.question_number is not None]
        nxt = [g for g in same_doc if g.question_number in ((group.question_number or 0) + 1,)]
        return [self._suggestion(version, g) for g in nxt]
