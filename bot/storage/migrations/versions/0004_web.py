"""Web: one-time login links for the dashboard; questions remember a confirmation was offered.

Revision ID: 0004_web
Revises: 0003
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_web"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A login link works once, in any process: its nonce is a row, used by a compare-and-set update.
    op.create_table(
        "web_logins",
        sa.Column("nonce", sa.String(32), primary_key=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
    )
    # "Có phải bạn muốn hỏi…" offered: the dashboard charts answered / confirm / refused per day.
    with op.batch_alter_table("questions") as t:
        t.add_column(sa.Column("confirm", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("questions") as t:
        t.drop_column("confirm")
    op.drop_table("web_logins")
