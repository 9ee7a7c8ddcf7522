"""Officers' own quiz questions from CSV, XLSX or YAML, validated with line-numbered errors.

Every bad row is reported at once (line and Vietnamese reason), and nothing is imported until the
file is clean. The web's one-question form goes through :func:`check_question`, the same checks.

CSV or XLSX (first sheet), header row with the columns of :data:`COLUMNS` (options E–J may follow D)::

    question,A,B,C,D,correct,explanation,doc_number,question_number,item
    "Khoán sản phẩm là biện pháp ở câu hỏi nào?",Câu 2,Câu 5,Câu 7,Câu 8,B,"Câu hỏi 5, Chỉ thị 46-CT/TU",46-CT/TU,5,

YAML::

    - question: Khoán sản phẩm là biện pháp ở câu hỏi nào?
      options: [Câu 2, Câu 5, Câu 7, Câu 8]
      correct: B            # a letter, or a number counted from 1
      explanation: Câu hỏi 5, Chỉ thị 46-CT/TU
      source: {doc_number: 46-CT/TU, question_number: 5}
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import yaml

from bot.errors import QuizImportError
from bot.quiz.model import LETTERS, QuizQuestion, limit_problems

# What the importer reads, in the order of the downloadable template.
COLUMNS = ("question", "A", "B", "C", "D", "correct", "explanation", "doc_number", "question_number", "item")
SUFFIXES = (".csv", ".xlsx", ".yaml", ".yml")


def _correct_index(value, n_options: int) -> int:
    text = str(value).strip().upper()
    if len(text) == 1 and text in LETTERS[:n_options]:
        return LETTERS.index(text)
    if text.isdigit() and 1 <= int(text) <= n_options:
        return int(text) - 1
    raise ValueError(f"đáp án đúng “{value}” phải là chữ cái A–{LETTERS[n_options - 1]} hoặc số 1–{n_options}")


def _number(value, column: str) -> int | None:
    text = str(value if value is not None else "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise ValueError(f"cột {column} phải là một số, đang là “{text}”")
    return int(text)


def _build(data: dict) -> QuizQuestion:
    options = [str(o).strip() for o in data.get("options") or [] if str(o).strip()]
    if not str(data.get("question") or "").strip():
        raise ValueError("thiếu câu hỏi")
    if "correct" not in data or data["correct"] in (None, ""):
        raise ValueError("thiếu đáp án đúng")
    src = data.get("source") or {}
    source = {
        "doc_number": str(src.get("doc_number") or "").strip() or None,
        "question_number": _number(src.get("question_number"), "question_number (số câu hỏi)"),
        "item": _number(src.get("item"), "item (số mục)"),
    }
    q = QuizQuestion(
        kind="imported",
        question=str(data["question"]).strip(),
        options=options,
        correct=_correct_index(data["correct"], max(len(options), 1)),
        explanation=str(data.get("explanation") or "").strip(),
        source=source,
    )
    problems = limit_problems(q)
    if problems:
        raise ValueError("; ".join(problems))
    return q


def _row_data(row: dict) -> dict:
    """A spreadsheet row (lower-cased column names) as the dict :func:`_build` reads."""
    row = {(k or "").strip().lower(): str(v if v is not None else "").strip() for k, v in row.items()}
    return {
        "question": row.get("question"),
        "options": [row[c.lower()] for c in LETTERS if row.get(c.lower())],
        "correct": row.get("correct"),
        "explanation": row.get("explanation"),
        "source": {k: row.get(k) for k in ("doc_number", "question_number", "item")},
    }


def _check_header(fields, path: Path) -> None:
    fields = [str(f or "").strip().lower() for f in fields or []]
    if "question" not in fields or "correct" not in fields:
        raise QuizImportError("dòng tiêu đề cần có các cột " + ", ".join(COLUMNS), path, 1)


def _rows_csv(text: str, path: Path) -> list[tuple[int, dict]]:
    reader = csv.DictReader(io.StringIO(text))
    _check_header(reader.fieldnames, path)
    return [(reader.line_num, _row_data(row)) for row in reader]


def _rows_xlsx(data: bytes, path: Path) -> list[tuple[int, dict]]:
    from openpyxl import load_workbook

    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    except Exception as e:  # not a workbook, or a damaged one: openpyxl raises many kinds
        raise QuizImportError(f"không đọc được tệp Excel ({type(e).__name__})", path) from e
    rows = sheet.iter_rows(values_only=True)
    header = [str(h or "").strip() for h in next(rows, ())]
    _check_header(header, path)
    out = []
    for number, values in enumerate(rows, start=2):
        if not any(str(v or "").strip() for v in values):
            continue  # blank rows under the table
        cells = [_cell(v) for v in values]
        out.append((number, _row_data(dict(zip(header, cells, strict=False)))))
    return out


def _cell(value) -> str:
    """Excel stores 5 as 5.0: a whole number is written as one."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


