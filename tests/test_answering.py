"""Answering with the real model and the real document: verbatim quotes, citations, refusals."""

import unicodedata
from pathlib import Path

import pytest

from bot.evaluate import evaluate, load_rows
from tests.conftest import REPO, SEED_DOC

RAW = SEED_DOC.read_text(encoding="utf-8")
# The shared dev set lives beside the main checkout (read-only); CI clones elsewhere.
DEV = next(
    (p for p in (REPO.parent / "shared" / "eval" / "dev.jsonl", Path("/work/shared/eval/dev.jsonl")) if p.exists()),
    REPO.parent / "shared" / "eval" / "dev.jsonl",
)


def test_holdout_questions_never_used_for_calibration(assistant):
    """Questions written apart from the calibration set: the method must generalise."""
    report = evaluate(load_rows(REPO / "eval" / "holdout.jsonl"), assistant.ask)
    # Floors of the calibration fitted on every document of eval/corpus (not the seed alone), as measured
    # (docs/answering.md, "Quality"): the seed-only calibration scored higher here and far lower on new leaflets.
    assert report.inscope_top1 >= 0.95, report.lines()  # measured 0.972
    assert report.oos_reject >= 0.88, report.lines()  # measured 0.892


@pytest.mark.skipif(not DEV.exists(), reason="the shared dev set is not next to this checkout")
def test_dev_set_bars(assistant):
    report = evaluate(load_rows(DEV), assistant.ask)
    assert report.inscope_top1 >= 0.95, report.lines()
    assert report.oos_reject >= 0.95, report.lines()


def test_whole_answer_is_quoted_verbatim_with_citation(assistant):
    a = assistant.ask("Người đứng đầu cấp ủy phải là người như thế nào?")
    assert a.found and a.kind == "answer"
    assert a.answer.startswith("Phải thực sự nêu gương") and a.answer in RAW
    assert a.source.question_number == 2 and a.source.item is None
    assert a.source.doc_number == "46-CT/TU"
    assert a.source.citation == "Câu hỏi 2 — Hỏi-Đáp Chỉ thị số 46-CT/TU ngày 03/4/2024"
    assert a.question in RAW


def test_item_question_quotes_the_single_item_and_names_its_parent(assistant):
    a = assistant.ask("Tham mưu lòng vòng, không rõ người rõ việc")
    assert a.found and a.kind == "item"
    assert (a.source.question_number, a.source.item) == (4, 5)
    assert a.answer.startswith("(5) Tham mưu “lòng vòng”") and a.answer in RAW
    assert a.question.startswith("Ban Thường vụ Tỉnh ủy yêu cầu nhận diện")
    assert a.full_answer.count("\n") == 11  # the whole list stays one tap away
    assert a.source.citation.startswith("Câu hỏi 4, mục (5) — ")


def test_list_question_gets_the_whole_list(assistant):
    a = assistant.ask("Liệt kê các biểu hiện phải nhận diện, kiểm điểm, chấn chỉnh")
    assert a.found and a.kind == "answer" and a.source.question_number == 4
    assert "(1) Không thực hiện đúng quy chế làm việc" in a.answer and "(12) Buông lỏng quản lý" in a.answer


@pytest.mark.parametrize(
    "question",
    [
        "nguoi dung dau phai the nao",  # no diacritics
        unicodedata.normalize("NFD", "Người đứng đầu cấp uỷ phải thế nào?"),  # decomposed, new tone placement
        "ngừơi đứng đầu cấp ủy phải thê nào",  # slips
    ],
)
def test_the_ways_members_type_reach_the_same_answer(assistant, question):
    a = assistant.ask(question)
    assert a.found and a.source.question_number == 2


def test_out_of_scope_is_refused_with_at_most_three_suggestions(assistant):
    a = assistant.ask("Đảng viên được nghỉ phép mấy ngày một năm?")
    assert not a.found and a.answer == "" and a.source is None
    assert len(a.suggestions) <= 3
    b = assistant.ask("Cán bộ có được nâng lương trước hạn khi làm tốt nhiệm vụ?")
    assert not b.found


def test_close_miss_offers_relevant_suggestions(assistant):
    a = assistant.ask("Đánh giá cán bộ đảng viên cuối năm cần những thủ tục gì?")
    assert not a.found
    assert 1 <= len(a.suggestions) <= 3
    assert all(s.question in RAW for s in a.suggestions)


def test_questions_about_the_document_itself(assistant):
    a = assistant.ask("Chỉ thị 46 ban hành ngày nào?")
    assert a.found and a.kind == "meta" and "03/4/2024" in a.answer
    b = assistant.ask("ai ban hanh chi thi 46")
    assert b.found and "Ban Thường vụ Tỉnh ủy" in b.answer
    c = assistant.ask("Tài liệu hỏi đáp Chỉ thị 46 có bao nhiêu câu hỏi?")
    assert c.found and "8 câu hỏi" in c.answer
    # What it says about a subject its title does not name is a question about its content: "giải
    # trình" is not the "giai đoạn" of a question about its period, nor "trình" the "chương trình".
    d = assistant.ask("chỉ thị 46 nói gì về trách nhiệm giải trình")
    assert d.found and d.kind != "meta" and d.source.question_number == 7, d.to_json()
    e = assistant.ask("chi thi 46 noi gi ve ca the hoa trach nhiem")  # "cá thể hóa", not "cụ thể hóa"
    assert e.found and e.kind != "meta" and e.source.question_number == 3, e.to_json()
    # "nội vụ" is a subject, not the "nói" of "nói về gì".
    assert assistant.ask("chỉ thị 46 nói gì về cơ quan nội vụ").kind != "meta"


@pytest.mark.parametrize(
    "text, kind",
    [("", "empty"), ("   ", "empty"), ("?!", "empty"), ("xin chào", "greeting"), ("cảm ơn bạn", "smalltalk")],
)
def test_empty_and_small_talk_are_not_searched(assistant, text, kind):
    a = assistant.ask(text)
    assert not a.found and a.kind == kind and a.suggestions == []


def test_repeated_questions_are_served_from_cache(assistant, monkeypatch):
    q = "Biện pháp khắc phục tình trạng né tránh, đùn đẩy là gì?"
    first = assistant.ask(q)
    calls = []
    monkeypatch.setattr(assistant.answerer, "_answer", lambda *a: calls.append(a))
    assert assistant.ask(q) is first
    assert assistant.ask(" " + q.upper() + " ") is first  # same normalized question
    assert calls == []


def test_json_shape(assistant):
    j = assistant.ask("Tham mưu lòng vòng").to_json()
    assert set(j) == {"found", "answer", "question", "source", "score", "suggestions", "confirm"}
    assert set(j["source"]) == {"document", "doc_number", "question_number", "item"}
    assert j["source"]["document"].startswith("HỎI - ĐÁP Về Chỉ thị số 46-CT/TU")
    assert 0.0 <= j["score"] <= 1.0


def test_answering_never_segments_the_documents_text(assistant, monkeypatch):
    """Answers' word profiles are segmented at build time: a question costs the same whatever the answer's size."""
    seen = []
    real = assistant.segmenter.words
    monkeypatch.setattr(assistant.segmenter, "words", lambda text: seen.append(text) or real(text))
    assistant.answerer._retrievers.clear()
    assistant.answerer._cache.clear()
    question = "Tham mưu lòng vòng là biểu hiện gì?"
    assert assistant.ask(question).found
    assert seen and all(len(text) <= len(question) for text in seen), seen
