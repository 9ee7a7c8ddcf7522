"""A question costs what it meets, not the corpus; the speed-ups change no answer.

One model call per message (the asks of a multi-question message included), query vectors
reused by normalised text, lexical scores from the postings only, groups scored as arrays
(checked here against the plain per-group rule), the lexicon memory-mapped (a version with
the old JSON lexicon still loads and answers the same), builds segmenting each text once.
"""

import json
import shutil
import unicodedata

import numpy as np
import pytest

from bot.answer.retrieval import DOC_REFERENCE_BONUS, Retriever
from bot.embed.adapter import AdaptedEmbedder
from bot.embed.base import Embedder
from bot.index.builder import build_index
from bot.index.store import IndexStore
from bot.index.version import IndexVersion
from bot.segment.parallel import SegmentCache, segment_many
from bot.text.analysis import Lexicon, TextProfile
from bot.text.lexicon_store import HashedSet, HashedTable
from bot.text.restore import DiacriticRestorer
from tests.conftest import DATA, SEED_DOC

TWO_ASKS = (
    "Cơ quan em đang rà soát quy chế làm việc. Cho em hỏi hai ý: một là người đứng đầu phải là người "
    "như thế nào, hai là cấp ủy phải phân cấp, ủy quyền ra sao để khắc phục đùn đẩy?"
)
QUESTIONS = [
    "Người đứng đầu phải thế nào?",
    "nguoi dung dau phai the nao",
    "Tham mưu lòng vòng là biểu hiện gì?",
    "Đảng viên có được kinh doanh không?",
    "ad ơi ct46 nói j về việc đùn đẩy trách nhiệm z",
    TWO_ASKS,
]


class Counting(Embedder):
    """The real embedder, counting its calls (the vectors are the model's own)."""

    def __init__(self, inner: Embedder) -> None:
        self.inner, self.model_id, self.dim = inner, inner.model_id, inner.dim
        self.calls: list[list[str]] = []

    def embed_queries(self, texts):
        self.calls.append(list(texts))
        return self.inner.embed_queries(texts)

    def embed_passages(self, texts, progress=None):
        return self.inner.embed_passages(texts, progress)


def test_one_model_call_per_message_even_when_it_asks_two_things(assistant, monkeypatch):
    counting = Counting(assistant.answerer.embedder)
    monkeypatch.setattr(assistant.answerer, "embedder", counting)
    monkeypatch.setattr(assistant.answerer, "cache_size", 0)
    assistant.answerer._retrievers.clear()
    answer = assistant.ask(TWO_ASKS)
    assert answer.found and answer.more
    assert len(counting.calls) == 1, counting.calls
    assert len(counting.calls[0]) >= 3  # the message's views and each ask, together


def test_query_vectors_are_reused_by_normalised_text(embedder):
    counting = Counting(embedder)
    cached = AdaptedEmbedder(counting, None, cache_size=16)
    nfd = unicodedata.normalize("NFD", "Tỉnh uỷ yêu cầu gì?")
    first = cached.embed_queries(["Tỉnh ủy yêu cầu gì?", "Người đứng đầu phải thế nào?"])
    again = cached.embed_queries([nfd, "Người đứng đầu phải thế nào?", "Cán bộ né tránh"])
    assert [len(c) for c in counting.calls] == [2, 1]  # only the new text reached the model
    assert np.array_equal(first[0], again[0]) and np.array_equal(first[1], again[1])
    assert np.array_equal(again[2], embedder.embed_queries(["Cán bộ né tránh"])[0])


def test_answers_are_the_same_with_and_without_the_query_cache(assistant, seed_settings):
    from bot.service import Assistant

    # Two fresh assistants on the same settings: the session's one carries what earlier tests taught it.
    cached = Assistant(seed_settings, embedder=assistant.embedder)
    uncached = Assistant(seed_settings.model_copy(update={"query_cache_size": 0}), embedder=assistant.embedder)
    for q in QUESTIONS:
        assert cached.ask(q).to_json() == uncached.ask(q).to_json()
        assert cached.ask(q).to_json() == uncached.ask(q).to_json()  # the second time from the cache


def test_lexical_scores_come_from_the_postings_and_equal_bm25s(assistant):
    version = assistant.index.current()
    terms = assistant.answerer.retriever(version).query("tham mưu lòng vòng đùn đẩy").full_terms.keyword_terms()
    known = [t for t in terms if t in version.keywords._retriever.vocab_dict]
    reference = version.keywords._retriever.get_scores(known)
    positions, scores = version.keywords.sparse(terms)
    assert np.array_equal(positions, np.flatnonzero(reference)) and np.array_equal(scores, reference[positions])


def _plain_ranking(retriever: Retriever, query, text=None):
    """The ranking rule written out group by group (what the arrays must compute)."""
    v = retriever.version
    texts = retriever.dense_texts(query, text)
    table = retriever.query_vectors(query, texts)
    qvecs = np.vstack([table[t] for t in texts])
    ids = np.concatenate([v.vectors.search(q, 64)[1] for q in qvecs])
    terms = query.full_terms if text is None else None
    if terms is None:
        from bot.text.analysis import QueryTerms

        terms = QueryTerms.of(text, v.lexicon, restored=v.restorer.restore(text))
    kw = v.keywords.scores(terms.keyword_terms())
    top = np.argsort(-kw, kind="stable")[:64]
    candidates = set(ids.tolist()) | set(top[kw[top] > 0].tolist())
    kmax = float(kw.max())
    out = []
    for gid in sorted({int(v.group_of[p]) for p in candidates}):
        group = v.groups[gid]
        dense = {p: max(float(v.vectors.vector(p) @ q) for q in qvecs) for p in group.positions}
        fused = {p: dense[p] + retriever.fusion_weight * (float(kw[p]) / kmax if kmax > 0 else 0.0) for p in dense}
        best = max(fused, key=fused.get)
        bonus = DOC_REFERENCE_BONUS if group.doc_id in query.refs and len(v.documents) >= 2 else 0.0
        out.append((fused[best] + bonus, gid, best))
    out.sort(key=lambda x: -x[0])
    return out[:6]