class _LineLoader(yaml.SafeLoader):
    """Records the line of every mapping so errors can name it."""


def _construct_mapping(loader, node, deep=False):
    mapping = yaml.SafeLoader.construct_mapping(loader, node, deep=deep)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _rows_yaml(text: str, path: Path) -> list[tuple[int, dict]]:
    try:
        data = yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as e:
        line = getattr(getattr(e, "problem_mark", None), "line", None)
        raise QuizImportError(
            f"YAML không hợp lệ: {getattr(e, 'problem', e)}", path, line + 1 if line is not None else None
        ) from e
    if not isinstance(data, list):
        raise QuizImportError("tệp YAML phải là một danh sách câu hỏi", path, 1)
    return [(item.pop("__line__", None) if isinstance(item, dict) else None, item) for item in data]


def known_problem(q: QuizQuestion, known_questions: dict[str, set[int]] | None) -> str | None:
    """Why the source a question cites is not in the index (None: it is, or it cites none)."""
    number, qnum = q.source.get("doc_number"), q.source.get("question_number")
    if known_questions is None or not number:
        return None
    if number not in known_questions:
        return f"văn bản {number} không có trong chỉ mục"
    if qnum is not None and qnum not in known_questions[number]:
        return f"{number} không có Câu hỏi {qnum}"
    return None


def check_question(data: dict, known_questions: dict[str, set[int]] | None = None) -> QuizQuestion:
    """One question (the dict a row becomes) built and checked as every imported row is; raises
    ValueError with the Vietnamese reason."""
    if not isinstance(data, dict):
        raise ValueError("mỗi câu hỏi phải là một bảng có question, options, correct")
    try:
        q = _build(data)
    except TypeError as e:
        raise ValueError(str(e)) from e
    problem = known_problem(q, known_questions)
    if problem:
        raise ValueError(problem)
    return q


def read_rows(path: Path) -> list[tuple[int | None, dict]]:
    """The rows of a quiz file with their line numbers (a file that cannot be read at all raises)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise QuizImportError("chỉ nhận tệp .csv, .xlsx, .yaml hoặc .yml", path)
    try:
        if suffix == ".xlsx":
            return _rows_xlsx(path.read_bytes(), path)
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise QuizImportError(f"không đọc được tệp ({e})", path) from e
    return _rows_csv(text, path) if suffix == ".csv" else _rows_yaml(text, path)


def load_quiz_file(path: Path, known_questions: dict[str, set[int]] | None = None) -> list[QuizQuestion]:
    """Parse and validate every question; every bad row is collected and raised together.

    ``known_questions`` (document number → official question numbers) checks cited sources.
    """
    path = Path(path)
    rows = read_rows(path)
    if not rows:
        raise QuizImportError("tệp không có câu hỏi nào", path)
    out: list[QuizQuestion] = []
    problems: list[tuple[int | None, str]] = []
    seen: dict[str, int | None] = {}
    for line, data in rows:
        try:
            q = check_question(data, known_questions)
        except ValueError as e:
            problems.append((line, str(e)))
            continue
        if q.id in seen:
            problems.append((line, f"câu hỏi trùng với dòng {seen[q.id]}"))
            continue
        seen[q.id] = line
        out.append(q)
    if len(problems) == 1:
        raise QuizImportError(problems[0][1], path, problems[0][0], problems)
    if problems:
        detail = f"{len(problems)} dòng có lỗi, chưa nhập câu nào: " + "; ".join(
            f"dòng {line}: {reason}" for line, reason in problems
        )
        raise QuizImportError(detail, path, None, problems)
    return out
