"""Web inbox users: create them, check their password, and decide which mailboxes each may read."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import Mailbox, User, utcnow
from . import Conflict

MIN_PASSWORD_LENGTH = 10
# Compared against when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash(secrets.token_urlsafe(16))


class WeakPassword(ValueError):
    """The password is too short to protect voicemail."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def new_password() -> str:
    """A random password for a user who did not choose one (about 96 bits)."""
    return secrets.token_urlsafe(12)


def create_user(
    email: str, password: str | None = None, *, admin: bool = False, mailbox_ids: Iterable[int] = ()
) -> tuple[User, str | None]:
    """Create a user belonging to `mailbox_ids`. Returns the user and the generated password, if one was.

    Raises Conflict for a taken email or an unknown mailbox, WeakPassword for a short password.
    """
    email = normalise_email(email)
    generated = None
    if password is None:
        password = generated = new_password()
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if find_by_email(email) is not None:
        raise Conflict(f"a user {email!r} already exists", "email")
    user = User(email=email, password_hash=generate_password_hash(password), is_admin=admin)
    user.mailboxes = _mailboxes(mailbox_ids)
    db.session.add(user)
    db.session.commit()
    return user, generated


def _mailboxes(ids: Iterable[int]) -> list[Mailbox]:
    wanted = set(ids)
    found = list(db.session.scalars(select(Mailbox).where(Mailbox.id.in_(wanted)))) if wanted else []
    missing = wanted - {m.id for m in found}
    if missing:
        raise Conflict(f"no mailbox with id {', '.join(map(str, sorted(missing)))}", "mailbox")
    return found


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def any_users() -> bool:
    """Whether anyone can sign in yet (a first run creates the first admin when not)."""
    return bool(db.session.scalar(select(func.count()).select_from(User)))


def authenticate(email: str, password: str) -> User | None:
    """The user whose email and password these are, or None; records the sign-in time."""
    user = find_by_email(email)
    if not check_password_hash(user.password_hash if user else _DUMMY_HASH, password) or user is None:
        return None
    user.last_login_at = utcnow()
    db.session.commit()
    return user


def visible_mailboxes(user: User) -> list[Mailbox]:
    """The mailboxes a user reads: all of them for an admin, else the ones they belong to."""
    if user.is_admin:
        return list(db.session.scalars(select(Mailbox).order_by(Mailbox.name)))
    return list(user.mailboxes)


def visible_mailbox_ids(user: User) -> list[int] | None:
    """Ids the user may read; None means every mailbox (an admin), including unlinked rows."""
    return None if user.is_admin else [m.id for m in user.mailboxes]


def can_read(user: User, mailbox_id: int | None) -> bool:
    """Whether the user may see a row of mailbox `mailbox_id` (rows of a deleted mailbox: admins only)."""
    ids = visible_mailbox_ids(user)
    return ids is None or (mailbox_id is not None and mailbox_id in ids)


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.email)))
