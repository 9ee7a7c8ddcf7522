"""Answering members the way they really write: chat language, long messages, several asks, and
metadata only when it is right. Real model, real document, the shipped calibration and query adapter."""

from pathlib import Path

import pytest

from bot.answer.query import Query, find_references
from bot.evaluate import evaluate, load_rows
from tests.conftest import REPO, SEED_DOC

RAW = SEED_DOC.read_text(encoding="utf-8")
SHARED = next(
    (p for p in (REPO.parent / "shared" / "eval", Path("/work/shared/eval")) if (p / "chat-dev.jsonl").exists()),
    REPO.parent / "shared" / "eval",
)


def query(assistant, text: str) -> Query:
    return Query.of(text, assistant.index.current(), assistant.segmenter)


# --- the Query: normalised once -----------------------------------------------------------------------
def test_a_long_message_keeps_its_question_part_apart_from_its_context(assistant):
    q = query(
        assistant,
        "Chào ad, em là bí thư chi bộ thôn mới được bầu. Tuần sau chi bộ sinh hoạt chuyên đề. "
        "Theo ct46 thì người đứng đầu phải làm gương ở những mặt nào ạ?",
    )
    assert q.focus == "thì người đứng đầu phải làm gương ở những mặt nào?"
    assert "sinh hoạt chuyên đề" in q.context and "chuyên đề" not in q.focus
    assert q.refs == {"46-ct-tu"} and q.foreign == []
    assert len(q.dense_sentences) == 3  # each sentence can meet the passage it describes


def test_two_asks_in_one_sentence_are_split(assistant):
    q = query(assistant, "Cho em hỏi hai ý: một là người đứng đầu phải thế nào, hai là cấp ủy phải phân cấp ra sao?")
    assert q.asks == ["người đứng đầu phải thế nào", "cấp ủy phải phân cấp ra sao"]


def test_documents_named_are_told_apart():
    refs = find_references("theo quy định 45-qđ/tu và kết luận 21-kl/tw, chỉ thị 46")
    assert [(r.kind, r.number, r.code) for r in refs] == [
        ("quy dinh", "45", "qd/tu"),
        ("ket luan", "21", "kl/tw"),
        ("chi thi", "46", ""),
    ]


def test_unaccented_chat_is_restored_for_the_model(assistant):
    q = query(assistant, "nguoi dung dau phai the nao z ad")
    assert q.dense_focus == "người đứng đầu phải thế nào vậy"


# --- answers ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "message, number",
    [
        ("ad ơi cho e hỏi ct46 bắt người đứng đầu cơ quan phải làm gương kiểu j z ạ 😅", 2),
        ("tham muwu lofng vofng khoong roox nguwowif roox vieecj thif sao", 4),
        ("KHONG CHU DONG DE XUAT GIAI PHAP THI LA BIEU HIEN GI", 4),
        ("tra1ch nhie65m gia3i tri2nh theo chi3 thi5 46", 7),
    ],
)
def test_chat_messages_reach_the_official_answer(assistant, message, number):
    a = assistant.ask(message)
    assert a.found and a.source.question_number == number, (a.to_json(), a.suggestions)
    assert a.answer in RAW  # quoted word for word


def test_a_message_that_asks_two_things_gets_two_quotes(assistant):
    a = assistant.ask(
        "Cơ quan em đang rà soát quy chế làm việc. Cho em hỏi hai ý: một là người đứng đầu phải là người "
        "như thế nào, hai là cấp ủy phải phân cấp, ủy quyền ra sao để khắc phục đùn đẩy?"
    )
    assert a.found and a.more, a.to_json()
    numbers = [a.source.question_number] + [m.source.question_number for m in a.more]
    assert sorted(numbers) == [2, 5]
    assert all(m.found and m.answer in RAW for m in a.more)
    j = a.to_json()
    assert set(j["more"][0]) >= {"found", "answer", "question", "source", "score", "suggestions"}


