"""The unanswered report as files Excel opens correctly: CSV in UTF-8 with a BOM, and XLSX (openpyxl)."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font

HEADER = ["Số lần", "Câu hỏi", "Các cách hỏi khác", "Lần cuối (UTC)", "Kênh"]


def _rows(groups) -> list[list]:
    out = []
    for g in groups:
        others = "; ".join(f"{q} ({n})" for q, n in g.variants if q != g.question)
        out.append([g.count, g.question, others, g.last_asked.strftime("%Y-%m-%d %H:%M"), g.channels])
    return out


def safe_cell(value):
    """Text starting with = + - @ is a formula to spreadsheets: quoted so a member's question cannot run
    as one (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def unanswered_csv(groups) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(HEADER)
    for row in _rows(groups):
        writer.writerow([safe_cell(v) for v in row])
    return buf.getvalue().encode("utf-8-sig")  # the BOM tells Excel it is UTF-8


def unanswered_xlsx(groups) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Chưa có câu trả lời"
    sheet.append(HEADER)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in _rows(groups):
        sheet.append([safe_cell(v) for v in row])
    for column, width in zip("ABCDE", (8, 70, 50, 18, 12), strict=True):
        sheet.column_dimensions[column].width = width
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
