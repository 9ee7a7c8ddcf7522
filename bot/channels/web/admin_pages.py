"""Dashboard pages for destructive actions: the confirmation page that says what members will lose
or gain (the core's :meth:`~bot.conversation.core.Conversation.impact`), and the versions list
(documents, who built each version, when in Vietnam time, how many answers)."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response

from bot.channels.web.render import views
from bot.conversation.actor import Actor
from bot.conversation.impact import held
from bot.localtime import show
from bot.storage import audit

CONFIRMED = {  # what each confirmation page does, and where "Hủy" goes back to
    "rollback": ("Quay về phiên bản này", "/admin/versions"),
    "remove": ("Xóa văn bản", "/admin/documents"),
    "unlink": ("Bỏ liên kết", "/admin/review"),
}
BUILDS = ("rebuild", "confirm", "remove")  # audit actions that build a version


async def confirm(board, request: Request, actor: Actor, role: str) -> Response:
    name = request.path_params["name"]
    if name not in CONFIRMED:
        return Response("Not Found", status_code=404)
    arg = (request.query_params.get("arg") or "").strip()[:100]
    turn = await asyncio.to_thread(board.conv.impact, actor, name, arg)
    shown = views(turn.replies)
    turn.done(True)
    listing = next((v for v in shown if v.kind == "listing"), None)
    button, back = CONFIRMED[name]
    return board.render(
        request,
        "admin_confirm.html",
        staff=actor,
        role=role,
        page={"rollback": "versions", "remove": "documents", "unlink": "review"}[name],
        listing=listing,
        notes=[v for v in shown if v.kind != "listing"],
        action=f"/admin/run/{name}",
        arg=arg,
        button=button,
        back=back,
    )


def _builders(db, names: list[str]) -> dict[str, str]:
    """Who built each version: the audit record of the rebuild, upload or removal that made it."""
    rows, _ = audit.entries(db, audit.Filters(), limit=2000)
    out: dict[str, str] = {}
    for r in reversed(rows):  # oldest first: a later record of the same version does not win
        if r.action not in BUILDS:
            continue
        for name in names:
            if name not in out and (r.target == name or name in r.detail):
                out[name] = r.actor_name or r.actor_id
    return out


async def versions(board, request: Request, actor: Actor, role: str) -> Response:
    found = await asyncio.to_thread(board.assistant.library.index_versions)
    names = [v.name for v in found]
    builders = await asyncio.to_thread(_builders, board.conv.db, names)
    rows = []
    for v in reversed(found):
        docs = held(v.manifest)
        rows.append(
            {
                "name": v.name,
                "active": v.active,
                "built": show(v.built_at),
                "by": builders.get(v.name),
                "documents": docs,
                "answers": sum(d.answers for d in docs),
            }
        )
    return board.render(request, "admin_versions.html", staff=actor, role=role, page="versions", versions=rows)