@pytest.mark.parametrize(
    "question",
    [
        "Kết luận 21-KL/TW nói về vấn đề gì?",
        "Nghị quyết 27 về nội dung gì vậy?",
        "Chỉ thị 46 còn hiệu lực không?",
        "Ai ký Chỉ thị 46?",
        "Chỉ thị 46 dài bao nhiêu trang?",
        "Chỉ thị 46 thay thế văn bản nào?",
    ],
)
def test_no_metadata_sentence_for_another_document_or_a_missing_attribute(assistant, question):
    a = assistant.ask(question)
    assert a.kind != "meta", a.to_json()
    assert not a.found, a.to_json()


def test_a_document_our_text_cites_is_not_described_from_our_title(assistant):
    """Quy định 45-QĐ/TU is not loaded; Câu hỏi 8 cites it. No sentence about Chỉ thị 46's title: either a
    refusal or the official answer that names Quy định 45."""
    a = assistant.ask("Quy định 45 về nội dung gì?")
    assert a.kind != "meta"
    assert not a.found or ("Quy định số 45-QĐ/TU" in a.question and a.answer in RAW)


def test_metadata_of_the_loaded_document_in_chat_language(assistant):
    a = assistant.ask("ct46 ban hành ngày nào z ad")
    assert a.found and a.kind == "meta" and "03/4/2024" in a.answer


def test_a_plausible_answer_is_offered_not_refused(assistant, monkeypatch):
    """Between the two thresholds the best official question is offered with one tap (confirm)."""
    cal = assistant.answerer.calibration
    monkeypatch.setattr(cal, "threshold", 1.01)
    monkeypatch.setattr(cal, "confirm_threshold", 0.0)
    assistant.answerer._cache.clear()
    a = assistant.ask("Tham mưu lòng vòng, không rõ người rõ việc")
    assistant.answerer._cache.clear()
    assert not a.found and a.confirm
    assert a.suggestions[0].question_number == 4
    j = a.to_json()
    assert j["found"] is False and j["confirm"] is True and j["suggestions"][0]["question_number"] == 4


# --- the bars of the chat sets ------------------------------------------------------------------------
def test_chat_holdout_written_apart_from_everything_fitted(assistant):
    """eval/holdout-chat.jsonl: never used to fit the calibration or the adapter."""
    report = evaluate(load_rows(REPO / "eval" / "holdout-chat.jsonl"), assistant.ask)
    # Floors of the calibration fitted on every document of eval/corpus (not the seed alone), as measured
    # (docs/answering.md, "Quality"): the seed-only calibration scored higher here and far lower on new leaflets.
    assert report.inscope_top1 >= 0.79, report.lines()  # measured 0.805
    assert report.oos_reject >= 0.92, report.lines()  # measured 0.940
    assert report.wrong_answers <= 25, report.lines()  # measured 24
    assert report.one_tap_reach >= 0.83, report.lines()  # measured 0.842


@pytest.mark.skipif(not (SHARED / "chat-dev.jsonl").exists(), reason="the shared chat set is not next to this checkout")
def test_chat_dev_bars(assistant):
    report = evaluate(load_rows(SHARED / "chat-dev.jsonl"), assistant.ask)
    # Floors of the calibration fitted on every document of eval/corpus (not the seed alone), as measured
    # (docs/answering.md, "Quality"): the seed-only calibration scored higher here and far lower on new leaflets.
    # The bars for the seed (0.95 both ways) hold since bare syllables of a message typed with
    # marks stay as typed for the model ("năm nay", not "năm này").
    assert report.inscope_top1 >= 0.95, report.lines()  # measured 0.952
    assert report.oos_reject >= 0.95, report.lines()  # measured 0.950
    assert report.wrong_answers <= 6, report.lines()  # measured 6
    assert report.one_tap_reach >= 0.96, report.lines()  # measured 0.964


@pytest.mark.parametrize("mark", ["\u200b", "\u200c", "\u200d", "\u00ad", "\u2060", "\u200e", "\ufeff"])
def test_invisible_characters_inside_words_do_not_change_the_answer(assistant, mark):
    a = assistant.ask(f"Tham m{mark}ưu lòng v{mark}òng")
    assert a.found and (a.source.question_number, a.source.item) == (4, 5)
