"""The audit log: every admin and officer action, recorded once, here in the core, whichever channel
it came from (Telegram, Zalo, the dashboard, the terminal, the console's ``hoidap admin``).

An action records itself when it is done (a rebuild when the new index is in service; an upload when
its preview is kept). With the database out, the record is queued by the journal and written when it
is back, like a question log: an action that happened is never left out of the log.
"""

from __future__ import annotations

import logging

from bot.conversation.actor import Actor
from bot.storage import audit as store
from bot.storage.journal import trouble_kind

log = logging.getLogger(__name__)

# Every action the log knows, with its Vietnamese name (the dashboard's filter and the CLI show it).
ACTIONS = {
    "upload": "Tải lên văn bản (xem trước)",
    "confirm": "Xác nhận thêm văn bản",
    "cancel": "Hủy tải lên",
    "remove": "Xóa văn bản",
    "rebuild": "Xây dựng lại chỉ mục",
    "rollback": "Quay về phiên bản",
    "link": "Liên kết câu hỏi",
    "unlink": "Bỏ liên kết",
    "out_of_scope": "Đánh dấu ngoài phạm vi",
    "skip": "Bỏ qua câu hỏi",
    "quiz_import": "Nhập câu đố",
    "quiz_edit": "Sửa câu đố",
    "quiz_schedule": "Đặt lịch câu đố",
    "role_grant": "Cấp quyền",
    "role_revoke": "Thu hồi quyền",
    "login_link": "Tạo liên kết đăng nhập",
}


def record(core, actor: Actor, action: str, target: str = "", detail: str = "") -> None:
    """Write one record of ``action`` done by ``actor`` (``target``: what it was done to)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    row = store.entry(actor.channel, actor.user_id, actor.name, action, target, detail)
    try:
        store.add(core.db, row)
    except Exception as e:
        if trouble_kind(e) is None:
            raise
        log.warning("audit: database out of reach; %s by %s:%s queued", action, actor.channel, actor.user_id)
        core.journal.submit("audit record", lambda s: store.add_in(s, row))
