"""Learning from use: members' phrasings linked to official answers (or marked out of scope), the
review queue, where a confirmation came from, and small application state (the pseudonym key).

Revision ID: 0006_phrasings
Revises: 0004_web
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_phrasings"
down_revision = "0004_web"
branch_labels = None
depends_on = None

BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "phrasings",
        sa.Column("id", BIGINT_ID, primary_key=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("doc_id", sa.String(64)),
        sa.Column("doc_number", sa.String(64)),
        sa.Column("question_number", sa.Integer()),
        sa.Column("item", sa.Integer()),
        sa.Column("official_question", sa.Text()),
        sa.Column("answer_sha", sa.String(16)),
        sa.Column("signals", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("question_id", BIGINT_ID, sa.ForeignKey("questions.id", ondelete="SET NULL")),
        sa.Column("note", sa.Text()),
        sa.Column("created_by", sa.String(80)),
        sa.Column("decided_by", sa.String(80)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_phrasings_status", "phrasings", ["status", "updated_at"])
    op.create_index("ix_phrasings_key", "phrasings", ["key"])
    with op.batch_alter_table("confirmations") as t:
        t.add_column(sa.Column("origin", sa.String(16), nullable=False, server_default="confirm"))
    op.create_table(
        "app_state",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("app_state")
    with op.batch_alter_table("confirmations") as t:
        t.drop_column("origin")
    op.drop_index("ix_phrasings_key", table_name="phrasings")
    op.drop_index("ix_phrasings_status", table_name="phrasings")
    op.drop_table("phrasings")
