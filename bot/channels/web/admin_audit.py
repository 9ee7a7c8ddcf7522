"""The audit log on the dashboard (admins): who did what, when (Vietnam time), from which channel,
filtered by person, kind of action and date range, a page at a time."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response

from bot.channels.web import listing
from bot.conversation.actor import Actor
from bot.conversation.audit import ACTIONS
from bot.localtime import show
from bot.storage import audit


async def page(board, request: Request, actor: Actor, role: str) -> Response:
    days = listing.date_range(request)
    who = listing.text(request, "actor", 100)
    action = listing.text(request, "action", 32)
    filters = audit.Filters(
        actor=who or None, action=action if action in ACTIONS else None, since=days.since, until=days.until
    )
    db = board.conv.db
    total = (await asyncio.to_thread(audit.entries, db, filters, 0, 1))[1]
    pages = listing.pager(request, total)
    rows, _ = await asyncio.to_thread(audit.entries, db, filters, pages.offset, pages.size)
    people = await asyncio.to_thread(audit.actors, db)
    return board.render(
        request,
        "admin_audit.html",
        staff=actor,
        role=role,
        page="audit",
        rows=[
            {
                "at": show(r.at),
                "who": r.actor_name or r.actor_id,
                "channel": r.channel,
                "action": ACTIONS.get(r.action, r.action),
                "target": r.target,
                "detail": r.detail,
            }
            for r in rows
        ],
        pager=pages,
        actions=ACTIONS,
        people=[(f"{c}:{u}", name or u, c) for c, u, name in people],
        chosen={"actor": who, "action": action, "from": days.first, "to": days.last},
    )
