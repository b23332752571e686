"""Mailbox administration, shared by the JSON API and the CLI."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import select

from .. import voices
from ..extensions import db
from ..models import ForwardTarget, Mailbox, PhoneNumber, RingMode
from ..schemas.mailboxes import MailboxIn, MailboxPatch
from . import Conflict


class Invalid(ValueError):
    """The change is not valid with the mailbox's other settings; `field` names the culprit (400)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def list_mailboxes() -> list[Mailbox]:
    """All mailboxes, by name."""
    return list(db.session.scalars(select(Mailbox).order_by(Mailbox.name)))


def get_mailbox(mailbox_id: int) -> Mailbox | None:
    """One mailbox, or None."""
    return db.session.get(Mailbox, mailbox_id)


def find_by_name(name: str) -> Mailbox | None:
    """A mailbox by its unique name, or None."""
    return db.session.scalar(select(Mailbox).where(Mailbox.name == name))


def create_mailbox(data: MailboxIn) -> Mailbox:
    """Create a mailbox with its Twilio number and forward targets."""
    mailbox = Mailbox()
    _apply(mailbox, data.model_dump())
    db.session.add(mailbox)
    db.session.commit()
    return mailbox


def update_mailbox(mailbox: Mailbox, patch: MailboxPatch) -> Mailbox:
    """Change only the fields present in `patch`."""
    _apply(mailbox, patch.model_dump(exclude_unset=True))
    db.session.commit()
    return mailbox


def delete_mailbox(mailbox: Mailbox) -> None:
    """Delete a mailbox; its calls and voicemails stay, unlinked."""
    db.session.delete(mailbox)
    db.session.commit()


def _apply(mailbox: Mailbox, fields: dict[str, Any]) -> None:
    # No autoflush: the uniqueness lookups below must not flush a half-filled mailbox.
    with db.session.no_autoflush:
        _apply_fields(mailbox, fields)


def _apply_fields(mailbox: Mailbox, fields: dict[str, Any]) -> None:
    number = fields.pop("twilio_number", None)
    forward_to = fields.pop("forward_to", None)
    ring_mode = fields.pop("ring_mode", None)
    if "name" in fields and fields["name"] != mailbox.name:
        other = find_by_name(fields["name"])
        if other is not None and other is not mailbox:
            raise Conflict(f"a mailbox named {fields['name']!r} already exists", "name")
    _check_voice(mailbox, fields)
    for key, value in fields.items():
        setattr(mailbox, key, value)
    if number is not None:
        _set_number(mailbox, number)
    if forward_to is not None or ring_mode is not None:
        numbers = forward_to if forward_to is not None else [t.number for t in mailbox.targets]
        _set_targets(mailbox, numbers, ring_mode or mailbox.ring_mode)


def _check_voice(mailbox: Mailbox, fields: dict[str, Any]) -> None:
    """A patch's voice must fit the (new or current) language; a new language alone whose
    voices do not include the current one gets the new language's default voice."""
    if "language" not in fields and "voice" not in fields:
        return
    language = voices.find(fields.get("language") or mailbox.language)
    if language is None:
        # voice_error always explains an unknown language (None is only for a pair Twilio accepts).
        raise Invalid(cast(str, voices.voice_error(fields.get("language") or mailbox.language, "")), "language")
    voice = fields.get("voice") or mailbox.voice
    if fields.get("voice") is None and voice not in language.voices:
        fields["voice"] = language.default_voice
    elif problem := voices.voice_error(language.code, voice):
        raise Invalid(problem, "voice")


def _set_number(mailbox: Mailbox, e164: str) -> None:
    owner = db.session.scalar(select(PhoneNumber).where(PhoneNumber.e164 == e164))
    if owner is not None and owner.mailbox is not mailbox:
        raise Conflict(f"{e164} already belongs to mailbox {owner.mailbox.name!r}", "twilio_number")
    if owner is None:
        mailbox.numbers = [PhoneNumber(e164=e164)]


def _set_targets(mailbox: Mailbox, numbers: list[str], ring_mode: str) -> None:
    mode = RingMode(ring_mode)
    mailbox.targets = [
        ForwardTarget(number=n, position=i, ring_mode=mode) for i, n in enumerate(dict.fromkeys(numbers))
    ]
