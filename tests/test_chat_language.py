"""Chat language: how members really write, turned into the Vietnamese of the documents."""

import pytest

from bot.text.chat import clean, decode_telex, decode_vni, normalize_chat, rules
from bot.text.syllable import is_shaped, is_word


def norm(text: str) -> str:
    return normalize_chat(text).text


# --- the shorthand table: every row, in a context where its condition holds ---------------------------
def _rows():
    for form, rows in rules().items():
        for n, rule in enumerate(rows):
            yield pytest.param(rule, id=f"{' '.join(form)}#{n}:{rule.when}")


@pytest.mark.parametrize("rule", _rows())
def test_every_shorthand_row_applies_where_its_condition_holds(rule):
    form = " ".join(rule.form)
    if rule.when == "always":
        text = f"văn bản {form} mới"
    elif rule.when == "number":
        text = f"văn bản {form} 46"
    elif rule.when == "final":
        text = f"văn bản mới {form}?"
    elif rule.when == "initial":
        text = f"{form} văn bản mới"
    elif rule.when == "prev":
        text = f"{sorted(rule.arg)[0]} {form} mới"
    else:  # next
        text = f"văn bản {form} {sorted(rule.arg)[0]}"
    out = normalize_chat(text)
    assert (" ".join(rule.form), rule.expansion) in out.expanded, out
    if rule.expansion:
        assert rule.expansion in out.text
    else:
        assert f" {form} " not in f" {out.text} "


# --- one test per family, on real-looking messages -------------------------------------------------
def test_document_shorthand_needs_a_number():
    assert norm("ct46 nói gì về người đứng đầu") == "chỉ thị 46 nói gì về người đứng đầu"
    assert norm("theo ct 46 thì sao") == "theo chỉ thị 46 thì sao"
    assert norm("qđ 45 sửa gì") == "quy định 45 sửa gì"
    assert norm("nq 27 về tiền lương") == "nghị quyết 27 về tiền lương"
    assert norm("kl 21 nói gì") == "kết luận 21 nói gì"
    # Alone, "ct" is as often "chủ tịch" as "chỉ thị": only the clear case is expanded.
    assert norm("ct xã giao việc") == "chủ tịch xã giao việc"
    assert norm("ct bảo vậy") == "ct bảo"


def test_document_numbers_are_left_alone():
    assert norm("Quy định 45-QĐ/TU sửa gì") == "quy định 45-qđ/tu sửa gì"
    assert "46-ct/tu" in norm("Chỉ thị 46-CT/TU nói gì")


def test_people_and_bodies():
    assert norm("cb đv phải làm gì") == "cán bộ đảng viên phải làm gì"
    assert norm("cb cc vc mình") == "cán bộ công chức viên chức mình"
    assert norm("ccvc có phải kiểm điểm ko") == "công chức viên chức có phải kiểm điểm không"
    assert norm("btv tu yêu cầu gì") == "ban thường vụ tỉnh ủy yêu cầu gì"
    assert norm("ubnd xã chậm trễ") == "ủy ban nhân dân xã chậm trễ"
    assert norm("sếp giao nv cho e") == "lãnh đạo giao nhiệm vụ cho"


def test_tu_is_tinh_uy_only_after_thuong_vu():
    assert norm("ban thường vụ tu chỉ đạo") == "ban thường vụ tỉnh ủy chỉ đạo"
    assert norm("cán bộ phải tu dưỡng") == "cán bộ phải tu dưỡng"
    assert norm("khong tu quyet") == "khong tu quyet"  # unaccented "tự quyết"


def test_negation_and_question_particles():
    assert norm("có sai ko") == "có sai không"
    assert norm("có đc k") == "có được không"
    assert norm("đọc hok hỉu") == "đọc không hiểu"
    assert norm("hông ai trả lời") == "không ai trả lời"
    assert norm("làm j z") == "làm gì vậy"
    assert norm("phải ntn") == "phải như thế nào"
    assert norm("nói gì v") == "nói gì vậy"
    # "k" and "v" mid-sentence are not "không"/"vậy".
    assert norm("vitamin k tốt") == "vitamin k tốt"


def test_fillers_and_address_words_leave_the_question():
    assert norm("ad ơi cho e hỏi người đứng đầu phải thế nào ạ") == "người đứng đầu phải thế nào"
    assert norm("cho mình hỏi, tham mưu lòng vòng là gì nhé?") == "tham mưu lòng vòng là gì?"
    assert norm("thủ trưởng phải dám làm tới đâu hả ad 😅") == "thủ trưởng phải dám làm tới đâu"
    assert norm("c ơi kiểm điểm thế nào mn") == "kiểm điểm thế nào"


def test_telex_keystrokes_are_decoded():
    assert norm("ddaayr trachs nhieemj") == "đẩy trách nhiệm"
    assert norm("lanhx ddaoj dduwngs ddaauf") == "lãnh đạo đứng đầu"
    assert norm("nguwowif ddungs ddaauf") == "người đúng đầu"
    assert decode_telex("vieecj") == "việc"
    assert decode_telex("thuoocj") == "thuộc"
    assert decode_telex("truongw") == "trương"


def test_vni_keystrokes_are_decoded():
    assert norm("tra1ch nhie65m gia3i tri2nh") == "trách nhiệm giải trình"
    assert norm("d9u2n d9a63y") == "đùn đẩy"
    assert decode_vni("gu7o7ng") == "gương"
    assert decode_vni("mu71c") == "mức"


@pytest.mark.parametrize("token", ["xoong", "boong", "ads", "ct46", "t2", "2024", "excel", "python", "full"])
def test_look_alikes_are_not_decoded(token):
    assert decode_telex(token) is None or is_shaped(token)
    out = normalize_chat(f"mua {token} mới")
    assert out.decoded == []


def test_a_lone_weak_telex_word_in_a_normal_message_stays():
    # "list" decodes to "lít", but nothing else in the message is Telex.
    assert "list" in norm("gửi e full list với")
    # In a Telex message, the same kind of word is decoded.
    assert norm("cos bao nhieeu bieeur hieenj") == "có bao nhiêu biểu hiện"


def test_caps_stretched_letters_and_emoji():
    assert norm("KHÔNG CHỦ ĐỘNG ĐỀ XUẤT") == "không chủ động đề xuất"
    assert norm("khôngggg hiểu 😭😭") == "không hiểu"
    assert norm("quáaaa chán") == "quá chán"


def test_invisible_characters_are_removed():
    for ch in ("\u200b", "\u200c", "\u200d", "\u00ad", "\u2060", "\u200e", "\ufeff"):
        assert clean(f"Tham m{ch}ưu lòng vòng") == "Tham mưu lòng vòng"
    assert clean("a\x00b") == "a b"


def test_syllable_checks_come_from_the_dictionary():
    assert is_word("đẩy") and is_word("xoong") and is_word("nghiêng")
    assert not is_shaped("trachs") and not is_shaped("ads") and not is_shaped("ddi")
    assert is_shaped("truong")  # unaccented typing is a valid shape
