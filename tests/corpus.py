"""A corpus of real-looking documents, made by the tests themselves, with what each must parse into.

Each maker writes one file the way offices produce them — python-docx with real
tables and real automatic numbering (numbering.xml, list styles), PDFs laid out
word by word and justified with running headers and page numbers (reportlab,
fpdf2), a .txt hard-wrapped at 72 columns — and returns a :class:`Sample`:
the file, the structure it must parse into, the paragraphs a reader *sees*
(numbering labels included, table cells joined with `` | ``), and the page
furniture that must never be quoted.

All content is invented for tests (marked “TÀI LIỆU KIỂM THỬ”).
"""

from __future__ import annotations

import copy
import datetime as dt
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


@dataclass
class Sample:
    path: Path
    questions: int  # 0 for a free-form document
    items: list[int]  # items per question, in order
    title: str
    number: str | None
    date: dt.date | None
    issuer: str | None = None
    doc_type: str | None = None
    visible: list[str] = field(default_factory=list)  # paragraphs as a reader sees them
    furniture: list[str] = field(default_factory=list)  # headers, footers, page numbers
    sections: int = 0


# --- python-docx helpers -----------------------------------------------------------------
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


def add_list_definition(document, fmt: str, text: str, bullet: bool = False) -> int:
    """A new abstractNum (one level) in numbering.xml and a num pointing at it; returns the numId."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    numbering = document.part.numbering_part.element
    abstract_ids = [int(a.get(qn("w:abstractNumId"))) for a in numbering.findall(qn("w:abstractNum"))]
    num_ids = [int(n.get(qn("w:numId"))) for n in numbering.findall(qn("w:num"))]
    abstract_id, num_id = max(abstract_ids, default=0) + 1, max(num_ids, default=0) + 1
    abstract = OxmlElement("w:abstractNum")
    abstract.set(qn("w:abstractNumId"), str(abstract_id))
    lvl = OxmlElement("w:lvl")
    lvl.set(qn("w:ilvl"), "0")
    for tag, val in (("w:start", "1"), ("w:numFmt", "bullet" if bullet else fmt), ("w:lvlText", text)):
        el = OxmlElement(tag)
        el.set(qn("w:val"), val)
        lvl.append(el)
    abstract.append(lvl)
    # abstractNum elements must precede num elements in the schema.
    first_num = numbering.find(qn("w:num"))
    if first_num is not None:
        first_num.addprevious(abstract)
    else:
        numbering.append(abstract)
    num = OxmlElement("w:num")
    num.set(qn("w:numId"), str(num_id))
    ref = OxmlElement("w:abstractNumId")
    ref.set(qn("w:val"), str(abstract_id))
    num.append(ref)
    numbering.append(num)
    return num_id


def restart_list(document, num_id: int) -> int:
    """Another num instance of the same list, restarting at 1 (lvlOverride/startOverride)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    numbering = document.part.numbering_part.element
    source = next(n for n in numbering.findall(qn("w:num")) if n.get(qn("w:numId")) == str(num_id))
    new_id = max(int(n.get(qn("w:numId"))) for n in numbering.findall(qn("w:num"))) + 1
    num = copy.deepcopy(source)
    num.set(qn("w:numId"), str(new_id))
    override = OxmlElement("w:lvlOverride")
    override.set(qn("w:ilvl"), "0")
    start = OxmlElement("w:startOverride")
    start.set(qn("w:val"), "1")
    override.append(start)
    num.append(override)
    numbering.append(num)
    return new_id


