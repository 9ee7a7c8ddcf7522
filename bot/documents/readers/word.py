""".docx: the body in reading order — paragraphs *and* tables — with Word's automatic numbering.

python-docx's ``document.paragraphs`` skips tables and ``document.tables``
comes after all paragraphs, so a table inside an answer used to land in the
last question. Here the body is walked once, in order
(``Document.iter_inner_content``); a table becomes one block per row, cells
joined with `` | ``. Paragraphs numbered by a list style or ``numPr`` get
the label Word shows — ``(1)``, ``1.``, ``a)``, ``•`` — computed from
``numbering.xml`` (abstractNum levels, start values and overrides), so the
items a member sees exist in the quoted text.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from bot.documents.layout import Block, Line, clean_inline, join_lines
from bot.documents.readers import MAX_BLOCKS, MAX_DOCX_XML_BYTES, Extracted, encoding_note, fix_encoding
from bot.errors import DocumentError, DocumentTooLarge

MAX_COMPRESSION_RATIO = 200
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024  # everything, images included

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HEADER_WORDS = {"stt", "tt", "số tt", "số thứ tự"}


def check_zip(data: bytes, path: Path) -> None:
    """A real zip whose parts, and whose XML above all, inflate to a sane size."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise DocumentError("tệp .docx không hợp lệ (không phải định dạng Word/zip)", path)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except zipfile.BadZipFile as e:
        raise DocumentError("tệp .docx bị hỏng", path) from e
    total = sum(i.file_size for i in infos)
    if total > MAX_UNZIPPED_BYTES or total > MAX_COMPRESSION_RATIO * max(len(data), 1):
        raise DocumentError("tệp .docx bị từ chối: nội dung giải nén quá lớn (nghi là zip bomb)", path)
    xml = sum(i.file_size for i in infos if i.filename.endswith((".xml", ".rels")))
    if xml > MAX_DOCX_XML_BYTES:
        raise DocumentTooLarge(
            f"phần chữ (XML) của tệp .docx giải nén ra {xml / 1048576:.1f} MB, vượt giới hạn "
            f"{MAX_DOCX_XML_BYTES / 1048576:.0f} MB; hãy tách văn bản thành nhiều tệp",
            path,
        )


# --- automatic numbering --------------------------------------------------------------
@dataclass
class _Level:
    fmt: str = "decimal"
    text: str = "%1."
    start: int = 1


@dataclass
class _Num:
    abstract: str
    starts: dict[int, int] = field(default_factory=dict)  # lvlOverride/startOverride


def _roman(n: int) -> str:
    out = ""
    for value, letters in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
                           (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):  # fmt: skip
        while n >= value:
            out += letters
            n -= value
    return out


def _letters(n: int) -> str:
    # Word: a..z, then aa..zz, aaa…
    n = max(n, 1)
    return chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)


def format_number(n: int, fmt: str) -> str:
    if fmt == "lowerLetter":
        return _letters(n)
    if fmt == "upperLetter":
        return _letters(n).upper()
    if fmt == "lowerRoman":
        return _roman(n)
    if fmt == "upperRoman":
        return _roman(n).upper()
    if fmt == "decimalZero":
        return f"{n:02d}"
    return str(n)


def _bullet(symbol: str) -> str:
    """A bullet as text: dashes stay dashes; symbol-font glyphs (, §, Ø…) read as •."""
    symbol = symbol.strip()
    if symbol in ("-", "–", "—", "+"):
        return "-" if symbol != "+" else "+"
    return "•"


