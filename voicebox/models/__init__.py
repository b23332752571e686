"""Typed SQLAlchemy 2.x models. Import them from here."""

from .calls import Call, NotifyState, Voicemail
from .mailboxes import ForwardTarget, Mailbox, PhoneNumber, RingMode
from .types import UTCDateTime, utcnow

__all__ = [
    "Call",
    "ForwardTarget",
    "Mailbox",
    "NotifyState",
    "PhoneNumber",
    "RingMode",
    "UTCDateTime",
    "Voicemail",
    "utcnow",
]
