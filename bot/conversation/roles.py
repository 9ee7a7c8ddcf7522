"""Who may do what, checked in the core for every privileged action.

Admins come from configuration (per channel); officers are granted by admins and stored in the
database. On the terminal, the person at the keyboard runs the installation and is admin; from the
server's console (``hoidap admin link``) they may also make dashboard-only admins and officers
(channel "web"), stored in the database like officers.
"""

from __future__ import annotations

from bot.conversation.actor import Actor
from bot.settings import Settings
from bot.storage import repository
from bot.storage.db import Database

OFFICER = "officer"
ADMIN = "admin"


class Roles:
    def __init__(self, settings: Settings, db: Database) -> None:
        self._db = db
        self._admins = {
            "telegram": {str(i) for i in settings.admin_ids},
            "zalo": {str(i) for i in settings.zalo_admin_ids},
            "terminal": {"local"},
        }

    def is_admin(self, actor: Actor) -> bool:
        if self.admin_id(actor.channel, actor.user_id):
            return True
        # Only the console grants "admin" in the database, and only to dashboard logins.
        return actor.channel == "web" and repository.has_role(self._db, actor.channel, actor.user_id, ADMIN)

    def admin_id(self, channel: str, user_id: str) -> bool:
        return str(user_id) in self._admins.get(channel, set())

    def is_officer(self, actor: Actor) -> bool:
        return self.is_admin(actor) or repository.has_role(self._db, actor.channel, actor.user_id, OFFICER)

    def grant(self, actor: Actor, user_id: str) -> bool:
        return repository.grant_role(self._db, actor.channel, str(user_id), OFFICER, actor.user_id)

    def revoke(self, actor: Actor, user_id: str) -> bool:
        return repository.revoke_role(self._db, actor.channel, str(user_id), OFFICER)
