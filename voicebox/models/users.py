"""People who sign in to the web inbox, and the mailboxes each one reads."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .mailboxes import Mailbox
from .types import UTCDateTime, utcnow

# Who belongs to which mailbox; deleting either side removes the membership.
mailbox_members = Table(
    "mailbox_members",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("mailbox_id", ForeignKey("mailboxes.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class User(UserMixin, db.Model):
    """A person with a password (stored only as a werkzeug hash). Admins see every mailbox."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    mailboxes: Mapped[list[Mailbox]] = relationship(secondary=mailbox_members, order_by="Mailbox.name")
