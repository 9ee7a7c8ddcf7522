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
    ["Nguồn vốn", "Tỷ lệ (%)", "Số tiền (tỷ đồng)"],
    ["Ngân sách trung ương", "30", "1.200"],
    ["Ngân sách tỉnh", "45", "1.800"],
    ["Ngân sách huyện, xã", "15", "600"],
    ["Vốn huy động xã hội hóa", "10", "400"],
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
    d.add_paragraph("Câu hỏi 2: Kinh phí thực hiện Đề án được bố trí từ những nguồn nào, với tỷ lệ ra sao?")
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
    assert item.text == "Nguồn vốn | Tỷ lệ (%) | Số tiền (tỷ đồng)\nNgân sách tỉnh | 45 | 1.800"
    assert funds.labelled(1) == "Nguồn vốn: Ngân sách tỉnh; Tỷ lệ (%): 45; Số tiền (tỷ đồng): 1.800"


def test_a_text_files_pipe_lines_are_a_table(tmp_path):
    lines = [TITLE, "Câu hỏi 1: Kinh phí thực hiện Đề án được bố trí từ những nguồn nào?", "Trả lời:"]
    lines += [" | ".join(r) for r in FUNDS]
    (tmp_path / "de-an.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    doc = parse_file(tmp_path / "de-an.txt")
    (funds,) = doc.pair(1).tables
    assert funds.header == tuple(FUNDS[0]) and len(funds.rows) == 4
    assert [i.text.split("\n")[1] for i in doc.pair(1).items][:2] == [
        "Ngân sách trung ương | 30 | 1.200",
        "Ngân sách tỉnh | 45 | 1.800",
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
    assistant.build()
    yield assistant
    assistant.close()


@pytest.mark.parametrize(
    "question",
    [
        "ngân sách tỉnh chiếm bao nhiêu phần trăm",
        "Theo Đề án 12, vốn xã hội hóa chiếm tỷ lệ bao nhiêu?",
        "ngân sách trung ương bố trí bao nhiêu tỷ đồng cho đề án nông thôn mới kiểu mẫu",
    ],
)
def test_a_question_about_one_cell_quotes_its_row_with_the_header(core, question):
    answer = core.ask(question)
    assert answer.found, (question, answer.kind, [s.question for s in answer.suggestions])
    assert answer.source.doc_number == "12-ĐA/TU" and answer.source.question_number == 2
    lines = answer.answer.split("\n")
    assert lines[0] == "Nguồn vốn | Tỷ lệ (%) | Số tiền (tỷ đồng)"
    row = {"ngân sách tỉnh": 2, "xã hội hóa": 4, "trung ương": 1}
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
    text = "Nguồn vốn: Ngân sách tỉnh; Tỷ lệ (%): 45; Số tiền (tỷ đồng): 1.800"
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
