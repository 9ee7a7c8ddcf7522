"""The generated corpus, indexed and asked: answers land on the question that owns the text, quotes are
clean, titles are read whole, and the quiz bank made from these files has no broken lines."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from click.testing import CliRunner

from bot import cli
from bot.service import Assistant
from tests.conftest import make_settings
from tests.corpus import (
    docx_with_multiline_title,
    docx_with_numbering,
    docx_with_tables,
    pdf_justified,
    txt_hard_wrapped,
)


@pytest.fixture(scope="module")
def served(tmp_path_factory, embedder, seed_settings):
    """One index over the corpus (one file per document; the corrected and two-column twins are versions)."""
    root = tmp_path_factory.mktemp("served")
    settings = make_settings(root)
    (settings.index_dir / "cache").mkdir(parents=True)
    shutil.copy(seed_settings.index_dir / "cache" / "embeddings.sqlite", settings.index_dir / "cache")
    made = root / "made"
    made.mkdir()
    samples = [
        make(made)
        for make in (docx_with_tables, docx_with_numbering, docx_with_multiline_title, pdf_justified, txt_hard_wrapped)
    ]
    core = Assistant(settings, embedder=embedder)
    core.library.add_documents([(s.path, None) for s in samples])
    return core, samples


def where(answer):
    return (answer.source.doc_number, answer.source.question_number, answer.source.item) if answer.found else None


@pytest.mark.parametrize(
    "question, expected, quoted",
    [
        # A table's rows belong to the question whose answer holds the table (not the last question).
        ("Tuyên truyền kỷ niệm 50 năm giải phóng miền Nam vào thời gian nào?", ("15-HD/BTG", 1), "Tháng 4/2025"),
        ("Cơ quan nào chủ trì tuyên truyền cổ động trực quan?", ("15-HD/BTG", 2), "Sở Văn hóa, Thể thao và Du lịch"),
        # Word's own numbering is part of the quote.
        ("Tỷ lệ cán bộ cơ quan đảng sử dụng chữ ký số", ("20-KH/TU", 1), "(2) 100% cán bộ, công chức"),
        # A PDF item, whole, across its wrapped lines, with no page furniture.
        (
            "Chia sẻ thông tin sai sự thật trên mạng xã hội bị xử lý thế nào?",
            ("05-CT/TU", 2),
            "bị xử lý nghiêm theo quy định của Đảng và pháp luật của Nhà nước",
        ),
        # Hard-wrapped text joined back: the answer is one sentence, not half a line.
        ("Thời hạn giải quyết đơn thư kiến nghị là bao lâu?", ("31-QĐ/TU", 2), "không quá 45 ngày"),
    ],
)
def test_answers_come_from_the_question_that_owns_the_text(served, question, expected, quoted):
    core, _ = served
    answer = core.ask(question)
    assert answer.found and where(answer)[:2] == expected, (question, where(answer))
    assert quoted in answer.answer
    assert "  " not in answer.answer and "Trang " not in answer.answer and "Tài liệu sinh hoạt" not in answer.answer


def test_a_multi_line_title_gives_one_document_with_its_number_and_date(served):
    core, _ = served
    names = [d.name for d in core.library.documents()]
    assert sorted(names) == sorted(
        [
            "Hướng dẫn số 15-HD/BTG",
            "Kế hoạch số 20-KH/TU",
            "Hướng dẫn số 12-HD/BTG",
            "Chỉ thị số 05-CT/TU",
            "Quy định số 31-QĐ/TU",
        ]
    )
    answer = core.ask("Hướng dẫn 12 ban hành ngày nào?")
    assert answer.found and "10/01/2025" in answer.answer.replace("10/1/2025", "10/01/2025")
    cited = core.ask("Lực lượng nòng cốt đấu tranh trên không gian mạng gồm những ai?")
    assert cited.found and cited.source.doc_number == "12-HD/BTG"
    assert "HỎI - ĐÁP Về Hướng dẫn số 12-HD/BTG" in cited.source.document and "không gian mạng" in cited.source.document


def test_the_quiz_bank_has_no_line_breaks_or_double_spaces(served, monkeypatch):
    core, _ = served
    monkeypatch.setattr(cli, "_assistant", lambda s=None: core)
    result = CliRunner().invoke(cli.main, ["quiz", "bank", "--json"])
    assert result.exit_code == 0, result.output
    bank = [json.loads(line) for line in result.output.splitlines()]
    numbers = {q["source"].get("doc_number") for q in bank}
    assert {"15-HD/BTG", "20-KH/TU", "12-HD/BTG", "05-CT/TU", "31-QĐ/TU"} <= numbers
    for q in bank:
        for option in q["options"]:
            assert "\n" not in option and "  " not in option, option
            if q["kind"] == "item":  # a list label would mark the right option among unlabelled ones
                assert not re.match(r"^(\(\d+\)|\d+[.)]|[a-zđ]\)|[-–•]|\d+ \|) ", option), option
        assert "  " not in q["question"], q["question"]
        # The generator puts its instruction on a line of its own ("Điền vào chỗ trống (…):\n<passage>");
        # the official text after it never breaks.
        head, _, body = q["question"].partition("\n")
        assert "\n" not in body, q["question"]
        assert "\n" not in q["explanation"] and "  " not in q["explanation"]
