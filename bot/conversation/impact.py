"""What a destructive action would change for members, said before it is done: rolling back to a
version, removing a document, unlinking a question. Channels show it and ask for a confirmation;
the action itself is the usual command (/rollback, /remove, /unlink), checked again when run.

"Answers" are what a document can answer with: its official questions (a Q&A leaflet) or its
sections (any other document).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from bot.conversation import texts
from bot.conversation.actor import Actor
from bot.conversation.learning import target_label
from bot.conversation.replies import Listing, Text, Turn
from bot.documents.model import DocumentMeta
from bot.learning.store import OUT_OF_SCOPE


@dataclass(frozen=True)
class Held:
    """A document as a version holds it: its short label and how many answers it gives."""

    doc_id: str
    label: str
    answers: int

    def line(self) -> str:
        return texts.IMPACT_DOC.format(document=self.label, answers=self.answers)


def _meta(meta: dict) -> DocumentMeta:
    known = {f.name for f in dataclasses.fields(DocumentMeta)}
    values = {k: v for k, v in meta.items() if k in known}
    if isinstance(values.get("date"), str):
        try:
            values["date"] = dt.date.fromisoformat(values["date"])
        except ValueError:
            values["date"] = None
    return DocumentMeta(**{"title": "", **values})


def held(manifest: dict) -> list[Held]:
    """The documents of an index version (its manifest), as members would be answered from them."""
    out = []
    for d in manifest.get("documents") or []:
        meta = _meta(d.get("meta") or {})
        counts = d.get("counts") or {}
        name = meta.label if (meta.number or meta.title) else d.get("file", d.get("doc_id", "?"))
        out.append(Held(d.get("doc_id", ""), name, int(counts.get("questions") or counts.get("sections") or 0)))
    return out


def _refused(core, actor: Actor) -> Turn | None:
    return None if core.roles.is_admin(actor) else Turn([Text(text=texts.NOT_ADMIN_DOCS)])


def rollback(core, actor: Actor, version: str) -> Turn:
    if (refused := _refused(core, actor)) is not None:
        return refused
    versions = core.assistant.library.index_versions()
    active = next((v for v in versions if v.active), None)
    target = next((v for v in versions if v.name == version), None)
    if target is None or active is None:
        return Turn([Text(text=texts.IMPACT_NO_VERSION.format(version=version))])
    if target.active:
        return Turn([Text(text=texts.IMPACT_ALREADY.format(version=version))])
    now, then = {h.doc_id: h for h in held(active.manifest)}, {h.doc_id: h for h in held(target.manifest)}
    lost = [now[d].line() for d in now if d not in then]
    gained = [then[d].line() for d in then if d not in now]
    changed = [
        texts.IMPACT_CHANGED.format(document=then[d].label, before=now[d].answers, after=then[d].answers)
        for d in then
        if d in now and then[d].answers != now[d].answers
    ]
    kept = [then[d].line() for d in then if d in now and then[d].answers == now[d].answers]
    sections = [
        (texts.IMPACT_LOSE, lost or [texts.IMPACT_NOTHING]),
        (texts.IMPACT_GAIN, gained or [texts.IMPACT_NOTHING]),
    ]
    if changed:
        sections.append((texts.IMPACT_CHANGE, changed))
    if kept:
        sections.append((texts.IMPACT_KEEP, kept))
    before, after = sum(h.answers for h in now.values()), sum(h.answers for h in then.values())
    return Turn(
        [
            Listing(
                title=texts.IMPACT_ROLLBACK.format(version=version, active=active.name),
                sections=sections,
                footer=texts.IMPACT_TOTAL.format(before=before, after=after),
            )
        ]
    )


def remove(core, actor: Actor, doc_id: str) -> Turn:
    if (refused := _refused(core, actor)) is not None:
        return refused
    active = next((v for v in core.assistant.library.index_versions() if v.active), None)
    docs = held(active.manifest) if active else []
    doc = next((h for h in docs if h.doc_id == doc_id), None)
    if doc is None:
        return Turn([Text(text=texts.IMPACT_NO_DOCUMENT.format(doc_id=doc_id))])
    before = sum(h.answers for h in docs)
    others = [h.line() for h in docs if h.doc_id != doc_id]
    return Turn(
        [
            Listing(
                title=texts.IMPACT_REMOVE.format(document=doc.label),
                sections=[(texts.IMPACT_LOSE, [doc.line()]), (texts.IMPACT_KEEP, others or [texts.IMPACT_NOTHING])],
                footer=texts.IMPACT_TOTAL.format(before=before, after=before - doc.answers)
                + " "
                + texts.IMPACT_REMOVE_KEPT,
            )
        ]
    )


def unlink(core, actor: Actor, phrasing_id: int) -> Turn:
    from bot.learning.store import DECIDED, get

    if (refused := _refused(core, actor)) is not None:
        return refused
    row = get(core.db, phrasing_id)
    if row is None or row.status not in DECIDED:
        return Turn([Text(text=texts.IMPACT_NO_LINK.format(id=phrasing_id))])
    what = (
        texts.IMPACT_UNLINK_OUT
        if row.kind == OUT_OF_SCOPE
        else texts.IMPACT_UNLINK_LINK.format(target=target_label(core, row))
    )
    return Turn(
        [
            Listing(
                title=texts.IMPACT_UNLINK.format(id=row.id, text=row.text),
                sections=[(texts.IMPACT_CHANGE, [what])],
                footer=texts.IMPACT_UNLINK_AFTER,
            )
        ]
    )