def numbered(document, text: str, num_id: int):
    """A paragraph numbered automatically by ``num_id`` (the label is not in its text)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    p = document.add_paragraph(text)
    ppr = p._p.get_or_add_pPr()
    numpr = OxmlElement("w:numPr")
    ilvl = OxmlElement("w:ilvl")
    ilvl.set(qn("w:val"), "0")
    nid = OxmlElement("w:numId")
    nid.set(qn("w:val"), str(num_id))
    numpr.append(ilvl)
    numpr.append(nid)
    ppr.append(numpr)
    return p


def table(document, rows: list[list[str]], header: bool = True):
    t = document.add_table(rows=len(rows), cols=len(rows[0]))
    t.style = "Table Grid"
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            cell = t.cell(r, c)
            cell.text = value
            if header and r == 0:
                for run in cell.paragraphs[0].runs:
                    run.bold = True
    return t


# --- the documents ---------------------------------------------------------------------------
def docx_with_tables(folder: Path) -> Sample:
    """Q&A whose answers hold tables: one mid-answer, one answer that is only a table."""
    import docx

    title = (
        "HỎI - ĐÁP Về Hướng dẫn số 15-HD/BTG, ngày 20/02/2025 của Ban Tuyên giáo Tỉnh ủy "
        "về công tác tuyên truyền các ngày lễ lớn năm 2025 (TÀI LIỆU KIỂM THỬ)"
    )
    d = docx.Document()
    visible = []

    def para(text: str) -> None:
        d.add_paragraph(text)
        visible.append(text)

    def rows(values: list[list[str]]) -> None:
        table(d, values)
        visible.extend(" | ".join(r) for r in values)

    para(title)
    para("Câu hỏi 1: Năm 2025, các đợt tuyên truyền cao điểm được tổ chức vào những thời gian nào?")
    para("Trả lời: Các đợt tuyên truyền cao điểm được tổ chức theo bảng sau:")
    rows(
        [
            ["STT", "Nội dung tuyên truyền", "Thời gian"],
            ["1", "Kỷ niệm 95 năm Ngày thành lập Đảng Cộng sản Việt Nam", "Tháng 02/2025"],
            ["2", "Kỷ niệm 50 năm Ngày giải phóng miền Nam, thống nhất đất nước", "Tháng 4/2025"],
            ["3", "Kỷ niệm 80 năm Cách mạng Tháng Tám và Quốc khánh 2/9", "Tháng 8 và tháng 9/2025"],
        ]
    )
    para("Các cấp ủy chủ động bổ sung nội dung phù hợp với tình hình thực tế của địa phương, đơn vị.")
    para("Câu hỏi 2: Cơ quan nào chủ trì từng hình thức tuyên truyền?")
    para("Trả lời:")
    rows(
        [
            ["Hình thức", "Cơ quan chủ trì"],
            ["Tuyên truyền trên báo chí", "Báo Yên Bái, Đài Phát thanh và Truyền hình tỉnh"],
            ["Tuyên truyền cổ động trực quan", "Sở Văn hóa, Thể thao và Du lịch"],
            ["Tuyên truyền trên mạng xã hội", "Ban Tuyên giáo Tỉnh ủy"],
        ]
    )
    para("Câu hỏi 3: Kinh phí tổ chức các hoạt động tuyên truyền được bố trí từ đâu?")
    para(
        "Trả lời: Kinh phí được bố trí từ nguồn ngân sách hằng năm của các cơ quan, đơn vị theo phân cấp "
        "và các nguồn kinh phí hợp pháp khác."
    )
    path = folder / "hd-15-bang.docx"
    d.save(path)
    visible = [v.removeprefix("Trả lời: ") if v.startswith("Trả lời: ") else v for v in visible] + visible
    return Sample(
        path, 3, [3, 3, 0], title, "15-HD/BTG", dt.date(2025, 2, 20), "Ban Tuyên giáo Tỉnh ủy", "Hướng dẫn", visible
    )


def docx_with_numbering(folder: Path) -> Sample:
    """Items numbered by Word itself: "(%1)", the List Number style ("%1."), "%1)" letters, bullets."""
    import docx

    title = (
        "HỎI - ĐÁP Về Kế hoạch số 20-KH/TU, ngày 05/3/2025 của Ban Thường vụ Tỉnh ủy "
        "về chuyển đổi số trong các cơ quan đảng (TÀI LIỆU KIỂM THỬ)"
    )
    d = docx.Document()
    visible = [title]
    d.add_paragraph(title)

    def para(text: str) -> None:
        d.add_paragraph(text)
        visible.append(text)

    paren = add_list_definition(d, "decimal", "(%1)")
    letters = add_list_definition(d, "lowerLetter", "%1)")
    bullets = add_list_definition(d, "bullet", "\uf0b7", bullet=True)

    para("Câu hỏi 1: Kế hoạch đặt ra những mục tiêu nào đến hết năm 2025?")
    para("Trả lời:")
    goals = [
        "100% văn bản của các cơ quan đảng được gửi, nhận dưới dạng điện tử, trừ văn bản mật.",
        "100% cán bộ, công chức cơ quan đảng sử dụng chữ ký số trong xử lý công việc.",
        "90% hồ sơ công việc cấp tỉnh được xử lý trên môi trường mạng.",
        "Hoàn thành kết nối hệ thống thông tin báo cáo của các cơ quan đảng từ tỉnh đến cơ sở.",
    ]
    for k, text in enumerate(goals, 1):
        numbered(d, text, paren)
        visible.append(f"({k}) {text}")
    para("Câu hỏi 2: Việc triển khai được thực hiện theo những bước nào?")
    para("Trả lời:")
    steps = [
        "Rà soát hạ tầng kỹ thuật, trang thiết bị của các cơ quan đảng.",
        "Xây dựng, hoàn thiện các phần mềm dùng chung.",
        "Đào tạo, bồi dưỡng kỹ năng số cho cán bộ, công chức.",
    ]
    for k, text in enumerate(steps, 1):
        d.add_paragraph(text, style="List Number")  # numbered by the style, as Word's list button does
        visible.append(f"{k}. {text}")
    para("Câu hỏi 3: Những nhiệm vụ nào được ưu tiên?")
    para("Trả lời:")
    tasks = [
        "bảo đảm an toàn, an ninh mạng cho hệ thống thông tin;",
        "số hóa hồ sơ, tài liệu lưu trữ;",
        "triển khai họp trực tuyến đến cấp xã.",
    ]
    for k, text in enumerate(tasks):
        numbered(d, text, letters)
        visible.append(f"{'abc'[k]}) {text}")
    para("Câu hỏi 4: Cán bộ, công chức cần làm gì để thực hiện Kế hoạch?")
    para("Trả lời:")
    duties = [
        "Chủ động học tập, nâng cao kỹ năng sử dụng các nền tảng số.",
        "Tuân thủ quy định về bảo vệ bí mật nhà nước khi sử dụng mạng.",
    ]
    for text in duties:
        numbered(d, text, bullets)
        visible.append(f"• {text}")
    para("Câu hỏi 5: Các cơ quan đảng phải báo cáo những nội dung gì?")
    para("Trả lời:")
    again = restart_list(d, paren)  # a second "(1)…" list: Word restarts it at 1
    reports = ["Kết quả thực hiện các mục tiêu của Kế hoạch.", "Khó khăn, vướng mắc và đề xuất, kiến nghị."]
    for k, text in enumerate(reports, 1):
        numbered(d, text, again)
        visible.append(f"({k}) {text}")
    path = folder / "kh-20-danh-so.docx"
    d.save(path)
    return Sample(
        path,
        5,
        [4, 3, 3, 2, 2],
        title,
        "20-KH/TU",
        dt.date(2025, 3, 5),
        "Ban Thường vụ Tỉnh ủy",
        "Kế hoạch",
        visible + [v.removeprefix("Trả lời: ") for v in visible],
    )


def docx_with_multiline_title(folder: Path) -> Sample:
    """The usual layout: masthead, then "HỎI - ĐÁP" / "Về Hướng dẫn số …" / "về …" on separate lines."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    d = docx.Document()
    masthead = ["TỈNH ỦY YÊN BÁI", "BAN TUYÊN GIÁO", "*"]
    title_lines = [
        "HỎI - ĐÁP",
        "Về Hướng dẫn số 12-HD/BTG, ngày 10/01/2025 của Ban Tuyên giáo Tỉnh ủy",
        "về công tác đấu tranh, phản bác thông tin sai trái trên không gian mạng (TÀI LIỆU KIỂM THỬ)",
    ]
    for text in masthead + title_lines:
        p = d.add_paragraph(text)
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    visible = masthead + title_lines
    qa = [
        (
            "Câu hỏi 1: Hướng dẫn số 12-HD/BTG yêu cầu cán bộ, đảng viên làm gì khi phát hiện thông tin sai trái?",
            "Kịp thời báo cáo cấp ủy, cơ quan chức năng; không bình luận, chia sẻ, lan truyền thông tin chưa được "
            "kiểm chứng; tích cực đăng tải thông tin chính thống để định hướng dư luận.",
        ),
        (
            "Câu hỏi 2: Lực lượng nòng cốt trong công tác đấu tranh trên không gian mạng gồm những ai?",
            "Gồm cán bộ tuyên giáo, báo cáo viên, tuyên truyền viên, cộng tác viên dư luận xã hội và đoàn viên, "
            "hội viên được tập huấn kỹ năng.",
        ),
    ]
    for q, a in qa:
        d.add_paragraph(q)
        d.add_paragraph("Trả lời: " + a)
        visible += [q, a]
    # A manual line break (Shift+Enter) in the middle of a sentence, as people do to "fix" the layout.
    q3 = "Câu hỏi 3: Kết quả thực hiện Hướng dẫn được báo cáo khi nào?"
    d.add_paragraph(q3)
    p = d.add_paragraph("Trả lời: Các cấp ủy báo cáo kết quả định kỳ sáu tháng")
    p.add_run().add_break()
    p.add_run("và một năm về Ban Tuyên giáo Tỉnh ủy.")
    a3 = "Các cấp ủy báo cáo kết quả định kỳ sáu tháng và một năm về Ban Tuyên giáo Tỉnh ủy."
    visible += [q3, a3]
    path = folder / "hd-12-tieu-de.docx"
    d.save(path)
    return Sample(
        path,
        3,
        [0, 0, 0],
        " ".join(title_lines),
        "12-HD/BTG",
        dt.date(2025, 1, 10),
        "Ban Tuyên giáo Tỉnh ủy",
        "Hướng dẫn",
        visible,
    )


