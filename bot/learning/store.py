"""Phrasings in the database: links to official answers, out-of-scope marks, and the review queue.

An admin links a member's wording ("Câu hỏi 4, mục (6)") or marks it out of scope; the bot
proposes candidates (unanswered questions, confirmed "Có phải bạn muốn hỏi…?" taps, 👍 on a
suggested answer, 👎 on an answer) but never applies one without an admin. A link names its target
by document, official question number and item, and keeps the official question and a hash of
the quoted text as they were: :func:`reconcile` compares them with each new index version, so a
link whose question changed waits for review and a link whose document is gone is retired.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import func, select

from bot.errors import UserInputError
from bot.index.version import Group, IndexVersion
from bot.storage.clean import clean_text
from bot.storage.db import Database
from bot.storage.models import Phrasing, utcnow
from bot.storage.repository import question_key

LINK, OUT_OF_SCOPE = "link", "out_of_scope"
PROPOSED, ACTIVE, REVIEW, RETIRED, REJECTED, REMOVED = "proposed", "active", "review", "retired", "rejected", "removed"
# Statuses an admin has decided and that follow the document versions.
DECIDED = (ACTIVE, REVIEW, RETIRED)
MAX_TEXT = 1000


@dataclass(frozen=True)
class Target:
    """Where a link points: an official question of a document, optionally one of its items."""

    doc_id: str
    question_number: int
    item: int | None = None


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def resolve(version: IndexVersion, target: Target) -> tuple[Group, int | None] | None:
    """The group (and the item's unit position) ``target`` names in ``version``; None if gone."""
    group = next(
        (g for g in version.groups if g.doc_id == target.doc_id and g.question_number == target.question_number),
        None,
    )
    if group is None:
        return None
    if target.item is None:
        return group, None
    position = next(
        (p for p in group.positions if version.units[p].kind == "item" and version.units[p].item == target.item),
        None,
    )
    return (group, position) if position is not None else None


def quoted_text(version: IndexVersion, group: Group, position: int | None) -> str:
    return version.units[position].text if position is not None else group.answer


def find_document(version: IndexVersion, reference: str | None) -> str:
    """The loaded document an admin means: its id or number ("46-CT/TU", "46"); the only one if None."""
    from bot.documents.metadata import DocNumber, number_key

    docs = version.documents
    if reference is None:
        if len(docs) == 1:
            return next(iter(docs))
        raise UserInputError("Có nhiều văn bản: hãy chỉ rõ văn bản (số hiệu, ví dụ 46-CT/TU).")
    wanted = reference.strip().lower()
    for doc_id, meta in docs.items():
        if wanted == doc_id or (meta.number and number_key(meta.number) in (number_key(reference), wanted)):
            return doc_id
    matches = [
        d for d, m in docs.items() if m.number and wanted.isdigit() and DocNumber.parse(m.number).serial == int(wanted)
    ]
    if len(matches) == 1:
        return matches[0]
    raise UserInputError(f"Không có văn bản “{reference}” trong chỉ mục đang dùng (xem: hoidap docs list).")


def _target_of(row: Phrasing) -> Target | None:
    if row.doc_id is None or row.question_number is None:
        return None
    return Target(row.doc_id, row.question_number, row.item)


def _clean(text: str) -> str:
    text = clean_text(" ".join((text or "").split()))[:MAX_TEXT]
    if not text:
        raise UserInputError("Câu hỏi trống: hãy ghi nguyên văn câu hỏi của thành viên.")
    return text


def _snapshot(row: Phrasing, version: IndexVersion, target: Target) -> None:
    found = resolve(version, target)
    if found is None:
        label = f"Câu hỏi {target.question_number}" + (f", mục ({target.item})" if target.item else "")
        raise UserInputError(f"Không có {label} trong văn bản {target.doc_id}.")
    group, position = found
    meta = version.documents.get(target.doc_id)
    row.doc_id, row.question_number, row.item = target.doc_id, target.question_number, target.item
    row.doc_number = meta.number if meta else None
    row.official_question = group.question
    row.answer_sha = sha(quoted_text(version, group, position))


def add_link(
    db: Database,
    version: IndexVersion,
    text: str,
    target: Target,
    by: str,
    origin: str = "admin",
    question_id: int | None = None,
) -> Phrasing:
    """Link ``text`` to ``target`` (active at once). The same wording linked before is re-linked; an
    out-of-scope mark on it is undone."""
    return _decide(db, text, LINK, by, origin, question_id, lambda row: _snapshot(row, version, target))


def mark_out_of_scope(
    db: Database, text: str, by: str, origin: str = "admin", question_id: int | None = None
) -> Phrasing:
    """Mark ``text`` as not answered by the documents: it and close wordings will be refused."""
    return _decide(db, text, OUT_OF_SCOPE, by, origin, question_id)


def _decide(db, text, kind, by, origin, question_id, fill=None) -> Phrasing:
    """A decided phrasing of ``kind`` for ``text``, active at once; what was decided or proposed for
    the same wording before is set aside. ``fill(row)`` adds what the kind carries (a link's target)."""
    text = _clean(text)
    key = question_key(text)
    now = utcnow()
    with db.session() as s:
        for old in s.scalars(select(Phrasing).where(Phrasing.key == key, Phrasing.status.in_(DECIDED + (PROPOSED,)))):
            old.status, old.updated_at, old.decided_by, old.decided_at = REMOVED, now, by, now
        row = Phrasing(
            text=text, key=key, kind=kind, status=ACTIVE, origin=origin, created_by=by, decided_by=by,
            created_at=now, updated_at=now, decided_at=now, question_id=question_id,
        )  # fmt: skip
        if fill is not None:
            fill(row)
        s.add(row)
        s.flush()
        s.expunge(row)
    return row


def remove(db: Database, phrasing_id: int, by: str) -> Phrasing:
    """Undo a link or a mark (it is kept, as removed, for the record)."""
    now = utcnow()
    with db.session() as s:
        row = s.get(Phrasing, phrasing_id)
        if row is None or row.status not in DECIDED:
            raise UserInputError(f"Không có liên kết nào mã {phrasing_id} (xem: hoidap phrasings list).")
        row.status, row.updated_at, row.decided_by, row.decided_at = REMOVED, now, by, now
        s.flush()
        s.expunge(row)
    return row


def listed(db: Database, statuses: tuple[str, ...] = DECIDED) -> list[Phrasing]:
    with db.session() as s:
        rows = list(s.scalars(select(Phrasing).where(Phrasing.status.in_(statuses)).order_by(Phrasing.id)))
        for r in rows:
            s.expunge(r)
    return rows


def get(db: Database, phrasing_id: int) -> Phrasing | None:
    with db.session() as s:
        row = s.get(Phrasing, phrasing_id)
        if row is not None:
            s.expunge(row)
        return row


# --- proposals ------------------------------------------------------------------------------------
def propose(
    s,
    text: str,
    target: Target | None,
    origin: str,
    question_id: int | None = None,
    note: str | None = None,
    kind: str = LINK,
    signals: int | None = None,
) -> Phrasing | None:
    """Put a candidate in the review queue (inside the caller's session). The same wording already
    waiting gains a signal; one an admin has decided is left alone, except that a 👎 on an
    answer asks for a look again."""
    text = clean_text(" ".join((text or "").split()))[:MAX_TEXT]
    if not text:
        return None
    key = question_key(text)
    now = utcnow()
    existing = s.scalars(
        select(Phrasing).where(Phrasing.key == key, Phrasing.status.in_((PROPOSED, REJECTED) + DECIDED))
    ).all()
    waiting = next((r for r in existing if r.status == PROPOSED), None)
    if waiting is not None:
        # A count (how often it was asked) replaces; a tap or a vote adds one.
        waiting.signals = max(waiting.signals, signals) if signals is not None else waiting.signals + 1
        waiting.updated_at = now
        if target is not None and origin in ("confirmation", "suggestion"):  # what members chose wins
            waiting.doc_id, waiting.question_number, waiting.item = target.doc_id, target.question_number, target.item
            waiting.origin = origin
        if note:
            waiting.note = note
        return waiting
    if existing and origin != "thumbs_down":
        return None  # decided (linked, marked, skipped): not proposed again
    row = Phrasing(
        text=text, key=key, kind=kind, status=PROPOSED, origin=origin, question_id=question_id, note=note,
        signals=signals or 1, created_at=now, updated_at=now,
        doc_id=target.doc_id if target else None, question_number=target.question_number if target else None,
        item=target.item if target else None,
    )  # fmt: skip
    s.add(row)
    return row


def proposals(db: Database, limit: int = 20) -> list[Phrasing]:
    """The review queue: most asked first, then the latest."""
    with db.session() as s:
        rows = list(
            s.scalars(
                select(Phrasing)
                .where(Phrasing.status == PROPOSED)
                .order_by(Phrasing.signals.desc(), Phrasing.updated_at.desc())
                .limit(limit)
            )
        )
        for r in rows:
            s.expunge(r)
    return rows


def decide(
    db: Database, version: IndexVersion, phrasing_id: int, by: str, target: Target | None = None, out_of_scope=False
) -> Phrasing:
    """An admin's decision on a proposal: link it (to its guess or ``target``), mark it out of scope."""
    with db.session() as s:
        row = s.get(Phrasing, phrasing_id)
        if row is None or row.status != PROPOSED:
            raise UserInputError("Đề xuất này đã được xử lý hoặc không còn.")
        text, origin, question_id = row.text, row.origin, row.question_id
        guess = _target_of(row)
    if out_of_scope:
        return mark_out_of_scope(db, text, by, origin, question_id)
    target = target or guess
    if target is None:
        raise UserInputError("Hãy chọn câu hỏi chính thức để liên kết.")
    return add_link(db, version, text, target, by, origin, question_id)


def skip(db: Database, phrasing_id: int, by: str) -> None:
    now = utcnow()
    with db.session() as s:
        row = s.get(Phrasing, phrasing_id)
        if row is not None and row.status == PROPOSED:
            row.status, row.updated_at, row.decided_by, row.decided_at = REJECTED, now, by, now


# --- following document versions -----------------------------------------------------------------
def reconcile(db: Database, version: IndexVersion) -> dict[str, int]:
    """Bring every decided link in line with ``version``: its target gone → retired; its official
    question changed → review (not used until an admin links it again); otherwise active (a link
    retired by one version comes back when a rollback restores its document)."""
    counts = {ACTIVE: 0, REVIEW: 0, RETIRED: 0}
    now = utcnow()
    with db.session() as s:
        rows = s.scalars(select(Phrasing).where(Phrasing.kind == LINK, Phrasing.status.in_(DECIDED))).all()
        for row in rows:
            target = _target_of(row)
            found = resolve(version, target) if target else None
            if found is None:
                status = RETIRED
            elif found[0].question != row.official_question:
                status = REVIEW
            else:
                status = ACTIVE
                if sha(quoted_text(version, *found)) != row.answer_sha and row.note != "answer-changed":
                    row.note = "answer-changed"  # still the same question: used, but shown for a look
            if status != row.status:
                row.status, row.updated_at = status, now
            counts[status] += 1
    return counts


def revision(db: Database) -> tuple:
    """Changes whenever a decided phrasing changes (cheap: polled while answering)."""
    with db.session() as s:
        count, latest = s.execute(
            select(func.count(), func.max(Phrasing.updated_at)).where(Phrasing.status.in_(DECIDED))
        ).one()
    return count, latest.isoformat() if isinstance(latest, dt.datetime) else latest


def label(row: Phrasing) -> str:
    if row.kind == OUT_OF_SCOPE:
        return "không thuộc văn bản"
    if row.question_number is None:
        return "chưa chọn câu trả lời"
    item = f", mục ({row.item})" if row.item else ""
    return f"Câu hỏi {row.question_number}{item} — {row.doc_number or row.doc_id}"
