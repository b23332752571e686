"""Typed SQLAlchemy 2.x models. Import them from here."""

from .calls import Call, NotifyState, Utterance, Voicemail
from .mailboxes import ForwardTarget, Mailbox, PhoneNumber, RingMode
from .messages import (
    OWED_STATUSES,
    UNCANCELABLE_STATUSES,
    Enrollment,
    EnrollmentStatus,
    Message,
    MessageEvent,
    MessageStatus,
    Sequence,
    SequenceStep,
)
from .optouts import ConversationParticipant, DeliveryReceipt, InboundMessage, OptOut, OptOutEvent
from .types import UTCDateTime, utcnow

__all__ = [
    "UNCANCELABLE_STATUSES",
    "OWED_STATUSES",
    "Call",
    "ConversationParticipant",
    "DeliveryReceipt",
    "InboundMessage",
    "OptOut",
    "OptOutEvent",
    "Enrollment",
    "EnrollmentStatus",
    "ForwardTarget",
    "Mailbox",
    "Message",
    "MessageEvent",
    "MessageStatus",
    "NotifyState",
    "PhoneNumber",
    "RingMode",
    "Sequence",
    "SequenceStep",
    "UTCDateTime",
    "Utterance",
    "Voicemail",
    "utcnow",
]