class Numbering:
    """Turns ``numPr`` (direct or through the paragraph's style) into the label Word displays."""

    def __init__(self, document) -> None:
        self.abstracts: dict[str, dict[int, _Level]] = {}
        self.nums: dict[str, _Num] = {}
        self.counters: dict[str, dict[int, int]] = {}
        self.started: set[str] = set()
        self.styles: dict[str, tuple[str | None, str | None, str | None]] = {}  # id -> (numId, ilvl, basedOn)
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            root = None
        if root is not None:
            for a in root.iter(f"{_W}abstractNum"):
                levels = {}
                for lvl in a.iter(f"{_W}lvl"):
                    level = _Level()
                    fmt = lvl.find(f"{_W}numFmt")
                    text = lvl.find(f"{_W}lvlText")
                    start = lvl.find(f"{_W}start")
                    if fmt is not None:
                        level.fmt = fmt.get(f"{_W}val", "decimal")
                    if text is not None:
                        level.text = text.get(f"{_W}val", "")
                    if start is not None and (start.get(f"{_W}val") or "").isdigit():
                        level.start = int(start.get(f"{_W}val"))
                    levels[int(lvl.get(f"{_W}ilvl", "0"))] = level
                self.abstracts[a.get(f"{_W}abstractNumId")] = levels
            for n in root.iter(f"{_W}num"):
                ref = n.find(f"{_W}abstractNumId")
                if ref is None:
                    continue
                num = _Num(ref.get(f"{_W}val"))
                for override in n.iter(f"{_W}lvlOverride"):
                    start = override.find(f"{_W}startOverride")
                    if start is not None and (start.get(f"{_W}val") or "").isdigit():
                        num.starts[int(override.get(f"{_W}ilvl", "0"))] = int(start.get(f"{_W}val"))
                self.nums[n.get(f"{_W}numId")] = num
        for style in document.styles.element.iter(f"{_W}style"):
            num_id = ilvl = None
            ppr = style.find(f"{_W}pPr")
            numpr = ppr.find(f"{_W}numPr") if ppr is not None else None
            if numpr is not None:
                nid, lv = numpr.find(f"{_W}numId"), numpr.find(f"{_W}ilvl")
                num_id = nid.get(f"{_W}val") if nid is not None else None
                ilvl = lv.get(f"{_W}val") if lv is not None else None
            based = style.find(f"{_W}basedOn")
            self.styles[style.get(f"{_W}styleId")] = (
                num_id,
                ilvl,
                based.get(f"{_W}val") if based is not None else None,
            )

    def _style_numpr(self, style_id: str | None) -> tuple[str | None, str | None]:
        seen = set()
        while style_id and style_id not in seen:
            seen.add(style_id)
            num_id, ilvl, based = self.styles.get(style_id, (None, None, None))
            if num_id is not None:
                return num_id, ilvl
            style_id = based
        return None, None

    def label(self, p) -> str:
        """The visible label of paragraph element ``p`` ("" when it is not numbered); advances the counters."""
        ppr = p.find(f"{_W}pPr")
        num_id = ilvl = None
        style_id = None
        if ppr is not None:
            pstyle = ppr.find(f"{_W}pStyle")
            style_id = pstyle.get(f"{_W}val") if pstyle is not None else None
            numpr = ppr.find(f"{_W}numPr")
            if numpr is not None:
                nid, lv = numpr.find(f"{_W}numId"), numpr.find(f"{_W}ilvl")
                num_id = nid.get(f"{_W}val") if nid is not None else None
                ilvl = lv.get(f"{_W}val") if lv is not None else None
        if num_id is None:
            num_id, style_ilvl = self._style_numpr(style_id)
            ilvl = ilvl or style_ilvl
        if num_id is None or num_id == "0" or num_id not in self.nums:
            return ""
        level_no = int(ilvl) if ilvl and ilvl.isdigit() else 0
        num = self.nums[num_id]
        levels = self.abstracts.get(num.abstract, {})
        counters = self.counters.setdefault(num.abstract, {})
        if num_id not in self.started:
            # A list instance with a start override restarts its numbering.
            self.started.add(num_id)
            for lv, start in num.starts.items():
                counters[lv] = start - 1
        level = levels.get(level_no, _Level())
        counters[level_no] = counters.get(level_no, level.start - 1) + 1
        for deeper in [lv for lv in counters if lv > level_no]:
            del counters[deeper]
        if level.fmt == "bullet":
            return _bullet(level.text)
        if level.fmt == "none":
            return ""
        label = level.text
        for k in range(9, 0, -1):  # %10 is not a thing; %1…%9 name levels 0…8
            if f"%{k}" in label:
                lv = k - 1
                value = counters.get(lv, levels.get(lv, _Level()).start)
                label = label.replace(f"%{k}", format_number(value, levels.get(lv, _Level()).fmt))
        return label.strip()


