"""Reading and parsing source documents: the real Q&A, other formats, and bad input."""

import datetime as dt
from pathlib import Path

import pytest

from bot.documents.parser import parse_file
from bot.errors import DocumentError, DocumentTooLarge, UnsupportedFileType
from tests.conftest import SEED_DOC

QA = """HỎI - ĐÁP Về Quy định số 99-QĐ/TU, ngày 5 tháng 6 năm 2025 của Ban Thường vụ Tỉnh ủy về thử nghiệm (TÀI LIỆU KIỂM THỬ)
Câu hỏi 1: Câu hỏi thứ nhất
kéo dài sang dòng sau?
Trả lời: Trả lời ngay trên cùng dòng.
Câu hỏi 2: Câu hỏi thứ hai?
Trả lời:
(1) Mục một.
(2) Mục hai.
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_seed_document_structure_and_metadata():
    doc = parse_file(SEED_DOC)
    assert doc.doc_id == "46-ct-tu"
    assert [p.number for p in doc.pairs] == list(range(1, 9))
    meta = doc.meta
    assert (meta.doc_type, meta.number, meta.date) == ("Chỉ thị", "46-CT/TU", dt.date(2024, 4, 3))
    assert meta.issuer == "Ban Thường vụ Tỉnh ủy"
    assert meta.subject.startswith("tăng cường kỷ luật, kỷ cương")
    assert meta.is_qa
    q4 = doc.pair(4)
    assert [i.number for i in q4.items] == list(range(1, 13))
    assert q4.items[4].text.startswith("(5) Tham mưu “lòng vòng”")
    assert len(doc.pair(1).items) == 3  # "- " bullets are items too
    assert doc.pair(2).answer.startswith("Phải thực sự nêu gương")  # answer on the "Trả lời:" line


def test_answers_are_kept_verbatim():
    raw = SEED_DOC.read_text(encoding="utf-8")
    doc = parse_file(SEED_DOC)
    for pair in doc.pairs:
        assert pair.question in raw
        for line in pair.answer.split("\n"):
            assert line in raw
        for item in pair.items:
            assert item.text in raw


def test_units_link_items_to_their_question():
    units = parse_file(SEED_DOC).units()
    item = next(u for u in units if u.uid == "46-ct-tu:q4:i5")
    assert (item.kind, item.question_number, item.item) == ("item", 4, 5)
    assert {u.kind for u in units} == {"question", "question_core", "answer", "item", "item_head", "sentence"}
    # Units made from the document's own words point at their official question or item.
    head = next(u for u in units if u.kind == "item_head")
    official = next(
        u for u in units if u.kind == "item" and u.item == head.item and u.question_number == head.question_number
    )
    assert official.text.removeprefix(f"({head.item}) ").startswith(head.text) or head.text in official.text


def test_multiline_question_and_same_line_answer(tmp_path):
    doc = parse_file(write(tmp_path, "qa.txt", QA))
    assert doc.doc_id == "99-qd-tu"
    assert doc.meta.date == dt.date(2025, 6, 5)
    assert doc.pair(1).question == "Câu hỏi thứ nhất kéo dài sang dòng sau?"
    assert doc.pair(1).answer == "Trả lời ngay trên cùng dòng."
    assert [i.text for i in doc.pair(2).items] == ["(1) Mục một.", "(2) Mục hai."]


def test_markdown_and_docx_read_like_text(tmp_path):
    import docx

    md = write(tmp_path, "qa.md", "# " + QA.replace("Câu hỏi 1:", "**Câu hỏi 1:**"))
    assert parse_file(md).pair(1).answer == "Trả lời ngay trên cùng dòng."
    d = docx.Document()
    for line in QA.splitlines():
        d.add_paragraph(line)
    d.save(tmp_path / "qa.docx")
    doc = parse_file(tmp_path / "qa.docx")
    assert [p.number for p in doc.pairs] == [1, 2]
    assert doc.meta.number == "99-QĐ/TU"


def test_pdf_with_text_layer(tmp_path):
    from fpdf import FPDF

    font = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    pdf = FPDF()
    pdf.add_page()
    if font.exists():
        pdf.add_font("dejavu", fname=str(font))
        pdf.set_font("dejavu", size=11)
        text = QA
    else:  # no Unicode font on this machine: an unaccented Q&A still exercises the reader
        pdf.set_font("helvetica", size=11)
        from bot.text.normalize import fold

        text = fold(QA).replace("qđ", "qd")
    for line in text.splitlines():
        pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(tmp_path / "qa.pdf"))
    doc = parse_file(tmp_path / "qa.pdf")
    assert [p.number for p in doc.pairs] == [1, 2]
    assert len(doc.pair(2).items) == 2


def test_pdf_without_text_is_refused(tmp_path):
    """No text layer and nothing OCR finds either (scans with text: tests/test_ocr.py)."""
    from pypdf import PdfWriter

    from bot.documents.ocr import OcrConfig
    from bot.documents.readers import ReadOptions

    w = PdfWriter()
    w.add_blank_page(width=200, height=200)
    with open(tmp_path / "scan.pdf", "wb") as f:
        w.write(f)
    with pytest.raises(DocumentError, match="PDF không có chữ"):
        parse_file(tmp_path / "scan.pdf", options=ReadOptions(OcrConfig(cache_path=tmp_path / "ocr.sqlite")))


def test_free_form_document_is_indexed_by_sections(tmp_path):
    text = (
        "CHỈ THỊ số 12-CT/TU, ngày 01/02/2025 của Ban Thường vụ Tỉnh ủy về thử nghiệm (TÀI LIỆU KIỂM THỬ)\n"
        "I. MỤC ĐÍCH\n"
        "Đoạn thứ nhất nói về mục đích.\n"
        "II. NHIỆM VỤ\n"
        "1. Nhiệm vụ cụ thể\n"
        "Đoạn về nhiệm vụ cụ thể.\n"
    )
    doc = parse_file(write(tmp_path, "ct12.txt", text))
    assert not doc.is_qa and doc.meta.number == "12-CT/TU"
    assert [(s.heading, s.text) for s in doc.sections] == [
        ("I. MỤC ĐÍCH", "Đoạn thứ nhất nói về mục đích."),
        ("II. NHIỆM VỤ › 1. Nhiệm vụ cụ thể", "Đoạn về nhiệm vụ cụ thể."),
    ]
    assert {u.kind for u in doc.units()} == {"section"}


@pytest.mark.parametrize(
    "text, message, line",
    [
        ("", "tệp rỗng", None),
        ("   \n\n", "tệp rỗng", None),
        ("Tiêu đề\nCâu hỏi 1: A?\nTrả lời: B\nCâu hỏi 3: C?\nTrả lời: D\n", "không liên tục", 4),
        ("Tiêu đề\nCâu hỏi 1: A?\nTrả lời: B\nCâu hỏi 1: C?\nTrả lời: D\n", "bị trùng", 4),
        (
            "Tiêu đề\nCâu hỏi 1: A?\nTrả lời: B\nCâu hỏi 2: C?\nCâu hỏi 3: E?\nTrả lời: F\n",
            "không có phần “Trả lời”",
            4,
        ),
        ("Tiêu đề\nCâu hỏi 1: A?\nTrả lời:\n", "trống", 3),
        ("Tiêu đề\nCâu hỏi 1: A?\nTrả lời:\n(1) x\n(3) y\n", "không liên tục", 5),
        ("Tiêu đề\nTrả lời: B\nCâu hỏi 1: A?\nTrả lời: B\n", "trước mọi câu hỏi", 2),
    ],
)
def test_bad_input_names_file_and_line(tmp_path, text, message, line):
    path = write(tmp_path, "bad.txt", text)
    with pytest.raises(DocumentError) as err:
        parse_file(path)
    assert message in str(err.value)
    assert "bad.txt" in str(err.value)
    assert err.value.line == line
    if line:
        assert f"dòng {line}" in str(err.value)


def test_undecodable_bytes_name_the_line(tmp_path):
    p = tmp_path / "latin1.txt"
    p.write_bytes("Tiêu đề\nCâu hỏi 1: A?\n".encode() + b"Tra loi: caf\xe9\n")
    with pytest.raises(DocumentError, match="UTF-8") as err:
        parse_file(p)
    assert err.value.line == 3


def test_unsupported_type_and_size_limit(tmp_path):
    with pytest.raises(UnsupportedFileType, match=r"\.exe"):
        parse_file(write(tmp_path, "virus.exe", "x"))
    with pytest.raises(DocumentTooLarge, match="quá lớn"):
        parse_file(write(tmp_path, "big.txt", QA * 100), max_bytes=1000)


def test_docx_that_is_not_a_zip_or_is_a_bomb(tmp_path):
    import zipfile

    (tmp_path / "fake.docx").write_bytes(b"not a zip at all")
    with pytest.raises(DocumentError, match="không hợp lệ"):
        parse_file(tmp_path / "fake.docx")
    with zipfile.ZipFile(tmp_path / "bomb.docx", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b"\0" * (50 * 1024 * 1024))
    with pytest.raises(DocumentError, match="zip bomb"):
        parse_file(tmp_path / "bomb.docx")