def docx_plan_with_masthead(folder: Path) -> Sample:
    """A free-form plan as offices lay it out: masthead ("Số 25-KH/TU", place and date), the type in
    capitals over a title that names the directive it implements, headings in capitals, numbered points."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    d = docx.Document()
    masthead = ["TỈNH ỦY YÊN BÁI", "*", "Số 25-KH/TU", "Yên Bái, ngày 20 tháng 02 năm 2025"]
    title = [
        "KẾ HOẠCH",
        "thực hiện Chỉ thị số 05-CT/TU, ngày 08/01/2025 của Ban Thường vụ Tỉnh ủy về tăng cường công tác "
        "bảo vệ nền tảng tư tưởng của Đảng (TÀI LIỆU KIỂM THỬ)",
    ]
    for text in masthead + title:
        d.add_paragraph(text).alignment = WD_ALIGN_PARAGRAPH.CENTER
    visible = masthead + title
    body = [
        ("MỤC ĐÍCH, YÊU CẦU", None),
        ("Nâng cao nhận thức, trách nhiệm của cấp ủy, tổ chức đảng và cán bộ, đảng viên trong công tác bảo vệ "
         "nền tảng tư tưởng của Đảng, đấu tranh phản bác các quan điểm sai trái, thù địch.", None),
        ("NHIỆM VỤ, GIẢI PHÁP", None),
        ("Tổ chức quán triệt Chỉ thị đến toàn thể cán bộ, đảng viên trong quý I năm 2025.", "List Number"),
        ("Kiện toàn Ban Chỉ đạo 35 các cấp; xây dựng lực lượng nòng cốt trên không gian mạng.", "List Number"),
        ("Định kỳ sáu tháng sơ kết, rút kinh nghiệm việc thực hiện Kế hoạch.", "List Number"),
    ]  # fmt: skip
    k = 0
    for text, style in body:
        d.add_paragraph(text, style=style) if style else d.add_paragraph(text)
        if style:
            k += 1
            visible.append(f"{k}. {text}")
        else:
            visible.append(text)
    path = folder / "kh-25-ke-hoach.docx"
    d.save(path)
    return Sample(
        path,
        0,
        [],
        " ".join(title),
        "25-KH/TU",
        dt.date(2025, 2, 20),
        None,
        "Kế hoạch",
        visible,
        sections=4,
    )


PDF_ITEMS = [
    "Tổ chức quán triệt, triển khai Chỉ thị đến 100% chi bộ trực thuộc trong quý I năm 2025; gắn việc "
    "thực hiện Chỉ thị với phong trào thi đua yêu nước và nhiệm vụ chính trị của từng cơ quan, đơn vị.",
    "Chia sẻ thông tin sai sự thật, xuyên tạc chủ trương, đường lối của Đảng, chính sách, pháp luật của Nhà "
    "nước trên mạng xã hội là vi phạm và bị xử lý nghiêm theo quy định của Đảng và pháp luật của Nhà nước.",
    "Người đứng đầu cấp ủy, cơ quan, đơn vị chịu trách nhiệm trước Ban Thường vụ Tỉnh ủy nếu để xảy ra vi "
    "phạm kéo dài trong phạm vi quản lý mà không kịp thời phát hiện, xử lý.",
]
PDF_HEADER = "Ban Tuyên giáo Tỉnh ủy - Tài liệu sinh hoạt chi bộ"


def _pdf_qa() -> tuple[list[str], list[tuple[str, str]]]:
    title = [
        "HỎI - ĐÁP VỀ CHỈ THỊ SỐ 05-CT/TU, NGÀY 08/01/2025 CỦA BAN THƯỜNG VỤ TỈNH ỦY VỀ TĂNG CƯỜNG",
        "CÔNG TÁC BẢO VỆ NỀN TẢNG TƯ TƯỞNG CỦA ĐẢNG (TÀI LIỆU KIỂM THỬ)",
    ]
    paragraphs: list[tuple[str, str]] = []  # (style, text)
    questions = [
        ("Câu hỏi 1: Chỉ thị số 05-CT/TU yêu cầu các cấp ủy tổ chức quán triệt như thế nào?", [PDF_ITEMS[0]]),
        (
            "Câu hỏi 2: Những hành vi nào của cán bộ, đảng viên trên mạng xã hội bị nghiêm cấm và trách nhiệm "
            "của người đứng đầu được quy định như thế nào?",
            PDF_ITEMS,
        ),
        (
            "Câu hỏi 3: Ban Tuyên giáo Tỉnh ủy có trách nhiệm gì trong việc thực hiện Chỉ thị?",
            [
                "Ban Tuyên giáo Tỉnh ủy chủ trì, phối hợp với các cơ quan liên quan theo dõi, hướng dẫn, đôn đốc "
                "việc thực hiện Chỉ thị; định kỳ hằng năm tổng hợp, báo cáo kết quả với Ban Thường vụ Tỉnh ủy; "
                "tham mưu sơ kết, tổng kết việc thực hiện Chỉ thị theo quy định."
            ],
        ),
        (
            "Câu hỏi 4: Việc đánh giá, xếp loại chất lượng tổ chức đảng gắn với thực hiện Chỉ thị ra sao?",
            [
                "Kết quả thực hiện Chỉ thị là một tiêu chí đánh giá, xếp loại chất lượng tổ chức đảng và đảng viên "
                "hằng năm; tổ chức đảng để xảy ra vi phạm nghiêm trọng thì không được xếp loại hoàn thành tốt nhiệm "
                "vụ trở lên."
            ],
        ),
    ]
    for q, answers in questions:
        paragraphs.append(("q", q))
        if len(answers) == 1:
            paragraphs.append(("p", "Trả lời: " + answers[0]))
        else:
            paragraphs.append(("p", "Trả lời:"))
            paragraphs += [("p", f"({k}) {a}") for k, a in enumerate(answers, 1)]
    return title, paragraphs


def pdf_justified(folder: Path) -> Sample:
    """A PDF as Word exports it: every word placed on its own, justified lines, wrapped title,
    running header, "Trang N" footers, paragraphs and items broken across pages."""
    from reportlab.lib.pagesizes import A5
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("DejaVu", str(FONT)))
    title, paragraphs = _pdf_qa()
    path = folder / "ct-05-sinh-hoat.pdf"
    c = canvas.Canvas(str(path), pagesize=A5)
    width, height = A5
    left, right, size, lead = 42, width - 42, 10, 14
    state = {"y": height - 60, "page": 1}

    def furniture() -> None:
        c.setFont("DejaVu", 7)
        c.drawRightString(right, height - 30, PDF_HEADER)
        c.drawCentredString(width / 2, 22, f"Trang {state['page']}")

    def new_page() -> None:
        c.showPage()
        state["page"] += 1
        state["y"] = height - 60
        furniture()

    def words_width(ws: list[str]) -> float:
        return pdfmetrics.stringWidth(" ".join(ws), "DejaVu", size)

    def layout(text: str, justify: bool, centre: bool = False) -> None:
        words = text.split()
        lines: list[list[str]] = []
        current: list[str] = []
        for w in words:
            if current and words_width([*current, w]) > right - left:
                lines.append(current)
                current = []
            current.append(w)
        lines.append(current)
        for i, ws in enumerate(lines):
            if state["y"] < 50:
                new_page()
            c.setFont("DejaVu", size)
            y = state["y"]
            if centre:
                c.drawCentredString(width / 2, y, " ".join(ws))
            elif justify and i < len(lines) - 1 and len(ws) > 1:
                natural = sum(pdfmetrics.stringWidth(w, "DejaVu", size) for w in ws)
                gap = (right - left - natural) / (len(ws) - 1)
                x = left
                for w in ws:
                    c.drawString(x, y, w)
                    x += pdfmetrics.stringWidth(w, "DejaVu", size) + gap
            else:
                c.drawString(left, y, " ".join(ws))
            state["y"] -= lead
        state["y"] -= 3

    furniture()
    for line in title:
        layout(line, justify=False, centre=True)
    state["y"] -= 8
    for _, text in paragraphs:
        layout(text, justify=True)
    c.save()
    visible = [" ".join(title)] + [t for _, t in paragraphs] + [t.removeprefix("Trả lời: ") for _, t in paragraphs]
    pages = state["page"]
    assert pages >= 2, "the sample must span pages"
    return Sample(
        path,
        4,
        [0, 3, 0, 0],
        " ".join(title),
        "05-CT/TU",
        dt.date(2025, 1, 8),
        "BAN THƯỜNG VỤ TỈNH ỦY",
        "Chỉ thị",
        visible,
        [PDF_HEADER] + [f"Trang {n}" for n in range(1, pages + 1)],
    )


def pdf_two_columns(folder: Path) -> Sample:
    """fpdf2, two justified columns per page, a running header and "- N -" page numbers."""
    from fpdf import FPDF

    title, paragraphs = _pdf_qa()
    header = "Bản tin sinh hoạt chi bộ - Số 01/2025"

    class Newsletter(FPDF):
        def header(self) -> None:
            self.set_font("dejavu", size=7)
            self.cell(0, 6, header, align="R", new_x="LMARGIN", new_y="NEXT")
            self.ln(2)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("dejavu", size=8)
            self.cell(0, 6, f"- {self.page_no()} -", align="C")

    pdf = Newsletter(format=(105, 148))  # A6: the content runs over several pages
    pdf.add_font("dejavu", fname=str(FONT))
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_page()
    pdf.set_font("dejavu", size=9)
    pdf.multi_cell(0, 5, " ".join(title), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    with pdf.text_columns(text_align="J", ncols=2, gutter=6) as cols:
        for _, text in paragraphs:
            cols.write(text + "\n")
    path = folder / "ban-tin-hai-cot.pdf"
    pdf.output(str(path))
    pages = pdf.page_no()
    visible = [" ".join(title)] + [t for _, t in paragraphs] + [t.removeprefix("Trả lời: ") for _, t in paragraphs]
    return Sample(
        path,
        4,
        [0, 3, 0, 0],
        " ".join(title),
        "05-CT/TU",
        dt.date(2025, 1, 8),
        "BAN THƯỜNG VỤ TỈNH ỦY",
        "Chỉ thị",
        visible,
        [header] + [f"- {n} -" for n in range(1, pages + 1)],
    )


TXT_QA = [
    (
        "Câu hỏi 1: Quy định số 31-QĐ/TU áp dụng đối với những đối tượng nào trong hệ thống chính trị của tỉnh?",
        [
            "Quy định áp dụng đối với cán bộ, công chức, viên chức và người lao động trong các cơ quan đảng, "
            "Mặt trận Tổ quốc và các tổ chức chính trị - xã hội từ tỉnh đến cơ sở."
        ],
    ),
    (
        "Câu hỏi 2: Thời hạn giải quyết đơn thư kiến nghị, phản ánh của công dân là bao lâu?",
        [
            "Đơn thư kiến nghị, phản ánh được giải quyết trong thời hạn 30 ngày kể từ ngày thụ lý; vụ việc phức "
            "tạp được kéo dài nhưng không quá 45 ngày và phải thông báo cho người gửi đơn biết lý do."
        ],
    ),
    (
        "Câu hỏi 3: Người đứng đầu có trách nhiệm gì trong việc tiếp công dân?",
        [
            "Trực tiếp tiếp công dân định kỳ ít nhất một ngày trong tháng theo lịch đã công bố công khai tại trụ "
            "sở cơ quan, đơn vị.",
            "Chỉ đạo giải quyết dứt điểm các vụ việc phức tạp, kéo dài, đông người; không để phát sinh điểm nóng "
            "về an ninh, trật tự trên địa bàn.",
            "Chịu trách nhiệm trước cấp ủy cấp trên nếu để xảy ra khiếu nại vượt cấp do không tiếp công dân hoặc "
            "giải quyết không đúng quy định.",
        ],
    ),
]


def _txt_lines(title: list[str], qa) -> tuple[list[str], list[str]]:
    lines: list[str] = []
    visible = [" ".join(title)]
    for t in title:
        lines += textwrap.wrap(t, 72)
    for q, answers in qa:
        lines += textwrap.wrap(q, 72)
        visible.append(q)
        if len(answers) == 1:
            lines += textwrap.wrap("Trả lời: " + answers[0], 72)
            visible += ["Trả lời: " + answers[0], answers[0]]
        else:
            lines.append("Trả lời:")
            for k, a in enumerate(answers, 1):
                lines += textwrap.wrap(f"({k}) {a}", 72)
                visible.append(f"({k}) {a}")
    return lines, visible


TXT_TITLE = [
    "HỎI - ĐÁP Về Quy định số 31-QĐ/TU, ngày 12/02/2025 của Ban Thường vụ Tỉnh ủy",
    "về tiếp công dân, giải quyết đơn thư kiến nghị, phản ánh (TÀI LIỆU KIỂM THỬ)",
]


def txt_hard_wrapped(folder: Path) -> Sample:
    """A .txt saved with hard line breaks at 72 columns (as e-mail clients and old editors do)."""
    lines, visible = _txt_lines(TXT_TITLE, TXT_QA)
    path = folder / "qd-31-xuong-dong.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Sample(
        path,
        3,
        [0, 0, 3],
        " ".join(TXT_TITLE),
        "31-QĐ/TU",
        dt.date(2025, 2, 12),
        "Ban Thường vụ Tỉnh ủy",
        "Quy định",
        visible,
    )


def txt_corrected(folder: Path) -> Sample:
    """The corrected version of :func:`txt_hard_wrapped`: one figure changed, one question added."""
    qa = [list(x) for x in TXT_QA]
    qa[1] = (qa[1][0], [qa[1][1][0].replace("không quá 45 ngày", "không quá 60 ngày")])
    qa.append(
        (
            "Câu hỏi 4: Kết quả tiếp công dân được báo cáo khi nào?",
            ["Định kỳ hằng quý, các cơ quan, đơn vị báo cáo kết quả tiếp công dân về Ban Nội chính Tỉnh ủy."],
        )
    )
    lines, visible = _txt_lines(TXT_TITLE, qa)
    path = folder / "qd-31-ban-sua.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Sample(
        path,
        4,
        [0, 0, 3, 0],
        " ".join(TXT_TITLE),
        "31-QĐ/TU",
        dt.date(2025, 2, 12),
        "Ban Thường vụ Tỉnh ủy",
        "Quy định",
        visible,
    )


MAKERS = [
    docx_with_tables,
    docx_with_numbering,
    docx_with_multiline_title,
    docx_plan_with_masthead,
    pdf_justified,
    pdf_two_columns,
    txt_hard_wrapped,
    txt_corrected,
]


def make_corpus(folder: Path) -> list[Sample]:
    folder.mkdir(parents=True, exist_ok=True)
    return [make(folder) for make in MAKERS]


# --- a plain-text leaflet as offices send it ---------------------------------------------------
def _leaflet_blocks(text: str) -> tuple[str, list[tuple[str, object]]]:
    """(title, blocks) of a leaflet in the plain layout: ("q", line), ("p", line), ("item", text),
    ("bullet", text) and ("table", rows) — what the Word and PDF renderers lay out."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    title, blocks = lines[0], []
    for line in lines[1:]:
        if line.startswith("Câu hỏi "):
            blocks.append(("q", line))
        elif line.startswith("(") and ")" in line[:5] and line[1 : line.index(")")].isdigit():
            blocks.append(("item", line[line.index(")") + 1 :].strip()))
        elif line.startswith("- "):
            blocks.append(("bullet", line[2:]))
        elif " | " in line:
            if blocks and blocks[-1][0] == "table":
                blocks[-1][1].append(line.split(" | "))
            else:
                blocks.append(("table", [line.split(" | ")]))
        else:
            blocks.append(("p", line))
    return title, blocks


