"""Parse officers' schedule arguments: ``07:30``, ``7h30``, days ``T2-T6``, ``T2,T4,T6``, ``CN``, ``hằng ngày``.

Days use python-telegram-bot's numbering: 0 = Chủ nhật (Sunday) … 6 = Thứ Bảy.
"""

from __future__ import annotations

import re

from bot.errors import UserInputError
from bot.text.normalize import fold

ALL_DAYS = "0123456"
USAGE = "Cách dùng: /quiz_on 07:30 [ngày], ví dụ /quiz_on 07:30 T2-T6 (ngày có thể là T2,T4,T6 hoặc CN; bỏ trống = hằng ngày)."
_TIME_RE = re.compile(r"^(\d{1,2})(?:[:hH.](\d{2})?)?$")
_DAY_NAMES = {"cn": 0, "chunhat": 0, "t2": 1, "t3": 2, "t4": 3, "t5": 4, "t6": 5, "t7": 6}
DAY_LABELS = ["CN", "T2", "T3", "T4", "T5", "T6", "T7"]


def parse_time(text: str) -> str:
    m = _TIME_RE.match(text.strip())
    if not m:
        raise UserInputError(f"Giờ không hợp lệ: “{text}”. {USAGE}")
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise UserInputError(f"Giờ không hợp lệ: “{text}”. {USAGE}")
    return f"{hour:02d}:{minute:02d}"


def _day(token: str) -> int:
    t = fold(token).replace(" ", "").replace("thu", "t")
    if t in _DAY_NAMES:
        return _DAY_NAMES[t]
    if t.isdigit() and 2 <= int(t) <= 8:  # "2" = Thứ Hai … "8" = Chủ nhật
        return int(t) - 1 if int(t) <= 7 else 0
    raise UserInputError(f"Ngày không hợp lệ: “{token}”. {USAGE}")


_DAY_WORDS = {"hai": "2", "ba": "3", "tu": "4", "nam": "5", "sau": "6", "bay": "7"}


def _join_day_words(text: str) -> str:
    """ "thứ 2", "Thứ Hai", "chủ nhật" → "t2", "t2", "cn" (members type days as words)."""
    t = re.sub(r"chu\s*nhat", "cn", fold(text))
    return re.sub(r"\bthu\s*(hai|ba|tu|nam|sau|bay|\d)\b", lambda m: "t" + _DAY_WORDS.get(m.group(1), m.group(1)), t)


def parse_days(args: list[str]) -> str:
    """The set of days as a sorted digit string; no argument means every day."""
    text = _join_day_words(" ".join(args).strip())
    if not text or fold(text).replace(" ", "") in {"hangngay", "moingay", "all", "tatca"}:
        return ALL_DAYS
    days: set[int] = set()
    for part in re.split(r"[,\s]+", text):
        if not part:
            continue
        if "-" in part:
            a, b = part.split("-", 1)
            start, end = _day(a), _day(b)
            # Vietnamese weeks run T2 … CN: a range ending on CN wraps through Sunday.
            order = [1, 2, 3, 4, 5, 6, 0]
            i, j = order.index(start), order.index(end)
            if i > j:
                raise UserInputError(f"Khoảng ngày không hợp lệ: “{part}”. {USAGE}")
            days.update(order[i : j + 1])
        else:
            days.add(_day(part))
    return "".join(str(d) for d in sorted(days))


def parse_schedule(args: list[str]) -> tuple[str, str]:
    """``["07:30", "T2-T6"]`` → ``("07:30", "12345")``."""
    if not args:
        raise UserInputError(USAGE)
    return parse_time(args[0]), parse_days(args[1:])


def describe_days(days: str) -> str:
    if days == ALL_DAYS:
        return "hằng ngày"
    order = [1, 2, 3, 4, 5, 6, 0]
    return ", ".join(DAY_LABELS[d] for d in order if str(d) in days)
