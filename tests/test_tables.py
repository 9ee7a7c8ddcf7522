"""Tables in documents stay tables: rows and cells in the parsed model (Word tables, and "a | b | c"
lines of a .txt), an HTML table on the web, aligned rows on Telegram and Zalo; a question about one
cell's figure is answered by quoting that row under its header, word for word."""

import shutil

import pytest

from bot.documents.parser import parse_file
from bot.service import Assistant
from tests.conftest import SEED_DOC
from tests.corpus import table

TITLE = (
    "HỎI - ĐÁP Về Đề án số 12-ĐA/TU, ngày 15/3/2025 của Ban Thường vụ Tỉnh ủy "
    "về xây dựng nông thôn mới kiểu mẫu giai đoạn 2025 - 2030 (TÀI LIỆU KIỂM THỬ)"
)
FUNDS = [
    ["Nguồn vốn", "Tỷ lệ (%)", "Số tiền (tỷ đồng)", "Thời gian giải ngân"],
    ["Ngân sách trung ương", "30", "1.200", "2025 - 2027"],
    ["Ngân sách tỉnh", "45", "1.800", "2026 - 2028"],
    ["Ngân sách huyện, xã", "15", "600", "2027 - 2029"],
    ["Vốn huy động xã hội hóa", "10", "400", "2025 - 2030"],
]


def funds_docx(folder):
    import docx

    d = docx.Document()
    d.add_paragraph(TITLE)
    d.add_paragraph("Câu hỏi 1: Đề án đặt mục tiêu gì đến năm 2030?")
    d.add_paragraph(
        "Trả lời: Đến năm 2030, 100% số xã đạt chuẩn nông thôn mới nâng cao, trong đó ít nhất 30% số xã "
        "đạt chuẩn nông thôn mới kiểu mẫu."
    )
    # The question names none of the columns: a figure is found through its column's name.
    d.add_paragraph("Câu hỏi 2: Kinh phí thực hiện Đề án được bố trí từ những nguồn nào?")
    d.add_paragraph("Trả lời: Tổng kinh phí thực hiện Đề án là 4.000 tỷ đồng, cơ cấu như sau:")
    table(d, FUNDS)
    d.add_paragraph("Câu hỏi 3: Cơ quan nào tham mưu tổ chức thực hiện Đề án?")
    d.add_paragraph("Trả lời: Ban Chỉ đạo các chương trình mục tiêu quốc gia tỉnh tham mưu tổ chức thực hiện Đề án.")
    path = folder / "de-an-12.docx"
    d.save(path)
    return path


def test_a_word_table_is_kept_with_its_header_rows_and_cells(tmp_path):
    doc = parse_file(funds_docx(tmp_path))
    (funds,) = doc.pair(2).tables
    assert funds.header == tuple(FUNDS[0])
    assert funds.rows == tuple(tuple(r) for r in FUNDS[1:])
    # Each row is an item quoted under its header: two lines of the document, word for word.
    item = doc.pair(2).items[1]
    assert item.text == "Ngân sách tỉnh | 45 | 1.800 | 2026 - 2028"
    assert item.quoted == "Nguồn vốn | Tỷ lệ (%) | Số tiền (tỷ đồng) | Thời gian giải ngân\n" + item.text
    assert funds.labelled(1) == (
        "Nguồn vốn: Ngân sách tỉnh; Tỷ lệ (%): 45; Số tiền (tỷ đồng): 1.800; Thời gian giải ngân: 2026 - 2028"
    )


