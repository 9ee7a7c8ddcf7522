"""Dashboard sessions kept on the server: logging out revokes one in every process.

Revision ID: 0007_web_sessions
Revises: 0006_phrasings
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_web_sessions"
down_revision = "0006_phrasings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The cookie carries a random token; the row (keyed by its SHA-256) says whose session it is and
    # until when. Deleting the row ends the session, wherever the cookie is replayed from.
    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_web_sessions_user", "web_sessions", ["channel", "user_id"])


def downgrade() -> None:
    op.drop_index("ix_web_sessions_user", table_name="web_sessions")
    op.drop_table("web_sessions")
