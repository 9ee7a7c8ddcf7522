"""What a button (or a numbered choice) does, and its compact, bounded encoding.

Telegram carries the encoding in ``callback_data`` (at most 64 bytes); text channels keep it in the
chat's memory behind a number. Decoding never trusts its input: anything that is not exactly one
of the shapes below, within bounds, decodes to ``None`` and is answered with a short notice.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

MAX_BYTES = 64
MAX_NUMBER = 9999
_REF = re.compile(r"^[A-Za-z0-9_-]{6,24}$")
_DOC = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")
_HASHED = re.compile(r"^~[0-9a-f]{10}$")
_DELIVERY = re.compile(r"^[1-9][0-9]{0,17}$")
_OPTION = re.compile(r"^[0-9]$")


@dataclass(frozen=True)
class ShowAnswer:
    """Show the whole official answer to question ``number`` of ``doc_id``; ``ref``: the question a
    suggestion was offered for (its tap is recorded, and 👍 on the answer proposes a link)."""

    doc_id: str
    number: int
    ref: str | None = None


@dataclass(frozen=True)
class ConfirmAnswer:
    """ "Yes, that is what I meant": show it and record the confirmation of question ``ref``."""

    ref: str
    doc_id: str
    number: int


@dataclass(frozen=True)
class Feedback:
    ref: str
    value: int  # +1 | -1


@dataclass(frozen=True)
class UploadDecision:
    token: str
    accept: bool


@dataclass(frozen=True)
class ActionDecision:
    """Confirm or cancel a destructive command asked in chat (/rollback, /remove, /unlink): ``token``
    names the pending command, kept like an upload until confirmed or expired."""

    token: str
    accept: bool


REVIEW_OPS = {
    "a": "accept the guess",
    "o": "out of scope",
    "s": "skip",
    "q": "choose an official question",
    "i": "choose an item of a question",
    "l": "link to the question (and item) given",
}


@dataclass(frozen=True)
class Review:
    """An admin's step on review candidate ``pid`` (see :data:`REVIEW_OPS`)."""

    pid: int
    op: str
    doc_id: str | None = None
    number: int | None = None
    item: int | None = None


@dataclass(frozen=True)
class QuizVote:
    """An answer to a quiz tapped on a channel with buttons but no native polls (the web)."""

    delivery_id: int
    option: int  # 0 = A


Action = ShowAnswer | ConfirmAnswer | Feedback | UploadDecision | ActionDecision | Review | QuizVote


def doc_key(doc_id: str) -> str:
    """A document id short and safe enough for a button: itself, or ``~`` and a hash of it."""
    if _DOC.match(doc_id):
        return doc_id
    return "~" + hashlib.sha1(doc_id.encode("utf-8")).hexdigest()[:10]


def encode(action: Action) -> str:
    match action:
        case ShowAnswer(doc_id, number, None):
            out = f"a|{doc_key(doc_id)}|{number}"
        case ShowAnswer(doc_id, number, ref):
            out = f"a|{doc_key(doc_id)}|{number}|{ref}"
        case ConfirmAnswer(ref, doc_id, number):
            out = f"c|{ref}|{doc_key(doc_id)}|{number}"
        case Feedback(ref, value):
            out = f"f|{ref}|{'1' if value > 0 else '-1'}"
        case UploadDecision(token, accept):
            out = f"u|{token}|{'1' if accept else '0'}"
        case ActionDecision(token, accept):
            out = f"k|{token}|{'1' if accept else '0'}"
        case Review(pid, op, doc_id, number, item):
            doc = doc_key(doc_id) if doc_id else ""
            out = f"r|{pid}|{op}|{doc}|{number or ''}|{item or ''}"
        case QuizVote(delivery_id, option):
            out = f"q|{delivery_id}|{option}"
        case _:
            raise TypeError(f"not an action: {action!r}")
    if len(out.encode("utf-8")) > MAX_BYTES:
        raise ValueError(f"encoded action over {MAX_BYTES} bytes: {out!r}")
    return out


def _number(text: str) -> int | None:
    if not text.isdigit() or len(text) > 4:
        return None
    n = int(text)
    return n if 1 <= n <= MAX_NUMBER else None


def _doc(text: str) -> str | None:
    return text if _DOC.match(text) or _HASHED.match(text) else None


def decode(data: object) -> Action | None:
    """The action encoded in ``data``; None for anything garbled, tampered or out of bounds.

    A hashed document key (``~…``) comes back as is; :func:`resolve_doc` maps it to a document id.
    """
    if not isinstance(data, str) or not data or len(data.encode("utf-8")) > MAX_BYTES:
        return None
    parts = data.split("|")
    kind, args = parts[0], parts[1:]
    if kind == "a" and len(args) in (2, 3):
        doc, number = _doc(args[0]), _number(args[1])
        ref = args[2] if len(args) == 3 else None
        if ref is not None and not _REF.match(ref):
            return None
        return ShowAnswer(doc, number, ref) if doc and number else None
    if kind == "c" and len(args) == 3:
        doc, number = _doc(args[1]), _number(args[2])
        return ConfirmAnswer(args[0], doc, number) if _REF.match(args[0]) and doc and number else None
    if kind == "f" and len(args) == 2 and args[1] in ("1", "-1"):
        return Feedback(args[0], int(args[1])) if _REF.match(args[0]) else None
    if kind == "u" and len(args) == 2 and args[1] in ("0", "1"):
        return UploadDecision(args[0], args[1] == "1") if _REF.match(args[0]) else None
    if kind == "k" and len(args) == 2 and args[1] in ("0", "1"):
        return ActionDecision(args[0], args[1] == "1") if _REF.match(args[0]) else None
    if kind == "r" and len(args) == 5 and args[1] in REVIEW_OPS:
        pid = int(args[0]) if args[0].isdigit() and len(args[0]) <= 12 and int(args[0]) > 0 else None
        doc = _doc(args[2]) if args[2] else None
        number = _number(args[3]) if args[3] else None
        item = _number(args[4]) if args[4] else None
        if pid is None or (args[2] and doc is None) or (args[3] and number is None) or (args[4] and item is None):
            return None
        return Review(pid, args[1], doc, number, item)
    if kind == "q" and len(args) == 2 and _DELIVERY.match(args[0]) and _OPTION.match(args[1]):
        return QuizVote(int(args[0]), int(args[1]))
    return None


def resolve_doc(key: str, doc_ids) -> str | None:
    """The document id behind a key from :func:`doc_key`, among the known ``doc_ids``."""
    for doc_id in doc_ids:
        if doc_key(doc_id) == key:
            return doc_id
    return None
