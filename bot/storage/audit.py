"""The audit log's rows: written once per action, read back filtered and a page at a time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.storage.clean import clean_text
from bot.storage.db import Database
from bot.storage.models import AuditEntry, utcnow


def entry(channel: str, actor_id: str, actor_name: str, action: str, target: str = "", detail: str = "") -> AuditEntry:
    return AuditEntry(
        at=utcnow(),
        channel=channel[:16],
        actor_id=str(actor_id)[:64],
        actor_name=clean_text(actor_name or "", 255),
        action=action[:32],
        target=clean_text(target or "", 255),
        detail=clean_text(detail or "", 4000),
    )


def add(db: Database, row: AuditEntry) -> None:
    with db.session() as s:
        s.add(row)


def add_in(session: Session, row: AuditEntry) -> None:
    """The same, in a session of the journal (the database was out when the action was done)."""
    session.add(row)


@dataclass(frozen=True)
class Filters:
    """What the dashboard's and the CLI's lists narrow the log to (all optional)."""

    actor: str | None = None  # "channel:user_id"
    action: str | None = None
    since: dt.datetime | None = None  # inclusive
    until: dt.datetime | None = None  # exclusive


def _where(query, f: Filters):
    if f.actor and ":" in f.actor:
        channel, _, user = f.actor.partition(":")
        query = query.where(AuditEntry.channel == channel, AuditEntry.actor_id == user)
    if f.action:
        query = query.where(AuditEntry.action == f.action)
    if f.since is not None:
        query = query.where(AuditEntry.at >= f.since)
    if f.until is not None:
        query = query.where(AuditEntry.at < f.until)
    return query


def entries(db: Database, filters: Filters, offset: int = 0, limit: int = 50) -> tuple[list[AuditEntry], int]:
    """The newest first, one page of them, and how many match in all."""
    with db.session() as s:
        total = s.scalar(_where(select(func.count(AuditEntry.id)), filters)) or 0
        rows = s.scalars(
            _where(select(AuditEntry), filters)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .offset(offset)
            .limit(limit)
        ).all()
        s.expunge_all()
        return list(rows), total


def actors(db: Database) -> list[tuple[str, str, str]]:
    """Everyone who appears in the log: (channel, user id, the latest name), for the filter."""
    with db.session() as s:
        rows = s.execute(
            select(AuditEntry.channel, AuditEntry.actor_id, func.max(AuditEntry.actor_name)).group_by(
                AuditEntry.channel, AuditEntry.actor_id
            )
        ).all()
        return sorted((tuple(r) for r in rows), key=lambda r: (r[2] or r[1]).lower())
