"""Tables inside a quoted official text, for renderers.

The documents' tables reach a quote as lines of cells joined with `` | `` (bot.documents.model:
a row is quoted under its header line, a whole answer keeps its header row first). Renderers show
them as tables: the web as an HTML table, text channels one line per row with each cell under its
column's name ("Nguồn vốn: Ngân sách tỉnh; Tỷ lệ (%): 45"), since monospace alignment is lost on
phones. A run of two or more lines with the same number of cells is a table, its first line the header.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.documents.model import CELL_SEP, labelled


@dataclass(frozen=True)
class Part:
    """Plain lines (``text``), or a table (``header`` and ``rows``)."""

    text: str | None = None
    header: tuple[str, ...] | None = None
    rows: tuple[tuple[str, ...], ...] = ()

    @property
    def is_table(self) -> bool:
        return self.text is None


def _cells(line: str) -> tuple[str, ...]:
    return tuple(c.strip() for c in line.split(CELL_SEP))


def parts(text: str) -> list[Part]:
    lines = text.split("\n")
    out: list[Part] = []
    plain: list[str] = []
    i = 0
    while i < len(lines):
        width = lines[i].count(CELL_SEP)
        j = i
        while width and j < len(lines) and lines[j].count(CELL_SEP) == width:
            j += 1
        if j - i >= 2:
            if plain:
                out.append(Part("\n".join(plain)))
                plain = []
            out.append(Part(None, _cells(lines[i]), tuple(_cells(line) for line in lines[i + 1 : j])))
            i = j
        else:
            plain.append(lines[i])
            i += 1
    if plain:
        out.append(Part("\n".join(plain)))
    return out


def rows_as_lines(text: str, bullet: str = "• ") -> str:
    """Text channels: each table row on one line, its cells under their column names."""
    if CELL_SEP not in text:
        return text
    out = []
    for part in parts(text):
        if part.is_table:
            out += [bullet + labelled(part.header, row) for row in part.rows]
        else:
            out.append(part.text)
    return "\n".join(out)
