"""Officers' own quiz questions from CSV or YAML, validated with line-numbered errors.

CSV (UTF-8, header row)::

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


def _correct_index(value, n_options: int) -> int:
    text = str(value).strip().upper()
    if len(text) == 1 and text in LETTERS[:n_options]:
        return LETTERS.index(text)
    if text.isdigit() and 1 <= int(text) <= n_options:
        return int(text) - 1
    raise ValueError(f"đáp án đúng “{value}” phải là chữ cái A–{LETTERS[n_options - 1]} hoặc số 1–{n_options}")


def _build(data: dict) -> QuizQuestion:
    options = [str(o).strip() for o in data.get("options") or [] if str(o).strip()]
    if not str(data.get("question") or "").strip():
        raise ValueError("thiếu câu hỏi")
    if "correct" not in data or data["correct"] in (None, ""):
        raise ValueError("thiếu đáp án đúng")
    src = data.get("source") or {}
    source = {
        "doc_number": src.get("doc_number") or None,
        "question_number": int(src["question_number"]) if str(src.get("question_number") or "").strip() else None,
        "item": int(src["item"]) if str(src.get("item") or "").strip() else None,
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


def _rows_csv(text: str) -> list[tuple[int, dict]]:
    reader = csv.DictReader(io.StringIO(text))
    fields = [f.strip().lower() for f in reader.fieldnames or []]
    if "question" not in fields or "correct" not in fields:
        raise QuizImportError("dòng tiêu đề cần có các cột question, A, B, …, correct", None, 1)
    out = []
    for row in reader:
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        options = [row[c.lower()] for c in LETTERS if row.get(c.lower())]
        out.append(
            (
                reader.line_num,
                {
                    "question": row.get("question"),
                    "options": options,
                    "correct": row.get("correct"),
                    "explanation": row.get("explanation"),
                    "source": {k: row.get(k) for k in ("doc_number", "question_number", "item")},
                },
            )
        )
    return out


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


def load_quiz_file(path: Path, known_questions: dict[str, set[int]] | None = None) -> list[QuizQuestion]:
    """Parse and validate every question; the first bad row raises with its line number.

    ``known_questions`` (document number → official question numbers) checks cited sources.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise QuizImportError(f"không đọc được tệp ({e})", path) from e
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = _rows_csv(text)
    elif suffix in (".yaml", ".yml"):
        rows = _rows_yaml(text, path)
    else:
        raise QuizImportError("chỉ nhận tệp .csv, .yaml hoặc .yml", path)
    if not rows:
        raise QuizImportError("tệp không có câu hỏi nào", path)
    out: list[QuizQuestion] = []
    seen: dict[str, int] = {}
    for line, data in rows:
        if not isinstance(data, dict):
            raise QuizImportError("mỗi câu hỏi phải là một bảng có question, options, correct", path, line)
        try:
            q = _build(data)
        except (ValueError, TypeError) as e:
            raise QuizImportError(str(e), path, line) from e
        if q.id in seen:
            raise QuizImportError(f"câu hỏi trùng với dòng {seen[q.id]}", path, line)
        number, qnum = q.source.get("doc_number"), q.source.get("question_number")
        if known_questions is not None and number:
            if number not in known_questions:
                raise QuizImportError(f"văn bản {number} không có trong chỉ mục", path, line)
            if qnum is not None and qnum not in known_questions[number]:
                raise QuizImportError(f"{number} không có Câu hỏi {qnum}", path, line)
        seen[q.id] = line
        out.append(q)
    return out