# --- the body ---------------------------------------------------------------------------
def _paragraph_text(p, numbering: Numbering) -> str:
    from docx.text.paragraph import Paragraph

    text = Paragraph(p, None).text
    label = numbering.label(p)
    return f"{label} {text}" if label and text.strip() else text


def _is_bold_row(tr) -> bool:
    runs = [r for r in tr.iter(f"{_W}r") if "".join(t.text or "" for t in r.iter(f"{_W}t")).strip()]
    if not runs:
        return False
    for r in runs:
        rpr = r.find(f"{_W}rPr")
        b = rpr.find(f"{_W}b") if rpr is not None else None
        if b is None or b.get(f"{_W}val") in ("0", "false"):
            return False
    return True


def _row_cells(tr, numbering: Numbering) -> list[str]:
    cells = []
    for tc in tr.iter(f"{_W}tc"):
        if tc.getparent() is not tr:
            continue  # cells of a table nested in a cell are read with that cell
        tcpr = tc.find(f"{_W}tcPr")
        vmerge = tcpr.find(f"{_W}vMerge") if tcpr is not None else None
        if vmerge is not None and vmerge.get(f"{_W}val") in (None, "continue"):
            continue  # the lower part of a vertically merged cell shows nothing
        parts = [clean_inline(_paragraph_text(p, numbering).replace("\n", " ")) for p in tc.iter(f"{_W}p")]
        text = " ".join(t for t in parts if t)
        if text:
            cells.append(text)
    return cells


def read_docx(data: bytes, path: Path) -> Extracted:
    check_zip(data, path)
    try:
        import docx
        from docx.table import Table

        document = docx.Document(io.BytesIO(data))
        numbering = Numbering(document)
        raw: list[tuple[list[str], int, str, int | None]] = []  # (lines, position, kind, table)
        position = 0
        tables = 0
        for item in document.iter_inner_content():
            if isinstance(item, Table):
                tables += 1
                rows = item._tbl.tr_lst
                for r, tr in enumerate(rows):
                    position += 1
                    cells = _row_cells(tr, numbering)
                    if not cells:
                        continue
                    trpr = tr.find(f"{_W}trPr")
                    header = (trpr is not None and trpr.find(f"{_W}tblHeader") is not None) or (
                        r == 0 and len(rows) > 1 and (_is_bold_row(tr) or cells[0].lower() in _HEADER_WORDS)
                    )
                    raw.append(([" | ".join(cells)], position, "header" if header else "row", tables))
            else:
                position += 1
                raw.append((_paragraph_text(item._p, numbering).split("\n"), position, "p", None))
            if len(raw) > MAX_BLOCKS * 2:
                break  # read_document refuses it; no need to walk a million more
    except DocumentError:
        raise
    except Exception as e:  # python-docx raises many types for malformed packages
        raise DocumentError(f"không mở được tệp .docx ({type(e).__name__})", path) from e
    flat = [line for lines, _, _, _ in raw for line in lines]
    converted, encoding = fix_encoding(flat)
    blocks: list[Block] = []
    k = 0
    for lines, position, kind, table in raw:
        texts = converted[k : k + len(lines)]
        k += len(lines)
        if kind != "p":
            blocks.append(Block(clean_inline(texts[0]), position, kind, table))
            continue
        # A manual line break (Shift+Enter) splits a paragraph; it continues only mid-sentence.
        joined = join_lines([Line(clean_inline(t), position) for t in texts])
        blocks.extend(Block(b.text, position) for b in joined)
    return Extracted(blocks, encoding_note(encoding), encoding)
