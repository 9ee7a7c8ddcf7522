"""Real documents in, exact quotes out: Word tables and numbering, multi-line titles, PDFs, hard-wrapped text.

The corpus (tests/corpus.py) is made here the way offices make files. Each file
must parse into the structure written next to it, and every unit must be
quotable: a substring of what a reader sees, whole paragraphs, no line break
inside a sentence, no double space, no page furniture.
"""

from __future__ import annotations

import io
import random
import re
import subprocess
import zipfile
from pathlib import Path

import pytest

from bot.documents.layout import Line, join_lines, running_lines, text_wrap_width
from bot.documents.parser import parse_file
from bot.errors import DocumentError, DocumentTooLarge
from tests import corpus
from tests.corpus import MAKERS, Sample


def norm(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def samples(tmp_path_factory) -> dict[str, Sample]:
    folder = tmp_path_factory.mktemp("corpus")
    return {make.__name__: make(folder) for make in MAKERS}


@pytest.mark.parametrize("maker", [m.__name__ for m in MAKERS])
def test_each_file_parses_into_its_expected_structure(samples, maker):
    sample = samples[maker]
    doc = parse_file(sample.path)
    assert len(doc.pairs) == sample.questions
    assert [len(p.items) for p in doc.pairs] == sample.items
    assert [p.number for p in doc.pairs] == list(range(1, sample.questions + 1))
    if not sample.questions:
        assert len(doc.sections) == sample.sections
    meta = doc.meta
    assert norm(meta.title) == norm(sample.title)
    assert (meta.number, meta.date, meta.doc_type) == (sample.number, sample.date, sample.doc_type)
    assert meta.issuer == sample.issuer


@pytest.mark.parametrize("maker", [m.__name__ for m in MAKERS])
def test_every_unit_is_quotable_text(samples, maker):
    """Every unit is a substring of the visible text after whitespace normalisation; answers, items and
    sections are made of whole visible paragraphs; no footer, header or page number is ever in a unit."""
    sample = samples[maker]
    doc = parse_file(sample.path)
    visible = norm(" ".join(sample.visible))
    paragraphs = {norm(v) for v in sample.visible}
    units = doc.units()
    assert units
    for unit in units:
        assert "  " not in unit.text and "\t" not in unit.text, unit.text
        if unit.kind == "item_head" and any(
            t.labelled(i) == unit.text for t in doc.tables_all() for i in range(len(t.rows))
        ):
            continue  # matched, never quoted: a table row's cells under their column names
        if unit.kind == "question_core":
            # Matched, never quoted: the official question's own words without the document's name — and,
            # for the subject variant, the document's subject from its title in brackets after them.
            question = next(u.text for u in units if u.kind == "question" and u.question_number == unit.question_number)
            core = unit.text
            if unit.uid.endswith(":subject"):
                core, _, subject = unit.text.partition(" (")
                assert doc.meta.subject and subject == doc.meta.subject.strip(" .,;:") + ")", unit.text
            words = iter(re.findall(r"\w+", question.lower()))
            assert all(w in words for w in re.findall(r"\w+", core.lower())), (unit.text, question)
            continue
        assert unit.text == unit.text.strip()
        if unit.kind != "answer":
            assert "\n" not in unit.text, f"line break inside a {unit.kind}: {unit.text!r}"
        for line in unit.text.split("\n"):
            assert norm(line) in visible, f"{unit.uid} is not in the document: {line!r}"
            if unit.kind in ("answer", "item", "section"):
                assert norm(line) in paragraphs, f"{unit.uid} cuts a paragraph: {line!r}"
            for furniture in sample.furniture:
                assert furniture not in line, f"{furniture!r} quoted in {unit.uid}"
    for furniture in sample.furniture:
        assert furniture not in doc.meta.title


def test_a_table_stays_in_the_answer_that_holds_it(samples):
    doc = parse_file(samples["docx_with_tables"].path)
    first = doc.pair(1).answer.split("\n")
    assert first[0] == "Các đợt tuyên truyền cao điểm được tổ chức theo bảng sau:"
    assert first[2] == "1 | Kỷ niệm 95 năm Ngày thành lập Đảng Cộng sản Việt Nam | Tháng 02/2025"
    assert first[-1].startswith("Các cấp ủy chủ động bổ sung")  # the paragraph after the table, same answer
    assert "Kỷ niệm" not in doc.pair(3).answer  # not pushed into the last answer any more
    only_table = doc.pair(2)
    assert [i.text for i in only_table.items][
        0
    ] == "Tuyên truyền trên báo chí | Báo Yên Bái, Đài Phát thanh và Truyền hình tỉnh"
    # The table keeps its rows and cells; a row is quoted under its header.
    (kept,) = only_table.tables
    assert kept.header == ("Hình thức", "Cơ quan chủ trì") and len(kept.rows) == 3
    assert kept.rows[2] == ("Tuyên truyền trên mạng xã hội", "Ban Tuyên giáo Tỉnh ủy")
    assert only_table.items[0].quoted == "Hình thức | Cơ quan chủ trì\n" + only_table.items[0].text
    assert any("Câu hỏi 2: câu trả lời chỉ là một bảng" in w for w in doc.warnings)


def test_word_automatic_numbering_becomes_visible_labels(samples):
    doc = parse_file(samples["docx_with_numbering"].path)
    assert [i.text[:4] for i in doc.pair(1).items] == ["(1) ", "(2) ", "(3) ", "(4) "]
    assert [i.text[:3] for i in doc.pair(2).items] == ["1. ", "2. ", "3. "]
    assert [i.text[:3] for i in doc.pair(3).items] == ["a) ", "b) ", "c) "]
    assert [i.text[:2] for i in doc.pair(4).items] == ["• ", "• "]
    assert [i.text[:4] for i in doc.pair(5).items] == ["(1) ", "(2) "]  # a restarted list starts at 1 again


def test_a_plan_takes_its_own_number_and_date_from_the_masthead(samples):
    doc = parse_file(samples["docx_plan_with_masthead"].path)
    assert doc.doc_id == "25-kh-tu" and doc.meta.short_name == "Kế hoạch số 25-KH/TU"
    assert [s.heading for s in doc.sections] == ["MỤC ĐÍCH, YÊU CẦU"] + ["NHIỆM VỤ, GIẢI PHÁP"] * 3
    assert [s.text[:3] for s in doc.sections[1:]] == ["1. ", "2. ", "3. "]


def test_a_manual_line_break_mid_sentence_does_not_split_the_answer(samples):
    doc = parse_file(samples["docx_with_multiline_title"].path)
    assert doc.pair(3).answer == "Các cấp ủy báo cáo kết quả định kỳ sáu tháng và một năm về Ban Tuyên giáo Tỉnh ủy."


def test_a_corrected_version_is_the_same_document(samples):
    old = parse_file(samples["txt_hard_wrapped"].path)
    new = parse_file(samples["txt_corrected"].path)
    assert old.doc_id == new.doc_id == "31-qd-tu" and old.sha256 != new.sha256
    assert "không quá 60 ngày" in new.pair(2).answer and "không quá 45 ngày" in old.pair(2).answer


def test_pdf_reports_the_furniture_it_dropped(samples):
    doc = parse_file(samples["pdf_justified"].path)
    assert any("Đã bỏ" in w and "đầu/chân trang" in w for w in doc.warnings)


# --- layout rules ----------------------------------------------------------------------------
def test_joining_keeps_hyphenated_words_and_drops_soft_hyphens():
    lines = [
        Line("Thực hiện Chỉ thị số 46-", 1, wraps=True),
        Line("CT/TU của Ban Thường vụ về công tác cán bộ và phân cấp, ủy quyền hợp lý, rõ ràng giữa", 2, wraps=True),
        Line("cấp trên và cấp dưới; tăng cường kiểm tra, giám sát việc sinh hoạt chi bộ qua In\u00ad", 3, wraps=True),
        Line("ternet.", 4, wraps=False),
        Line("(1) Mục mới bắt đầu một khối.", 5),
    ]
    blocks = join_lines(lines)
    assert [b.text for b in blocks] == [
        "Thực hiện Chỉ thị số 46-CT/TU của Ban Thường vụ về công tác cán bộ và phân cấp, ủy quyền hợp lý, rõ ràng "
        "giữa cấp trên và cấp dưới; tăng cường kiểm tra, giám sát việc sinh hoạt chi bộ qua Internet.",
        "(1) Mục mới bắt đầu một khối.",
    ]
    assert [b.line for b in blocks] == [1, 5]


def test_a_line_ending_a_sentence_or_a_new_block_is_not_joined():
    lines = [
        Line("Câu hỏi 1: Ai chịu trách nhiệm?", 1, wraps=True),
        Line("Trả lời:", 2, wraps=True),
        Line("- Người đứng đầu cấp ủy;", 3, wraps=True),
        Line("không né tránh, đùn đẩy.", 4, wraps=True),
        Line("Tập thể cấp ủy.", 5, wraps=True),
    ]
    assert [b.text for b in join_lines(lines)] == [
        "Câu hỏi 1: Ai chịu trách nhiệm?",
        "Trả lời:",
        "- Người đứng đầu cấp ủy; không né tránh, đùn đẩy.",  # ";" then a small letter: the sentence goes on
        "Tập thể cấp ủy.",
    ]


def test_wrap_width_is_detected_only_for_hard_wrapped_text(samples):
    wrapped = samples["txt_hard_wrapped"].path.read_text(encoding="utf-8").splitlines()
    assert text_wrap_width(wrapped) == max(len(line) for line in wrapped)
    from tests.conftest import SEED_DOC

    assert text_wrap_width(SEED_DOC.read_text(encoding="utf-8").splitlines()) is None


def test_running_lines_must_repeat_at_the_same_edge_and_never_in_the_body():
    pages = [
        ["Tài liệu sinh hoạt chi bộ", "Câu hỏi 1: A?", "Nội dung lặp lại", "x", "Trang 1"],
        ["Tài liệu sinh hoạt chi bộ", "Nội dung lặp lại", "y", "z", "Trang 2"],
        ["Tài liệu sinh hoạt chi bộ", "w", "Nội dung lặp lại", "v", "Trang 3"],
    ]
    found = running_lines(pages, zone=1)
    assert found == {"tài liệu sinh hoạt chi bộ", "trang #"}


# --- documents that are not documents ----------------------------------------------------------
QA_TEXT = (
    "HỎI - ĐÁP Về Quy định số 99-QĐ/TU, ngày 15/01/2025 của Ban Thường vụ Tỉnh ủy về thí điểm sinh hoạt chi bộ\n"
    "Câu hỏi 1: Sinh hoạt chi bộ trực tuyến phải bảo đảm những điều kiện gì?\n"
    "Trả lời: Đường truyền ổn định, hình ảnh và âm thanh rõ ràng trong suốt buổi sinh hoạt; không thảo luận "
    "nội dung thuộc danh mục bí mật nhà nước.\n"
)


def tcvn3(text: str) -> bytes:
    """TCVN3 bytes made by glibc's converter (an oracle independent of ours)."""
    return subprocess.run(
        ["iconv", "-f", "UTF-8", "-t", "TCVN5712-1"], input=text.encode(), capture_output=True, check=True
    ).stdout


# VNI-Windows as the old fonts showed it (base letter + mark byte), typed from the VNI table.
VNI_QUESTION = "Caâu hoûi 1: Sinh hoaït chi boä tröïc tuyeán phaûi baûo ñaûm nhöõng ñieàu kieän gì?"


def test_tcvn3_bytes_and_tcvn3_mojibake_are_converted_and_named(tmp_path):
    raw = tmp_path / "qd99-tcvn3.txt"
    raw.write_bytes(tcvn3(QA_TEXT))  # an old editor's 8-bit file
    mojibake = tmp_path / "qd99-vntime.txt"
    mojibake.write_text(tcvn3(QA_TEXT).decode("latin-1"), encoding="utf-8")  # ".VnTime" text pasted as Unicode
    assert "C©u hái 1" in mojibake.read_text(encoding="utf-8")
    for path in (raw, mojibake):
        doc = parse_file(path)
        assert doc.pair(1).question == "Sinh hoạt chi bộ trực tuyến phải bảo đảm những điều kiện gì?"
        assert doc.meta.number == "99-QĐ/TU" and doc.encoding == "tcvn3"
        assert any("TCVN3 (ABC)" in w and "Unicode" in w for w in doc.warnings)


def test_tcvn3_text_in_a_word_file_is_converted(tmp_path):
    import docx

    d = docx.Document()
    for line in tcvn3(QA_TEXT).decode("latin-1").splitlines():
        d.add_paragraph(line)
    d.save(tmp_path / "vntime.docx")
    doc = parse_file(tmp_path / "vntime.docx")
    assert doc.pair(1).answer.startswith("Đường truyền ổn định, hình ảnh và âm thanh")


def test_vni_text_is_converted_and_named(tmp_path):
    path = tmp_path / "vni.txt"
    text = (
        QA_TEXT.splitlines()[0]
        + "\n"
        + VNI_QUESTION
        + "\nTraû lôøi: Ñöôøng truyeàn oån ñònh, hình aûnh vaø aâm thanh roõ raøng.\n"
    )
    path.write_text(text, encoding="utf-8")
    doc = parse_file(path)
    assert doc.pair(1).question == "Sinh hoạt chi bộ trực tuyến phải bảo đảm những điều kiện gì?"
    assert doc.pair(1).answer == "Đường truyền ổn định, hình ảnh và âm thanh rõ ràng."
    assert doc.encoding == "vni" and any("VNI-Windows" in w for w in doc.warnings)


@pytest.mark.parametrize(
    "name, text, message",
    [
        (
            "ngau-nhien.txt",
            "".join(random.Random(7).choice("ꙮ߷ᚠ⍟ж漢ดﻼ☂") if i % 6 else " " for i in range(3000)),
            "không phải văn bản tiếng Việt",
        ),
        (
            "english.txt",
            "Questions and answers about the directive on discipline in public service. " * 20,
            "không phải văn bản tiếng Việt",
        ),
    ],
)
def test_text_that_is_not_vietnamese_is_refused(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DocumentError, match=message) as err:
        parse_file(path)
    assert name in str(err.value)


def test_garbled_legacy_text_that_cannot_be_converted_says_so(tmp_path):
    # TCVN3 mojibake mangled once more (its letters shuffled): no encoding makes it Vietnamese.
    garbled = list(tcvn3(QA_TEXT * 3).decode("latin-1"))
    random.Random(3).shuffle(garbled)
    path = tmp_path / "loi-phong.txt"
    path.write_text("".join(garbled), encoding="utf-8")
    with pytest.raises(DocumentError, match="lỗi phông") as err:
        parse_file(path)
    assert "TCVN3" in str(err.value) and "loi-phong.txt" in str(err.value)


def test_encrypted_pdf_says_it_has_a_password(tmp_path):
    from pypdf import PdfReader, PdfWriter

    source = corpus.pdf_justified(tmp_path)
    writer = PdfWriter()
    for page in PdfReader(source.path).pages:
        writer.add_page(page)
    writer.encrypt(user_password="bi-mat", owner_password="quan-tri", algorithm="AES-128")
    locked = tmp_path / "co-mat-khau.pdf"
    with open(locked, "wb") as f:
        writer.write(f)
    with pytest.raises(DocumentError, match="PDF có mật khẩu") as err:
        parse_file(locked)
    assert "co-mat-khau.pdf" in str(err.value)

    # Only an owner password (printing/copying restrictions): opens without one, so it is read.
    writer = PdfWriter()
    for page in PdfReader(source.path).pages:
        writer.add_page(page)
    writer.encrypt(user_password="", owner_password="quan-tri", algorithm="AES-128")
    restricted = tmp_path / "han-che.pdf"
    with open(restricted, "wb") as f:
        writer.write(f)
    assert len(parse_file(restricted).pairs) == 4


# --- bounded cost ------------------------------------------------------------------------------
def test_a_4mb_one_paragraph_document_is_refused_with_a_limit_message(tmp_path):
    sentence = "Cán bộ, đảng viên phải gương mẫu chấp hành nghiêm kỷ luật, kỷ cương trong thi hành nhiệm vụ, "
    path = tmp_path / "mot-doan.txt"
    path.write_text("Tiêu đề tài liệu\n" + sentence * (4 * 1024 * 1024 // len(sentence.encode())), encoding="utf-8")
    assert path.stat().st_size >= 4 * 1024 * 1024 - 200
    with pytest.raises(DocumentTooLarge, match="đoạn văn quá dài") as err:
        parse_file(path, max_bytes=20 * 1024 * 1024)
    assert "mot-doan.txt, dòng 2" in str(err.value) and "tối đa" in str(err.value)


def test_too_many_paragraphs_are_refused(tmp_path):
    path = tmp_path / "qua-nhieu-doan.txt"
    path.write_text("Tiêu đề\n" + "Đoạn văn ngắn về công tác cán bộ.\n" * 20_001, encoding="utf-8")
    with pytest.raises(DocumentTooLarge, match="quá nhiều đoạn") as err:
        parse_file(path)
    assert "qua-nhieu-doan.txt" in str(err.value)


def test_a_docx_whose_xml_inflates_past_the_limit_is_refused(tmp_path):
    # 41 MB of XML stored without compression: no zip-bomb ratio, just too much text to parse.
    paragraph = b"<w:p><w:r><w:t>Doan van ngan ve cong tac can bo.</w:t></w:r></w:p>"
    body = b"<w:document><w:body>" + paragraph * (41 * 1024 * 1024 // len(paragraph)) + b"</w:body></w:document>"
    path = tmp_path / "qua-lon.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("word/document.xml", body)
    with pytest.raises(DocumentTooLarge, match="XML") as err:
        parse_file(path)
    assert "qua-lon.docx" in str(err.value) and "40 MB" in str(err.value)


def test_an_answer_that_is_too_long_is_refused(tmp_path):
    para = "Các cấp ủy, tổ chức đảng phải quán triệt sâu sắc nội dung của Chỉ thị và tổ chức thực hiện nghiêm túc. "
    answer = "\n".join([para * 90] * 5)  # five paragraphs of ~9 000 characters: each within the limit
    path = tmp_path / "tra-loi-dai.txt"
    path.write_text(f"Tiêu đề\nCâu hỏi 1: Hỏi gì?\nTrả lời:\n{answer}\n", encoding="utf-8")
    with pytest.raises(DocumentTooLarge, match="Câu hỏi 1 quá dài"):
        parse_file(path)


def test_docx_bytes_are_checked_before_python_docx_reads_them(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b"\0" * (30 * 1024 * 1024))
    path = tmp_path / "bom.docx"
    path.write_bytes(buf.getvalue())
    with pytest.raises(DocumentError, match="zip bomb"):
        parse_file(path)


def test_symlinks_are_never_read_as_documents(tmp_path):
    link = tmp_path / "passwd.txt"
    link.symlink_to(Path("/etc/passwd"))
    with pytest.raises(DocumentError, match="liên kết"):
        parse_file(link)
