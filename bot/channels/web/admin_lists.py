"""The officers' working lists: "Chưa trả lời" (unanswered questions) and "Duyệt câu hỏi" (the review
queue), with search, a date range, filters, a count and pages; review items are compact rows whose
actions are the core's taps (link, choose another, out of scope, skip) and the unlink confirmation."""

from __future__ import annotations

import asyncio
import datetime as dt

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.channels.web import exports, listing
from bot.channels.web.render import views
from bot.conversation.actions import encode
from bot.conversation.actor import Actor
from bot.conversation.learning import target_label
from bot.localtime import show
from bot.personal import mask
from bot.storage.repository import question_key
from bot.text.normalize import fold

DAYS = 30  # the default range of "Chưa trả lời" when no date is chosen
CHANNELS = ("telegram", "zalo", "web", "terminal")
LINKS_SHOWN = 50


def _matches(query: str, *texts: str) -> bool:
    """A search as officers type it: any case, with or without diacritics, every word somewhere."""
    words = fold(query).split()
    haystack = " ".join(fold(t) for t in texts if t)
    return all(w in haystack for w in words)


async def unanswered(board, request: Request, actor: Actor, role: str) -> Response:
    days = listing.date_range(request)
    query = listing.text(request, "q")
    channel = listing.text(request, "channel", 16)
    channel = channel if channel in CHANNELS else ""
    recent = None if days.first else _days(request)
    groups = await asyncio.to_thread(
        board.assistant.records.unanswered_groups,
        recent,
        400,
        since=days.since,
        until=days.until,
        channel=channel or None,
    )
    if query:
        groups = [g for g in groups if _matches(query, g.question, *(q for q, _ in g.variants))]
    doc = listing.text(request, "doc", 64)
    if doc:  # the document the assistant's guess points to (the review queue's, same questions)
        guessed = {question_key(r.text): r.doc_id for r in await asyncio.to_thread(board.conv.review_rows, actor)}
        groups = [g for g in groups if any(guessed.get(question_key(q)) == doc for q, _ in g.variants)]
    documents = await asyncio.to_thread(board.assistant.library.documents)
    fmt = request.path_params.get("fmt")
    if fmt in ("csv", "xlsx"):
        stamp = dt.date.today().isoformat()
        data, media = (
            (exports.unanswered_csv(groups), "text/csv; charset=utf-8")
            if fmt == "csv"
            else (
                exports.unanswered_xlsx(groups),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        )
        disposition = f'attachment; filename="cau-hoi-chua-tra-loi-{stamp}.{fmt}"'
        return Response(data, media_type=media, headers={"Content-Disposition": disposition})
    pages = listing.pager(request, len(groups))
    rows = [
        {
            "count": g.count,
            "question": g.question,
            "variants": [(q, n) for q, n in g.variants if q != g.question],
            "last": show(g.last_asked),
            "channel": g.channels,
        }
        for g in pages.rows(groups)
    ]
    return board.render(
        request,
        "admin_unanswered.html",
        staff=actor,
        role=role,
        page="unanswered",
        rows=rows,
        pager=pages,
        days=recent,
        chosen={"q": query, "from": days.first, "to": days.last, "channel": channel, "doc": doc},
        channels=CHANNELS,
        documents=documents,
        export_query=request.url.query,
    )


def _days(request: Request) -> int:
    try:
        return max(1, min(3650, int(request.query_params.get("days", DAYS))))
    except ValueError:
        return DAYS


async def review(board, request: Request, actor: Actor, role: str, steps=None) -> Response:
    """The review queue as compact rows (search, dates, the guessed document, pages), and the links
    in service, each with its unlink confirmation."""
    days = listing.date_range(request)
    query = listing.text(request, "q")
    doc = listing.text(request, "doc", 64)
    channel = listing.text(request, "channel", 16)
    channel = channel if channel in CHANNELS else ""
    rows = await asyncio.to_thread(board.conv.review_rows, actor)
    documents = await asyncio.to_thread(board.assistant.library.documents)
    if query:
        rows = [r for r in rows if _matches(query, r.text, r.guess or "")]
    if days.first or days.last:
        rows = [r for r in rows if r.updated is not None and days.holds(r.updated)]
    if doc:
        rows = [r for r in rows if r.doc_id == doc]
    if channel:
        rows = [r for r in rows if channel in r.channels]
    pages = listing.pager(request, len(rows))
    links = await asyncio.to_thread(board.assistant.records.phrasings)
    named = {p.id: target_label(board.conv, p, documents) for p in links}
    links = [p for p in links if not query or _matches(query, p.text, named[p.id])][-LINKS_SHOWN:]
    return board.render(
        request,
        "admin_review.html",
        staff=actor,
        role=role,
        page="review",
        rows=[
            {
                "pid": r.pid,
                "text": r.text,
                "why": r.why,
                "last": show(r.updated),
                "channels": sorted(r.channels),
                "guess": r.guess,
                "sure": r.sure,
                "accept": (r.accept.label, encode(r.accept.action)) if r.accept else None,
                "actions": [(c.label, encode(c.action)) for c in r.actions],
            }
            for r in pages.rows(rows)
        ],
        pager=pages,
        steps=steps or [],
        links=[
            {
                "id": p.id,
                "text": mask(p.text),
                "target": named[p.id],
            }
            for p in reversed(links)
        ],
        documents=documents,
        chosen={"q": query, "from": days.first, "to": days.last, "doc": doc, "channel": channel},
        channels=CHANNELS,
        back=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    )


async def review_step(board, request: Request, actor: Actor, role: str, form) -> Response:
    """A row's action: the core's tap. A next step (choose the question, the item) is shown above the
    list; a decision goes back to the list as it was filtered."""
    turn = await asyncio.to_thread(board.conv.tap, actor, str(form.get("a") or ""))
    shown = views(turn.replies)
    turn.done(True)
    back = str(form.get("back") or "/admin/review")
    back = back if back.startswith("/admin/review") else "/admin/review"
    if any(v.buttons for v in shown):
        return await review(board, request, actor, role, steps=[v for v in shown if v.kind != "note"])
    board.flash(request, turn.replies)
    return RedirectResponse(back, status_code=303)
