"""Many leaflets at once: numbers of every form, documents named by number or by subject, questions
about a document itself, follow-ups and small talk — the parts that need no model."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.answer.features import _wrong_figure, asks_figure, unstated
from bot.answer.followup import item_asked, leans_on_context
from bot.answer.query import find_references, matches, subject_references
from bot.answer.titles import named_by_title, words
from bot.documents.metadata import DocNumber, parse_title
from bot.documents.variants import item_head, question_core, question_subject
from bot.text.chat import normalize_chat
from bot.text.smalltalk import is_smalltalk

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "eval" / "corpus" / "docs"


def _titles() -> dict:
    out = {}
    for path in [*sorted(CORPUS.glob("*.txt")), REPO / "knowledge" / "chi-thi-46-CT-TU-hoi-dap.txt"]:
        meta = parse_title(path.read_text(encoding="utf-8").splitlines()[0])
        out[meta.number] = meta
    return out


TITLES = _titles()


# --- numbers -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("title", "kind", "number", "date", "issuer"),
    [
        (
            "HỎI - ĐÁP Về Kế hoạch số 218/KH-UBND, ngày 02/7/2024 của Ủy ban nhân dân tỉnh về triển khai …",
            "Kế hoạch",
            "218/KH-UBND",
            dt.date(2024, 7, 2),
            "Ủy ban nhân dân tỉnh",
        ),
        (
            "HỎI - ĐÁP Về Nghị quyết số 27/2024/NQ-HĐND, ngày 10/12/2024 của Hội đồng nhân dân tỉnh quy định chính "
            "sách hỗ trợ …",
            "Nghị quyết",
            "27/2024/NQ-HĐND",
            dt.date(2024, 12, 10),
            "Hội đồng nhân dân tỉnh",
        ),
        (
            "HỎI - ĐÁP Về Chương trình hành động số 14-CTr/TU, ngày 30/5/2024 của Ban Thường vụ Tỉnh ủy thực hiện "
            "Nghị quyết số 35-NQ/TW …",
            "Chương trình hành động",
            "14-CTr/TU",
            dt.date(2024, 5, 30),
            "Ban Thường vụ Tỉnh ủy",
        ),
        (
            "HỎI - ĐÁP Về Hướng dẫn số 05-HD/BTCTU, ngày 09/9/2024 của Ban Tổ chức Tỉnh ủy về xem xét miễn nhiệm …",
            "Hướng dẫn",
            "05-HD/BTCTU",
            dt.date(2024, 9, 9),
            "Ban Tổ chức Tỉnh ủy",
        ),
    ],
)
def test_titles_of_every_issuer_and_number_form(title, kind, number, date, issuer):
    meta = parse_title(title)
    assert (meta.doc_type, meta.number, meta.date, meta.issuer) == (kind, number, date, issuer)
    assert meta.label == f"{kind} {number}"


@pytest.mark.parametrize(
    ("message", "number"),
    [
        ("kh218 nói gì về dữ liệu", "218/KH-UBND"),
        ("Kế hoạch 218/KH-UBND ban hành ngày nào?", "218/KH-UBND"),
        ("theo nghị quyết 27/2024/nq-hđnd thì", "27/2024/NQ-HĐND"),
        ("nq 27 hỗ trợ bao nhiêu", "27/2024/NQ-HĐND"),
        ("ctr 14 do ai ban hành", "14-CTr/TU"),
        ("chương trình hành động 14 có mấy chỉ tiêu", "14-CTr/TU"),
        ("nq09 về chuyển đổi số", "09-NQ/TU"),
        ("qđ 78 bảo vệ ai", "78-QĐ/TU"),
        ("hd 05 áp dụng cho ai", "05-HD/BTCTU"),
        ("ct46 nói gì vụ đùn đẩy", "46-CT/TU"),
    ],
)
def test_documents_named_by_number_as_members_write_them(message, number):
    refs = find_references(normalize_chat(message).text)
    named = {n for n in TITLES if any(matches(r, n) for r in refs)}
    assert named == {number}


def test_a_number_is_never_read_as_shorthand():
    assert normalize_chat("Kế hoạch 218/KH-UBND ban hành ngày nào").text == "kế hoạch 218/kh-ubnd ban hành ngày nào"


def test_numbers_of_another_type_or_issuer_do_not_match():
    assert not DocNumber.parse("46-CT/TU").named_by("46", "kl")
    assert not DocNumber.parse("218/KH-UBND").named_by("218", None, ("kh", "tu"))
    assert DocNumber.parse("11-QĐi/TW").named_by("11", "qd")


# --- documents named by subject or issuer --------------------------------------------------------------
def _named_by_subject(message: str) -> set[str]:
    docs = {m.number: m for m in TITLES.values()}
    return set(subject_references(normalize_chat(message).text, docs))


@pytest.mark.parametrize(
    ("message", "number"),
    [
        ("kế hoạch của ubnd về chuyển đổi số có mục tiêu gì", "218/KH-UBND"),
        ("nghị quyết về chuyển đổi số trong cơ quan đảng nói gì", "09-NQ/TU"),
        ("kết luận về phòng chống tham nhũng yêu cầu gì", "112-KL/TU"),
        ("theo hướng dẫn của ủy ban kiểm tra thì kiểm tra những ai", "03-HD/UBKTTU"),
        ("văn bản về tiết kiệm chống lãng phí đặt chỉ tiêu gì", "31-CT/TU"),
    ],
)
def test_a_document_named_by_its_subject_or_issuer(message, number):
    assert _named_by_subject(message) == {number}


@pytest.mark.parametrize("message", ["theo quy định thì phải làm gì", "có kế hoạch gì chưa", "chỉ thị có nói không"])
def test_everyday_words_name_no_document(message):
    assert _named_by_subject(message) == set()


def test_a_word_in_every_title_tells_nothing():
    docs = {m.number: m for m in TITLES.values()}
    assert named_by_title(words("cán bộ tỉnh"), docs) is None


# --- matching units made from the document's own words ----------------------------------------------
def test_the_question_without_the_document_s_name():
    assert (
        question_core("Kế hoạch số 135-KH/TU của Ban Thường vụ Tỉnh ủy đề ra mục đích, yêu cầu như thế nào?")
        == "Đề ra mục đích, yêu cầu như thế nào?"
    )
    assert question_core("Cán bộ được xem xét cho từ chức trong những trường hợp nào?") is None


def test_the_question_with_the_document_s_subject():
    """A question that names its own document by number also stands with what the document is about."""
    q = "Kế hoạch số 135-KH/TU của Ban Thường vụ Tỉnh ủy đề ra mục đích, yêu cầu như thế nào?"
    subject = "kiểm điểm, đánh giá, xếp loại chất lượng năm 2024"
    assert question_subject(question_core(q), q, subject) == f"Đề ra mục đích, yêu cầu như thế nào? ({subject})"
    assert question_subject("Cán bộ được xem xét ra sao?", "Cán bộ được xem xét ra sao?", subject) is None
    assert question_subject(question_core(q), q, None) is None


def test_the_head_of_a_long_item():
    item = (
        "(5) Tham mưu “lòng vòng”, không nêu rõ quan điểm, chính kiến, không rõ người, rõ việc, rõ tiến độ, rõ "
        "trách nhiệm trong công việc; không phối hợp hoặc phối hợp không có hiệu quả."
    )
    # A comma ends the head only after enough words: "Tham mưu “lòng vòng”" alone would be cut too early.
    assert item_head(item) == "Tham mưu “lòng vòng”, không nêu rõ quan điểm"
    assert item_head("Lơ là, thiếu trách nhiệm trong xử lý công việc thuộc thẩm quyền; " + "x " * 20).startswith(
        "Lơ là"
    )


# --- follow-ups and small talk --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("message", "item"),
    [
        ("ý 5 là gì?", 5),
        ("còn cấp phó thì sao?", None),
        ("thế còn đối tượng thì sao?", None),
        ("văn bản đó ban hành ngày nào?", None),
        ("cho em xem mục 2", 2),
        ("vậy còn ý 6?", 6),
    ],
)
def test_follow_ups_lean_on_the_previous_answer(message, item):
    text = normalize_chat(message).text
    assert leans_on_context(text)
    assert item_asked(text) == item


@pytest.mark.parametrize(
    "message", ["tham mưu lòng vòng là gì", "ct46 nói gì vụ đùn đẩy", "Kế hoạch 218 ban hành ngày nào?"]
)
def test_questions_of_their_own_are_not_follow_ups(message):
    assert not leans_on_context(normalize_chat(message).text)


@pytest.mark.parametrize(
    "message",
    [
        "cảm ơn bot nhé",
        "cảm ơn ad nhiều nha 🙏",
        "bot trả lời nhanh ghê, giỏi quá 😍",
        "ok e hiểu rồi ạ",
        "chào buổi sáng cả nhà",
        "alo có ai trực không",
        "👍",
        "tks ad",
        # Thanks for something, asking nothing: still thanks.
        "hiểu rồi, cám ơn bot đã giải thích rõ ràng về việc tiếp công dân",
        "cam on ad da tra loi ve viec danh gia xep loai",
    ],
)
def test_small_talk(message):
    assert is_smalltalk(message)


@pytest.mark.parametrize(
    "message",
    [
        "cảm ơn, cho hỏi khoán sản phẩm là gì",
        "ad ơi cho e hỏi nêu gương là gì",
        "ok, vậy còn cấp phó thì sao",
        "bot ơi tham mưu lòng vòng là gì",
        "cảm ơn ad đã giải đáp về tiếp dân, nhưng lãnh đạo vắng thì cấp phó tiếp được không",
        "cảm ơn ad, tiện thể gửi em danh sách biểu hiện né tránh",
        "tks ad, vụ đánh giá cán bộ cuối năm có tính bản cam kết ko",
    ],
)
def test_a_question_after_thanks_is_a_question(message):
    assert not is_smalltalk(message)


# --- what is asked that an answer may not state --------------------------------------------------------
@pytest.mark.parametrize(
    "message",
    [
        "Đoàn kiểm tra nêu gương gồm mấy thành viên?",
        "Chi bộ sinh hoạt thường kỳ mấy lần một tháng?",
        "Mỗi xã được cấp bao nhiêu máy tính mới theo kế hoạch 218?",
        "cb bị kỷ luật cảnh cáo thì bao lâu mới đc nâng lương lại ạ",
        "Bao giờ thì phải nộp báo cáo?",
    ],
)
def test_a_count_an_amount_or_a_time_asked(message):
    assert asks_figure(normalize_chat(message).text)


@pytest.mark.parametrize(
    "message",
    [
        # "mấy" as a plural, and a count told as context before the question
        "ct 46 đòi hỏi j ở mấy người đứng đầu như tui dzậy bot",
        "Nhắn hỏi lãnh đạo phòng về hồ sơ mấy lần, seen xong im luôn. Vậy có được xem là biểu hiện trong chỉ thị không?",
        "gửi văn bản mấy lần mà chẳng ai đoái hoài, có biểu hiện nào trong chỉ thị đúng với chuyện này không?",
    ],
)
def test_a_count_told_as_context_is_not_asked(message):
    assert not asks_figure(normalize_chat(message).text)


@pytest.mark.parametrize(
    ("question", "answer", "unstated_things"),
    [
        # A named form of sanction is stated only by a form; "xử lý" of work and "phát huy" are not sanctions.
        ("Cán bộ sợ sai thì bị xử lý thế nào?", "Lơ là, thiếu trách nhiệm trong xử lý công việc; phát huy vai trò", 1),
        ("vi phạm thì bị xử lý ra sao", "kiên quyết xem xét, thi hành kỷ luật nghiêm minh", 0),
        ("đùn đẩy thì bị khiển trách hay cảnh cáo", "xếp loại ở mức không hoàn thành nhiệm vụ", 1),
        ("đùn đẩy thì bị khiển trách hay cảnh cáo", "kỷ luật từ hình thức cảnh cáo trở lên", 0),
    ],
)
def test_what_a_sanction_question_needs_the_answer_to_state(question, answer, unstated_things):
    assert unstated(question, answer) == unstated_things


@pytest.mark.parametrize(
    ("question", "answer", "wrong"),
    [
        # A count is stated by a number before that unit, not by a year; a deadline by a date, not "hằng năm".
        (
            "mỗi năm chi bộ sinh hoạt chuyên đề bao nhiêu lần",
            "Theo Kế hoạch năm 2024, chi bộ sinh hoạt chuyên đề",
            True,
        ),
        (
            "mỗi năm chi bộ sinh hoạt chuyên đề bao nhiêu lần",
            "chi bộ sinh hoạt chuyên đề ít nhất hai lần mỗi năm",
            False,
        ),
        ("hạn chót nộp báo cáo là khi nào", "báo cáo hằng năm về Ban Thường vụ", True),
        ("hạn chót nộp báo cáo là khi nào", "báo cáo trước ngày 15/12 hằng năm", False),
    ],
)
def test_a_figure_of_the_kind_asked(question, answer, wrong):
    assert _wrong_figure(question, answer) is wrong
