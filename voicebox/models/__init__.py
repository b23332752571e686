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
from .rings import FINAL_LEG_STATUSES, LegStatus, Ring, RingLeg, RingState
from .types import UTCDateTime, utcnow
from .users import User, mailbox_members

__all__ = [
    "UNCANCELABLE_STATUSES",
    "FINAL_LEG_STATUSES",
    "LegStatus",
    "Ring",
    "RingLeg",
    "RingState",
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
    "User",
    "Utterance",
    "Voicemail",
    "mailbox_members",
    "utcnow",
]
