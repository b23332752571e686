"""transcription engines: per-mailbox override; engine, language and error per voicemail

Revision ID: 0005
Revises: 0003 (twilio9 adds 0004 on the same parent: chain this after it when merging)
Create Date: 2026-11-23 20:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("mailboxes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("transcription", sa.String(length=20), nullable=True))
    with op.batch_alter_table("voicemails", schema=None) as batch_op:
        batch_op.add_column(sa.Column("transcription_engine", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("transcript_language", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("transcription_error", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("voicemails", schema=None) as batch_op:
        batch_op.drop_column("transcription_error")
        batch_op.drop_column("transcript_language")
        batch_op.drop_column("transcription_engine")
    with op.batch_alter_table("mailboxes", schema=None) as batch_op:
        batch_op.drop_column("transcription")
