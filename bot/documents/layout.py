"""From visual lines to paragraphs: the layout rules every reader shares.

A PDF, or a .txt saved with hard line breaks, gives *lines*; the official text
is made of *paragraphs*. A quote must never carry a line break in the middle of
a sentence, a justified double space, half an item, or a page footer. So:

- whitespace inside a line collapses to one space (justification, tabs, NBSP);
- a line joins the next when it was wrapped: it does not end a sentence, the
  next line does not start a new block (``Câu hỏi 3``, ``Trả lời``, ``(2)``,
  ``a)``, ``-``, ``II.``, ``Điều 4``…), and — where the geometry is known — the
  line reaches the right margin (the next word would not have fit on it);
- a word broken with a hyphen at the end of a line is joined without a space
  and keeps its hyphen (``46-`` + ``CT/TU``); a soft hyphen is dropped;
- running headers and footers (the same line at the top or bottom of most
  pages, ``Trang 3``, ``- 3 -``, ``3/12``) are removed.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

SOFT_HYPHEN = "\u00ad"
# Zero-width and direction marks carry nothing a reader sees; they only break matching.
_INVISIBLE_RE = re.compile("[\u200b\u200c\u200d\u2060\u200e\u200f\ufeff\u202a-\u202e]")
_SPACES_RE = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000\f\v]+")

# A line that starts a new block of the document (never the continuation of the previous line).
BLOCK_START_RE = re.compile(
    r"""^\s*(?:
        C[aâ]u(?:\s+h[oỏ]i)?\s+(?:s[oố]\s+)?\d{1,4}\s*[:.)–-]   # Câu hỏi 3:
      | Tr[aả]\s+l[oờ]i\b                                       # Trả lời
      | \(\d{1,3}\)                                             # (2)
      | \d{1,3}[.)]\s                                           # 2.  2)
      | \d{1,2}(?:\.\d{1,2})+\.?\s                              # 1.2.
      | [a-zđ]\)\s                                              # a)
      | [-–•+*▪●◦]\s                                            # bullets
      | [IVXLC]{1,6}[.)]\s                                      # II.
      | (?:Điều|Chương|Mục|Phần)\s+[\dIVXLC]+                    # Điều 4
    )""",
    re.VERBOSE,
)
_SENTENCE_END_RE = re.compile(r"[.;:!?…]['\"”’)\]]*$")
_PAGE_NUMBER_RE = re.compile(
    r"^(?:(?:trang|page)\s*\d{1,4}(?:\s*(?:/|trên|of)\s*\d{1,4})?|[-–—]\s*\d{1,4}\s*[-–—]|\d{1,4}(?:\s*/\s*\d{1,4})?)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Block:
    """A paragraph (or a table row) of a document, as the reader saw it.

    ``line``: where it starts (1-based: the line of a text file, the paragraph
    of a Word body, the extracted line of a PDF), for messages. ``kind``:
    ``p`` paragraph, ``row`` a table row, ``header`` a table's header row.
    ``table``: the table a row belongs to (rows of one table share it).
    """

    text: str
    line: int
    kind: str = "p"
    table: int | None = None


@dataclass
class Line:
    """One visual line. ``wraps``: the reader measured that the next line's first
    word would not have fit on this one (True), that it would have (False), or
    could not tell (None: then only a next line starting with a small letter
    continues it). ``gap_before``: a blank line or a page-level break precedes it."""

    text: str
    number: int
    wraps: bool | None = None
    gap_before: bool = False


def clean_inline(text: str) -> str:
    """Collapse every run of spaces to one, drop invisible characters; keep the words."""
    text = _INVISIBLE_RE.sub("", text)
    return _SPACES_RE.sub(" ", text).strip()


def starts_block(text: str) -> bool:
    return bool(BLOCK_START_RE.match(text))


def ends_sentence(text: str) -> bool:
    return bool(_SENTENCE_END_RE.search(text.rstrip()))


def is_page_number(text: str) -> bool:
    return bool(_PAGE_NUMBER_RE.match(text.strip()))


def _join(left: str, right: str) -> str:
    if left.endswith(SOFT_HYPHEN):
        return left[:-1] + right
    if left.endswith("-") and len(left) >= 2 and not left[-2].isspace():
        return left + right  # "46-" + "CT/TU": the hyphen is part of the word
    return left + " " + right


_DASH_WORD_RE = re.compile(r"^[-–]\s+[a-zđà-ỹ]")


def continues(prev: Line, nxt: Line) -> bool:
    """Whether ``nxt`` is the same paragraph as ``prev`` (see the module's rules)."""
    if nxt.gap_before:
        return False
    if starts_block(nxt.text):
        # "chính trị" / "- xã hội; …": a compound's dash that the width put at the start of a line is not
        # a bullet (bullets start with a capital), when the reader measured that the line above wraps.
        return bool(prev.wraps and _DASH_WORD_RE.match(nxt.text) and not ends_sentence(prev.text))
    starts_small = nxt.text[:1].islower()
    wrapped = prev.wraps if prev.wraps is not None else starts_small
    if not wrapped:
        return False
    if ends_sentence(prev.text):
        return starts_small  # "…của Nhà nước;" / "không để…": a sentence never starts with a small letter
    return True


def join_lines(lines: list[Line]) -> list[Block]:
    """Join wrapped lines into paragraphs; an empty line always ends one."""
    blocks: list[Block] = []
    start: Line | None = None
    last: Line | None = None
    text = ""
    for line in lines:
        if not line.text:
            if start is not None:
                blocks.append(Block(text, start.number))
            start = last = None
            text = ""
            continue
        if last is not None and continues(last, line):
            text = _join(text, line.text)
            last = line
            continue
        if start is not None:
            blocks.append(Block(text, start.number))
        start = last = line
        text = line.text
    if start is not None:
        blocks.append(Block(text, start.number))
    return blocks


def mark_text_wraps(lines: list[Line], width: int | None) -> None:
    """Hard-wrapped text: a line wraps when the next line's first word would not have fit."""
    for line, nxt in zip(lines, lines[1:], strict=False):
        if not line.text or not nxt.text:
            continue
        if width is None:
            line.wraps = None
        else:
            line.wraps = len(line.text) + 1 + len(nxt.text.split(" ", 1)[0]) > width


def text_wrap_width(lines: list[str]) -> int | None:
    """The column a hard-wrapped text file was wrapped at, or None when lines are paragraphs.

    A wrapped file has many lines close to one maximum length (≤ 120
    characters); a file of one paragraph per line has lengths all over.
    """
    lengths = [len(s) for s in (line.rstrip() for line in lines) if s]
    if len(lengths) < 4:
        return None
    longest = max(lengths)
    if longest > 120:
        return None
    near = sum(1 for n in lengths if n >= longest - 12)
    return longest if near >= max(3, 0.3 * len(lengths)) else None


def running_lines(pages: list[list[str]], zone: int = 2) -> set[str]:
    """Lines repeated at the top, or at the bottom, of most pages (digits ignored): headers and footers.

    A line that also occurs in the middle of a page is text, not a running line
    (a Q&A repeats phrases, and one may fall at a page's edge).
    """
    if len(pages) < 2:
        return set()
    top: Counter = Counter()
    bottom: Counter = Counter()
    middle: set[str] = set()
    for lines in pages:
        texts = [t for t in lines if t]
        top.update({_shape(t) for t in texts[:zone]})
        bottom.update({_shape(t) for t in texts[-zone:]})
        middle.update(_shape(t) for t in texts[zone:-zone])
    need = max(2, (len(pages) + 1) // 2)
    return {shape for counts in (top, bottom) for shape, n in counts.items() if n >= need and shape not in middle}


def _shape(text: str) -> str:
    return re.sub(r"\d+", "#", clean_inline(text).lower())


def strip_running(pages: list[list[Line]], zone: int = 2) -> tuple[list[list[Line]], list[str]]:
    """Remove running headers/footers and page numbers from each page's edge lines."""
    repeated = running_lines([[ln.text for ln in page] for page in pages], zone)
    removed: list[str] = []
    out = []
    for page in pages:
        keep = []
        n = len(page)
        for i, line in enumerate(page):
            at_edge = i < zone or i >= n - zone
            if at_edge and (is_page_number(line.text) or _shape(line.text) in repeated):
                removed.append(line.text)
                continue
            keep.append(line)
        out.append(keep)
    return out, removed