def test_a_text_files_pipe_lines_are_a_table(tmp_path):
    lines = [TITLE, "Câu hỏi 1: Kinh phí thực hiện Đề án được bố trí từ những nguồn nào?", "Trả lời:"]
    lines += [" | ".join(r) for r in FUNDS]
    (tmp_path / "de-an.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    doc = parse_file(tmp_path / "de-an.txt")
    (funds,) = doc.pair(1).tables
    assert funds.header == tuple(FUNDS[0]) and len(funds.rows) == 4
    assert [i.text for i in doc.pair(1).items][:2] == [
        " | ".join(FUNDS[1]),
        " | ".join(FUNDS[2]),
    ]


def test_a_table_in_a_free_form_document_gives_one_section_per_row_under_its_header(tmp_path):
    lines = ["KẾ HOẠCH số 31-KH/TU ngày 02/5/2025 của Ban Thường vụ Tỉnh ủy về chuyển đổi số (TÀI LIỆU KIỂM THỬ)"]
    lines += ["I. PHÂN CÔNG", *(" | ".join(r) for r in FUNDS)]
    (tmp_path / "kh.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    doc = parse_file(tmp_path / "kh.txt")
    assert [s.text for s in doc.sections] == [f"{' | '.join(FUNDS[0])}\n{' | '.join(r)}" for r in FUNDS[1:]]
    (funds,) = doc.tables
    assert funds.header == tuple(FUNDS[0]) and funds.rows[1] == tuple(FUNDS[2])


@pytest.fixture(scope="module")
def core(tmp_path_factory, seed_settings, embedder):
    from tests.conftest import make_settings

    root = tmp_path_factory.mktemp("tables")
    settings = make_settings(root)
    shutil.copy(SEED_DOC, settings.knowledge_dir / SEED_DOC.name)
    funds_docx(settings.knowledge_dir)
    cache = settings.index_dir / "cache"
    cache.mkdir(parents=True)
    shutil.copy(seed_settings.index_dir / "cache" / "embeddings.sqlite", cache / "embeddings.sqlite")
    assistant = Assistant(settings, embedder=embedder)
    assistant.library.build()
    yield assistant
    assistant.close()


@pytest.mark.parametrize(
    "question",
    [
        "ngân sách tỉnh chiếm bao nhiêu phần trăm",
        "Theo Đề án 12, vốn xã hội hóa chiếm tỷ lệ bao nhiêu?",
        "ngân sách trung ương bố trí bao nhiêu tỷ đồng cho đề án nông thôn mới kiểu mẫu",
        "ngân sách huyện xã giải ngân vào thời gian nào",
    ],
)
def test_a_question_about_one_cell_quotes_its_row_with_the_header(core, question):
    answer = core.ask(question)
    assert answer.found, (question, answer.kind, [s.question for s in answer.suggestions])
    assert answer.source.doc_number == "12-ĐA/TU" and answer.source.question_number == 2
    lines = answer.answer.split("\n")
    assert lines[0] == " | ".join(FUNDS[0])
    row = {"ngân sách tỉnh": 2, "xã hội hóa": 4, "trung ương": 1, "huyện xã": 3}
    expected = next(FUNDS[n] for k, n in row.items() if k in question.lower())
    assert lines[1] == " | ".join(expected)


def test_renderers_show_the_row_as_a_table_on_the_web_and_as_labelled_lines_elsewhere(core):
    from bot.channels import plain
    from bot.channels.telegram import render as telegram
    from bot.channels.web.render import view
    from bot.conversation.replies import Quote

    answer = core.ask("ngân sách tỉnh chiếm bao nhiêu phần trăm")
    reply = Quote(answer=answer)
    (part,) = [p for p in view(reply).parts if p.is_table]
    assert part.header == tuple(FUNDS[0]) and part.rows == (tuple(FUNDS[2]),)
    text = "Nguồn vốn: Ngân sách tỉnh; Tỷ lệ (%): 45; Số tiền (tỷ đồng): 1.800; Thời gian giải ngân: 2026 - 2028"
    (message,) = telegram.messages(reply)
    assert text in message.html and " | " not in message.html and "<blockquote>" in message.html
    assert text in plain.render(reply, plain.Numbering())


def test_telegram_keeps_a_long_table_under_its_limit(core):
    from bot.answer.model import Answer
    from bot.channels.telegram import render as telegram
    from bot.conversation.replies import Quote

    answer = core.ask("ngân sách tỉnh chiếm bao nhiêu phần trăm")
    rows = "\n".join(f"Hạng mục <{i}> & chi tiết | {i * 7} | {i * 70}" for i in range(300))
    long = Answer(**{**answer.__dict__, "answer": "Nguồn vốn | Tỷ lệ (%) | Số tiền\n" + rows})
    parts = telegram.messages(Quote(answer=long))
    assert len(parts) > 1
    assert all(telegram.shown_len(m.html) <= telegram.MESSAGE_LIMIT for m in parts)
    assert any("Số tiền: 2093" in m.html and "Hạng mục &lt;299&gt; &amp; chi tiết" in m.html for m in parts)  # escaped


def test_a_cached_parse_keeps_the_tables_and_the_rows_headers(tmp_path):
    from bot.documents.cache import document_from_dict, document_to_dict

    doc = parse_file(funds_docx(tmp_path))
    again = document_from_dict(document_to_dict(doc), tmp_path / "de-an-12.docx", doc.sha256)
    assert again.pair(2).tables == doc.pair(2).tables
    assert again.pair(2).items == doc.pair(2).items and again.units() == doc.units()