def leaflet_docx(source: Path, target: Path) -> Path:
    """The leaflet as a Word file: title in bold capitals over two paragraphs, questions in bold, (n) items
    numbered by Word itself (restarting for each answer), typed "- " bullets, tables as Word tables."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    title, blocks = _leaflet_blocks(Path(source).read_text(encoding="utf-8"))
    d = docx.Document()
    head, _, rest = title.partition(" Về ")
    for text in (head, f"Về {rest}" if rest else ""):
        if text:
            p = d.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            p.add_run(text).bold = True
    base = add_list_definition(d, "decimal", "(%1)")
    num_id, in_list = base, False
    for kind, value in blocks:
        if kind == "item":
            if not in_list:
                num_id, in_list = restart_list(d, base), True
            numbered(d, value, num_id)
            continue
        in_list = False
        if kind == "q":
            d.add_paragraph().add_run(value).bold = True
        elif kind == "bullet":
            d.add_paragraph(f"- {value}")
        elif kind == "table":
            table(d, value)
        else:
            d.add_paragraph(value)
    target.parent.mkdir(parents=True, exist_ok=True)
    d.save(target)
    return target


def leaflet_pdf(source: Path, target: Path, header: str = "Tài liệu sinh hoạt chi bộ") -> Path:
    """The leaflet as a justified A5 PDF, word by word, with a running header and "Trang N" footers;
    paragraphs break across pages; a table is drawn as ruled columns, each cell wrapped in its column."""
    from reportlab.lib.pagesizes import A5
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("DejaVu", str(FONT)))
    title, blocks = _leaflet_blocks(Path(source).read_text(encoding="utf-8"))
    target.parent.mkdir(parents=True, exist_ok=True)
    c = canvas.Canvas(str(target), pagesize=A5)
    width, height = A5
    left, right, size, lead = 42, width - 42, 9, 12
    state = {"y": height - 60, "page": 1}

    def furniture() -> None:
        c.setFont("DejaVu", 7)
        c.drawRightString(right, height - 30, header)
        c.drawCentredString(width / 2, 22, f"Trang {state['page']}")

    def new_page() -> None:
        c.showPage()
        state["page"] += 1
        state["y"] = height - 60
        furniture()

    def wrap(text: str, room: float) -> list[list[str]]:
        lines: list[list[str]] = [[]]
        for w in text.split():
            if lines[-1] and pdfmetrics.stringWidth(" ".join([*lines[-1], w]), "DejaVu", size) > room:
                lines.append([])
            lines[-1].append(w)
        return lines

    def layout(text: str, justify: bool = True, centre: bool = False) -> None:
        lines = wrap(text, right - left)
        for i, ws in enumerate(lines):
            if state["y"] < 50:
                new_page()
            c.setFont("DejaVu", size)
            y = state["y"]
            if centre:
                c.drawCentredString(width / 2, y, " ".join(ws))
            elif justify and i < len(lines) - 1 and len(ws) > 1:
                natural = sum(pdfmetrics.stringWidth(w, "DejaVu", size) for w in ws)
                gap = (right - left - natural) / (len(ws) - 1)
                x = left
                for w in ws:
                    c.drawString(x, y, w)
                    x += pdfmetrics.stringWidth(w, "DejaVu", size) + gap
            else:
                c.drawString(left, y, " ".join(ws))
            state["y"] -= lead
        state["y"] -= 3

    def draw_table(rows: list[list[str]]) -> None:
        cols = len(rows[0])
        col_w = (right - left) / cols
        for row in rows:
            cells = [wrap(cell, col_w - 6) for cell in row]
            tall = max(len(cell) for cell in cells) * lead + 4
            if state["y"] - tall < 50:
                new_page()
            top = state["y"] + lead - 2
            c.setFont("DejaVu", size)
            for k, cell in enumerate(cells):
                for j, ws in enumerate(cell):
                    c.drawString(left + k * col_w + 3, state["y"] - j * lead, " ".join(ws))
                c.rect(left + k * col_w, top - tall, col_w, tall)
            state["y"] -= tall
        state["y"] -= 6

    furniture()
    layout(title.upper(), justify=False, centre=True)
    state["y"] -= 8
    for kind, value in blocks:
        if kind == "table":
            draw_table(value)
        elif kind == "item":
            pass  # numbered below, with its label
        else:
            layout(f"- {value}" if kind == "bullet" else value)
        if kind == "item":
            layout(f"({_item_count(blocks, value)}) {value}")
    c.save()
    return target


def _item_count(blocks: list, value: str) -> int:
    """The (n) label of an item: its position in the run of items it belongs to."""
    i = next(k for k, (kind, v) in enumerate(blocks) if kind == "item" and v == value)
    n = 1
    while i - n >= 0 and blocks[i - n][0] == "item":
        n += 1
    return n


def render_leaflet(source: Path, folder: Path, fmt: str) -> Path:
    """The leaflet ``source`` (plain layout) written into ``folder`` as ``fmt``: txt, docx or pdf."""
    target = Path(folder) / f"{Path(source).stem}.{fmt}"
    if fmt == "docx":
        return leaflet_docx(source, target)
    if fmt == "pdf":
        return leaflet_pdf(source, target)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(Path(source).read_bytes())
    return target


# --- hostile files -------------------------------------------------------------------------------
def pdf_bomb(path: Path, streams: int = 30, inflated_each: int = 100 * 1024 * 1024) -> Path:
    """A PDF of a few MB whose page content streams inflate to ``streams × inflated_each`` bytes
    (3 GB by default): one page that reads "HỎI - ĐÁP" and then ``streams`` FlateDecode streams of
    spaces. Written by hand: a PDF library would refuse to make one."""
    import zlib

    filler = zlib.compress(b" " * inflated_each, 9)  # ~1,000:1, the most zlib gives
    text = zlib.compress(b"BT /F1 12 Tf 72 720 Td (HOI - DAP Cau hoi 1: Tai lieu la gi?) Tj ET")
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents [" + b" ".join(f"{6 + i} 0 R".encode() for i in range(-1, streams)) + b"] >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    streams_data = [text] + [filler] * streams
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(bodies, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    for i, data in enumerate(streams_data):
        offsets.append(len(out))
        out += f"{len(bodies) + 1 + i} 0 obj\n<< /Length {len(data)} /Filter /FlateDecode >>\nstream\n".encode()
        out += data + b"\nendstream\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(offsets) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(offsets) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))
    return path


# --- what offices send instead of a file: scans and photos ---------------------------------
def scan_pages(
    pdf: Path, dpi: int = 200, max_angle: float = 0.6, speckles: float = 0.0003, seed: int = 46, sizes=(1,)
) -> list:
    """The pages of ``pdf`` as a scanner gives them: grey pixels at ``dpi``, each turned by up to
    ``max_angle`` degrees, sprinkled with dust (a ``speckles`` share of pixels, in dark dots of ``sizes``
    pixels — single pixels by default: salt-and-pepper noise, about 580 dots on an A5 page)."""
    import random

    import pypdfium2 as pdfium
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    document = pdfium.PdfDocument(str(pdf))
    pages = []
    for i in range(len(document)):
        image = document[i].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
        angle = rng.uniform(-max_angle, max_angle)
        image = image.rotate(angle, resample=Image.BICUBIC, expand=False, fillcolor=255)
        draw = ImageDraw.Draw(image)
        for _ in range(int(image.width * image.height * speckles)):
            x, y, size = rng.randrange(image.width), rng.randrange(image.height), rng.choice(sizes)
            draw.rectangle([x, y, x + size - 1, y + size - 1], fill=rng.randrange(0, 90))
        pages.append(image)
    document.close()
    return pages


def scanned_pdf(pdf: Path, target: Path, dpi: int = 200, **kwargs) -> Path:
    """``pdf`` printed and scanned back: a PDF whose pages are only pixels (see :func:`scan_pages`)."""
    pages = scan_pages(pdf, dpi, **kwargs)
    target.parent.mkdir(parents=True, exist_ok=True)
    pages[0].save(target, save_all=True, append_images=pages[1:], resolution=dpi)
    return target


def photographed(image, target: Path, tilt: float = 0.12, seed: int = 7) -> Path:
    """A page as a phone photographs it from an angle: the page ``image`` (PIL) warped into a trapezium
    on a darker desk, lit unevenly, saved as JPEG."""
    import random

    import cv2
    import numpy as np
    from PIL import Image

    rng = random.Random(seed)
    page = np.asarray(image.convert("L"))
    h, w = page.shape
    canvas_w, canvas_h = int(w * 1.35), int(h * 1.3)
    mx, my = (canvas_w - w) / 2, (canvas_h - h) / 2
    squeeze = tilt * w
    corners = np.float32(
        [
            [mx + squeeze, my + rng.uniform(0, 0.03) * h],
            [mx + w - squeeze * 0.6, my],
            [mx + w + squeeze * 0.2, my + h],
            [mx - squeeze * 0.3, my + h - rng.uniform(0, 0.03) * h],
        ]
    )
    source = np.float32([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]])
    matrix = cv2.getPerspectiveTransform(source, corners)
    desk = np.full((canvas_h, canvas_w), 70, dtype=np.uint8)
    warped = cv2.warpPerspective(page, matrix, (canvas_w, canvas_h), flags=cv2.INTER_CUBIC, borderValue=0)
    mask = cv2.warpPerspective(np.full_like(page, 255), matrix, (canvas_w, canvas_h), borderValue=0)
    photo = np.where(mask > 0, warped, desk).astype(np.float32)
    light = np.linspace(1.0, 0.8, canvas_w, dtype=np.float32)[None, :]  # a window on the left
    photo = np.clip(photo * light, 0, 255).astype(np.uint8)
    target.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(photo).convert("RGB").save(target, quality=88)
    return target
