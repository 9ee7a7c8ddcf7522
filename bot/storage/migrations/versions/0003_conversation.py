"""Conversation core: question refs and delivery, confirmations, uploads, claimed quiz deliveries.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # Batch mode: SQLite cannot add a UNIQUE column or constraint with ALTER TABLE.
    with op.batch_alter_table("questions") as t:
        t.add_column(sa.Column("ref", sa.String(24)))
        t.add_column(sa.Column("delivered", sa.Boolean(), nullable=False, server_default=sa.true()))
        t.create_unique_constraint("uq_questions_ref", ["ref"])
    op.create_table(
        "confirmations",
        sa.Column("id", BIGINT_ID, primary_key=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("chat_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("question_ref", sa.String(24)),
        sa.Column("asked", sa.Text(), nullable=False),
        sa.Column("doc_id", sa.String(64), nullable=False),
        sa.Column("question_number", sa.Integer(), nullable=False),
        sa.Column("official_question", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_index("ix_confirmations_question_ref", "confirmations", ["question_ref"])
    op.create_table(
        "uploads",
        sa.Column("token", sa.String(32), primary_key=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("quiz_subscriptions") as t:
        t.add_column(sa.Column("schedule_changed_at", sa.DateTime(timezone=True)))
        t.add_column(sa.Column("stopped_reason", sa.String(64)))
    with op.batch_alter_table("quiz_deliveries") as t:
        t.add_column(sa.Column("slot", sa.String(5)))
        t.add_column(sa.Column("status", sa.String(16), nullable=False, server_default="sent"))
        t.add_column(sa.Column("kind", sa.String(8), nullable=False, server_default="poll"))
        t.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True)))
        t.alter_column("sent_at", existing_type=sa.DateTime(timezone=True), nullable=True)
        t.create_unique_constraint("uq_quiz_delivery_slot", ["subscription_id", "local_date", "slot"])
    # Text quizzes (Zalo) had no poll id: mark them so letters keep scoring them.
    op.execute("UPDATE quiz_deliveries SET kind = 'text' WHERE poll_id IS NULL")


def downgrade() -> None:
    with op.batch_alter_table("quiz_deliveries") as t:
        t.drop_constraint("uq_quiz_delivery_slot", type_="unique")
        t.drop_column("claimed_at")
        t.drop_column("kind")
        t.drop_column("status")
        t.drop_column("slot")
    with op.batch_alter_table("quiz_subscriptions") as t:
        t.drop_column("stopped_reason")
        t.drop_column("schedule_changed_at")
    op.drop_table("uploads")
    op.drop_index("ix_confirmations_question_ref", table_name="confirmations")
    op.drop_table("confirmations")
    with op.batch_alter_table("questions") as t:
        t.drop_constraint("uq_questions_ref", type_="unique")
        t.drop_column("delivered")
        t.drop_column("ref")
