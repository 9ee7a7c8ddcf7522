"""The durable intake of webhook updates; documents and index versions kept in the database.

Revision ID: 0008_intake_storage
Revises: 0007_web_sessions
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_intake_storage"
down_revision = "0007_web_sessions"
branch_labels = None
depends_on = None

BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "intake",
        sa.Column("id", BIGINT_ID, primary_key=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("member", sa.String(96)),
        sa.Column("body", sa.Text()),
        sa.Column("status", sa.String(8), nullable=False, server_default="new"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("owner", sa.String(64)),
        sa.Column("lease_until", sa.DateTime(timezone=True)),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("channel", "key", name="uq_intake_key"),
    )
    op.create_index("ix_intake_new", "intake", ["status", "id"])
    op.create_index("ix_intake_member", "intake", ["member", "status", "id"])
    op.create_table(
        "blobs",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "blob_chunks",
        sa.Column("sha256", sa.String(64), sa.ForeignKey("blobs.sha256", ondelete="CASCADE"), primary_key=True),
        sa.Column("seq", sa.Integer(), primary_key=True),
        sa.Column("data", sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        "index_versions",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("archive", sa.String(64), sa.ForeignKey("blobs.sha256"), nullable=False),
        sa.Column("manifest", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "knowledge_files",
        sa.Column("path", sa.String(255), primary_key=True),
        sa.Column("sha256", sa.String(64), sa.ForeignKey("blobs.sha256"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("knowledge_files")
    op.drop_table("index_versions")
    op.drop_table("blob_chunks")
    op.drop_table("blobs")
    op.drop_index("ix_intake_member", "intake")
    op.drop_index("ix_intake_new", "intake")
    op.drop_table("intake")
