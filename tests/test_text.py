"""The Vietnamese text pipeline: one normal form for every way members type."""

import unicodedata

from bot.text.analysis import Lexicon, QueryTerms, TextProfile, lexical_terms
from bot.text.normalize import canonical, fold, has_diacritics, normalize
from bot.text.restore import DiacriticRestorer


def test_nfd_input_becomes_nfc():
    decomposed = unicodedata.normalize("NFD", "Người đứng đầu")
    assert decomposed != "Người đứng đầu"
    assert canonical(decomposed) == "Người đứng đầu"


def test_both_tone_placements_meet():
    assert normalize("Tỉnh uỷ") == normalize("Tỉnh ủy") == "tỉnh ủy"
    assert normalize("hoà bình") == normalize("hòa bình")
    assert normalize("khoẻ") == normalize("khỏe")
    assert normalize("thuỷ lợi") == normalize("thủy lợi")


def test_tone_placement_respects_qu_gi_and_quality_vowels():
    assert canonical("quý") == "quý"
    assert canonical("giữ") == "giữ"
    assert canonical("người") == "người"
    assert canonical("khuyến") == "khuyến"
    assert canonical("hoài") == "hoài"


def test_fold_removes_all_marks_and_d_stroke():
    assert fold("Đảng ủy Tham mưu “lòng vòng”") == "dang uy tham muu “long vong”"
    assert has_diacritics("người") and not has_diacritics("nguoi dung dau")


def test_lexical_terms_are_folded_syllables_and_pairs():
    assert lexical_terms("Cấp ủy") == ["cap", "uy", "cap_uy"]


def test_restorer_uses_corpus_phrases_then_common_words():
    r = DiacriticRestorer.build(["Người đứng đầu cấp ủy phải nêu gương", "cán bộ, đảng viên"])
    assert r.restore("nguoi dung dau phai the nao") == "người đứng đầu phải thế nào"
    assert r.restore("can bo can gi") == "cán bộ cần gì"
    assert r.restore("giữ nguyên dau") == "giữ nguyên dau"  # typed with marks: a bare syllable is meant so


def test_a_message_typed_with_marks_keeps_its_bare_syllables():
    """Most Vietnamese syllables carry marks; one a member typed with marks on and left bare is a word
    without any ("năm nay", not "năm này"; "chi bộ", not "chị bộ"). Only a bare phrase the corpus spells
    with marks is restored there ("phai neu guong"), and a message typed bare is restored throughout."""
    r = DiacriticRestorer.build(["Người đứng đầu cấp ủy phải nêu gương", "chi bộ họp sau khi kiểm tra"])
    kept = "năm nay chi bộ em họp sau khi đoàn kiểm tra về"
    assert r.restore(kept) == kept
    assert r.restore("người đứng đầu phai neu guong") == "người đứng đầu phải nêu gương"
    assert r.restore("chi bo hop sau khi kiem tra") == "chi bộ họp sau khi kiểm tra"


def test_query_terms_drop_question_words_and_fix_typos_against_corpus():
    lex = Lexicon.build([("Tham mưu lòng vòng, không rõ quan điểm", [])])
    t = QueryTerms.of("tham muu long vomg la gi", lex)
    assert t.content == ["tham", "muu", "long", "vong"]
    assert "vong" in t.corrected
    assert t.has(lex.profile, "vong") == 0.5


def test_marks_are_judged_word_by_word():
    profile = TextProfile.of("chỉ đạo cấp trên")
    t = QueryTerms.of("chí ủy")
    assert t.accented
    assert t.has(profile, "chí") == 0.5  # typed with other marks: a likely slip, half credit only
    assert QueryTerms.of("chi dao").has(profile, "chi") == 1.0  # unaccented question: folded match
    # Members mark some words and not others: an unmarked word meets the corpus folded.
    mixed = QueryTerms.of("đẩy việc cho cap tren")
    assert mixed.accented and mixed.has(profile, "cap") == 1.0
