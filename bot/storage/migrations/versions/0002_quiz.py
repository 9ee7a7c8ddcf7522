"""Daily quiz: question bank, subscriptions, deliveries, answers.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "quiz_questions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("correct", sa.Integer(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("source", sa.JSON(), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_table(
        "quiz_subscriptions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("chat_id", sa.String(64), nullable=False),
        sa.Column("chat_type", sa.String(16), nullable=False),
        sa.Column("title", sa.String(255)),
        sa.Column("time", sa.String(5), nullable=False),
        sa.Column("days", sa.String(7), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(64)),
        sa.Column("next_question_id", sa.String(32)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint("channel", "chat_id", name="uq_quiz_subscription_chat"),
    )
    op.create_table(
        "quiz_deliveries",
        sa.Column("id", BIGINT_ID, primary_key=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("chat_id", sa.String(64), nullable=False),
        sa.Column("question_id", sa.String(32), sa.ForeignKey("quiz_questions.id"), nullable=False),
        sa.Column("subscription_id", sa.Integer(), sa.ForeignKey("quiz_subscriptions.id", ondelete="SET NULL")),
        sa.Column("poll_id", sa.String(64)),
        sa.Column("message_id", sa.String(64)),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("correct", sa.Integer(), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("total_votes", sa.Integer(), nullable=False),
        sa.Column("correct_votes", sa.Integer(), nullable=False),
        sa.UniqueConstraint("channel", "poll_id", name="uq_quiz_delivery_poll"),
    )
    op.create_index("ix_quiz_deliveries_chat_date", "quiz_deliveries", ["channel", "chat_id", "local_date"])
    op.create_table(
        "quiz_answers",
        sa.Column("id", BIGINT_ID, primary_key=True),
        sa.Column("delivery_id", BIGINT_ID, sa.ForeignKey("quiz_deliveries.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("user_name", sa.String(255), nullable=False),
        sa.Column("option", sa.Integer(), nullable=False),
        sa.Column("correct", sa.Boolean(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("delivery_id", "user_id", name="uq_quiz_answer_once"),
    )


def downgrade() -> None:
    op.drop_table("quiz_answers")
    op.drop_index("ix_quiz_deliveries_chat_date", table_name="quiz_deliveries")
    op.drop_table("quiz_deliveries")
    op.drop_table("quiz_subscriptions")
    op.drop_table("quiz_questions")
