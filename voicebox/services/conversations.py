"""Conversations post-event webhooks: delivery receipts, and who each participant is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from ..extensions import db
from ..models.optouts import ConversationParticipant, DeliveryReceipt
from ..rows import insert_ignore
from . import optouts, statuses

# The parameters each handled event type must carry; other event types are acknowledged and ignored.
REQUIRED: dict[str, tuple[str, ...]] = {
    "onParticipantAdded": ("ParticipantSid", "ConversationSid"),
    "onDeliveryUpdated": ("DeliveryReceiptSid", "ConversationSid", "MessageSid", "Status"),
}


@dataclass(frozen=True)
class ReceiptResult:
    """After storing a receipt: the participant to opt out for a 21610 failure, if any."""

    unsubscribed_participant: str | None = None
    address: str | None = None


def handle_event(event: str, params: dict[str, Any]) -> ReceiptResult:
    """Store what a post-event webhook tells us; only participants and delivery receipts matter."""
    if event == "onParticipantAdded":
        record_participant(
            params["ParticipantSid"], params["ConversationSid"], params.get("MessagingBinding.Address") or None
        )
    elif event == "onDeliveryUpdated":
        return record_receipt(params)
    return ReceiptResult()


def record_participant(participant_sid: str, conversation_sid: str, address: str | None) -> None:
    """Remember a participant's phone address (from onParticipantAdded) for later opt-outs."""
    insert_ignore(
        ConversationParticipant,
        {"participant_sid": participant_sid, "conversation_sid": conversation_sid, "address": address},
        key="participant_sid",
    )
    db.session.commit()


def participant_address(participant_sid: str) -> str | None:
    """The phone address we know for a participant, or None."""
    return db.session.scalar(
        select(ConversationParticipant.address).where(ConversationParticipant.participant_sid == participant_sid)
    )


def record_receipt(params: dict[str, Any]) -> ReceiptResult:
    """Store an onDeliveryUpdated receipt once; its status only moves up the delivery ladder."""
    sid, status = params["DeliveryReceiptSid"], params["Status"].lower()
    error_code = params.get("ErrorCode") or None
    insert_ignore(
        DeliveryReceipt,
        {
            "receipt_sid": sid,
            "conversation_sid": params["ConversationSid"],
            "message_sid": params["MessageSid"],
            "participant_sid": params.get("ParticipantSid"),
            "status": status,
            "error_code": error_code,
            "raw": params,
        },
        key="receipt_sid",
    )
    db.session.execute(
        update(DeliveryReceipt)
        .where(DeliveryReceipt.receipt_sid == sid, DeliveryReceipt.status.in_(statuses.statuses_below(status)))
        .values(status=status, error_code=error_code, raw=params)
    )
    db.session.commit()
    if error_code != statuses.UNSUBSCRIBED or not params.get("ParticipantSid"):
        return ReceiptResult()
    participant = params["ParticipantSid"]
    address = participant_address(participant)
    if address:
        optouts.set_opted_out(address, True, "21610", f"conversation {params['ConversationSid']}")
    return ReceiptResult(participant, address)
