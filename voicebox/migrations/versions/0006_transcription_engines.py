"""transcription engines: per-mailbox override; engine, language and error per voicemail; real-time utterances

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 20:50:00

"""

import sqlalchemy as sa
from alembic import op


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "utterances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_key", sa.String(length=100), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("transcription_sid", sa.String(length=64), nullable=False),
        sa.Column("sequence_id", sa.Integer(), nullable=False),
        sa.Column("track", sa.String(length=32), nullable=True),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_utterances")),
        sa.UniqueConstraint("event_key", name=op.f("uq_utterances_event_key")),
    )
    with op.batch_alter_table("utterances", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_utterances_call_sid"), ["call_sid"], unique=False)
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("live_transcription_stopped_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("live_transcription_error", sa.Text(), nullable=True))
    with op.batch_alter_table("mailboxes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("transcription", sa.String(length=20), nullable=True))
    with op.batch_alter_table("voicemails", schema=None) as batch_op:
        batch_op.add_column(sa.Column("transcription_engine", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("transcript_language", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("transcription_error", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_column("live_transcription_error")
        batch_op.drop_column("live_transcription_stopped_at")
    with op.batch_alter_table("utterances", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_utterances_call_sid"))
    op.drop_table("utterances")
    with op.batch_alter_table("voicemails", schema=None) as batch_op:
        batch_op.drop_column("transcription_error")
        batch_op.drop_column("transcript_language")
        batch_op.drop_column("transcription_engine")
    with op.batch_alter_table("mailboxes", schema=None) as batch_op:
        batch_op.drop_column("transcription")
