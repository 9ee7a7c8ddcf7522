"""Quiz results as files Excel opens correctly (UTF-8 CSV with a BOM; XLSX): per question, per group
and each quiz sent, times in the configured zone with the zone named in the header. Members' names
are not exported: results are counts."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font

from bot.channels.web.exports import safe_cell
from bot.channels.web.labels import CHANNEL_NAMES
from bot.quiz.model import LETTERS
from bot.zones import local_text, zone_label


def percent(share: float) -> str:
    return f"{round(100 * share)}%"


def _delivery_rows(results, timezone: str) -> tuple[list[str], list[list]]:
    header = [
        f"Gửi lúc ({zone_label(timezone)})",
        "Nhóm",
        "Kênh",
        "Câu hỏi",
        "Loại câu hỏi",
        "Đáp án đúng",
        "Lượt trả lời",
        "Trả lời đúng",
        "Tỉ lệ đúng",
    ]
    questions = {q.question_id: q for q in results.questions}
    groups = {(g.channel, g.chat_id): g.title for g in results.groups}
    rows = []
    for d in results.deliveries:
        q = questions[d.question_id]
        right = f"{LETTERS[q.question.correct]}. {q.question.options[q.question.correct]}" if q.question else ""
        share = d.correct / d.answers if d.answers else 0.0
        rows.append(
            [
                local_text(d.sent_at, timezone),
                groups.get((d.channel, d.chat_id), d.chat_id),
                CHANNEL_NAMES.get(d.channel, d.channel),
                q.text,
                q.kind,
                right,
                d.answers,
                d.correct,
                percent(share),
            ]
        )
    return header, rows


def _question_rows(results) -> tuple[list[str], list[list]]:
    header = ["Câu hỏi", "Loại câu hỏi", "Số lần gửi", "Số nhóm", "Lượt trả lời", "Trả lời đúng", "Tỉ lệ đúng"]
    rows = [
        [q.text, q.kind, q.deliveries, len(q.groups), q.answers, q.correct, percent(q.share)] for q in results.questions
    ]
    return header, rows


def _group_rows(results) -> tuple[list[str], list[list]]:
    header = ["Nhóm", "Kênh", "Số câu đố", "Lượt trả lời", "Trả lời đúng", "Tỉ lệ đúng"]
    rows = [
        [g.title, CHANNEL_NAMES.get(g.channel, g.channel), g.deliveries, g.answers, g.correct, percent(g.share)]
        for g in results.groups
    ]
    return header, rows


def results_csv(results, timezone: str) -> bytes:
    """Each quiz sent, one row (the finest level: per question and per group add up from it)."""
    header, rows = _delivery_rows(results, timezone)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return buf.getvalue().encode("utf-8-sig")


def results_xlsx(results, timezone: str) -> bytes:
    book = Workbook()
    book.remove(book.active)
    sheets = (
        ("Theo câu hỏi", _question_rows(results), (70, 28, 12, 10, 14, 14, 12)),
        ("Theo nhóm", _group_rows(results), (40, 12, 12, 14, 14, 12)),
        ("Từng lần gửi", _delivery_rows(results, timezone), (34, 30, 12, 70, 28, 40, 14, 14, 12)),
    )
    for title, (header, rows), widths in sheets:
        sheet = book.create_sheet(title)
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([safe_cell(v) for v in row])
        for i, width in enumerate(widths):
            sheet.column_dimensions[chr(ord("A") + i)].width = width
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def template_csv() -> bytes:
    """The import template: exactly the importer's columns and one example row."""
    from bot.quiz.importer import COLUMNS

    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(COLUMNS)
    writer.writerow(_EXAMPLE)
    return buf.getvalue().encode("utf-8-sig")


def template_xlsx() -> bytes:
    from bot.quiz.importer import COLUMNS

    book = Workbook()
    sheet = book.active
    sheet.title = "Câu hỏi"
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.append(_EXAMPLE)
    for i, width in enumerate((60, 20, 20, 20, 20, 10, 40, 14, 16, 8)):
        sheet.column_dimensions[chr(ord("A") + i)].width = width
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


# An example a reader understands without the manual: which column holds what.
_EXAMPLE = [
    "Câu hỏi (tối đa 300 ký tự)?",
    "Phương án A",
    "Phương án B",
    "Phương án C (có thể bỏ trống)",
    "Phương án D (có thể bỏ trống)",
    "B",
    "Giải thích ngắn (tối đa 200 ký tự), ví dụ: Câu hỏi 5, Chỉ thị 46-CT/TU",
    "46-CT/TU",
    "5",
    "",
]