@pytest.mark.parametrize("question", QUESTIONS)
def test_group_scores_follow_the_plain_rule(assistant, question):
    retriever = assistant.answerer.retriever(assistant.index.current())
    query = retriever.query(question)
    for text in [None, *(query.asks if len(query.asks) >= 2 else [])]:
        hits = retriever.retrieve(query, text=text).hits
        plain = _plain_ranking(retriever, query, text)
        assert [(h.group.gid, h.best_unit) for h in hits] == [(g, b) for _, g, b in plain]
        assert np.allclose([h.score for h in hits], [s for s, _, _ in plain], atol=1e-6)


def test_hashed_sets_and_tables_answer_like_sets_and_dicts():
    words = {"cán_bộ", "đùn_đẩy", "né_tránh", "trách_nhiệm"}
    hashed = HashedSet.of(words)
    assert all(w in hashed for w in words) and "cán bộ" not in hashed and "" not in hashed and len(hashed) == 4
    table = {"can bo": "cán bộ", "dun day": "đùn đẩy", "x": ""}
    hashed_table = HashedTable.of(table)
    assert {k: hashed_table.get(k) for k in table} == table and hashed_table.get("ne tranh") is None


def test_the_spelling_table_keeps_the_most_frequent_spelling_and_the_first_on_a_tie():
    texts = ["Cán bộ cán bộ cản bộ", "cân bố", "Đảng viên", "đang viên"]
    table = DiacriticRestorer.build(texts).table
    assert table["can bo"] == "cán bộ"  # 2 against 1 and 1
    assert table["dang vien"] == "đảng viên"  # 1 against 1: the first seen
    assert DiacriticRestorer.build(texts, min_count_long=2).table.get("dang vien") is None


def test_a_version_with_the_json_lexicon_of_earlier_builds_still_answers_the_same(assistant, tmp_path):
    version = assistant.index.current()
    old = tmp_path / "index" / "versions" / version.name
    shutil.copytree(version.path, old)
    shutil.rmtree(old / "lexicon")
    texts = [(f"{g.question}\n{g.answer}", g.words or ()) for g in version.groups]
    lexicon = Lexicon.build(texts)
    restorer = DiacriticRestorer.build([u.text for u in version.units] + [m.title for m in version.documents.values()])
    (old / "lexicon.json").write_text(
        json.dumps({"lexicon": lexicon.to_dict(), "restore": restorer.to_dict()}, ensure_ascii=False), "utf-8"
    )
    loaded = IndexVersion(old)
    assert isinstance(loaded.lexicon.profile.pairs, set) and not isinstance(version.lexicon.profile.pairs, set)
    for q in QUESTIONS:
        a = Retriever(loaded, assistant.answerer.embedder, assistant.segmenter, 0.1).retrieve(q)
        b = Retriever(version, assistant.answerer.embedder, assistant.segmenter, 0.1).retrieve(q)
        assert [h.group.gid for h in a.hits] == [h.group.gid for h in b.hits]
        assert a.terms.content == b.terms.content


def test_a_rebuild_segments_nothing_it_has_segmented_before(settings, embedder, segmenter, monkeypatch):
    seen = []
    real = type(segmenter).words
    monkeypatch.setattr(type(segmenter), "words", lambda self, text: seen.append(text) or real(self, text))
    build_index(settings, embedder, segmenter)
    first = len(seen)
    before = set(IndexVersion(IndexStore(settings.index_dir).active_path()).documents)
    shutil.copy(DATA / "docs" / "quy-dinh-99-kiem-thu.txt", settings.knowledge_dir)
    build_index(settings, embedder, segmenter)
    version = IndexVersion(IndexStore(settings.index_dir).active_path())
    new_groups = sum(1 for g in version.groups if g.doc_id not in before)
    assert first > 0 and new_groups > 0 and len(seen) - first == new_groups  # only the added document's answers


def test_segmenting_on_several_cores_gives_what_one_core_gives(segmenter, tmp_path, monkeypatch):
    import bot.segment.parallel as parallel

    lines = [line for line in SEED_DOC.read_text(encoding="utf-8").splitlines() if len(line) > 30]
    monkeypatch.setattr(parallel, "PARALLEL_MIN", 4)
    monkeypatch.setattr(parallel, "CHUNK", 5)
    cache = SegmentCache(tmp_path / "segments.sqlite")
    try:
        assert segment_many(segmenter, lines, cache, workers=2) == [segmenter.words(t) for t in lines]
        assert segment_many(segmenter, lines, cache, workers=2) == [segmenter.words(t) for t in lines]  # cached
    finally:
        cache.close()


def test_profiles_of_the_corpus_are_memory_mapped(assistant):
    corpus = assistant.index.current().lexicon.profile
    assert isinstance(corpus, TextProfile) and isinstance(corpus.words, HashedSet)
    assert isinstance(corpus.words.keys, np.memmap)
