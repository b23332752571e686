"""Opt-out jobs: learn a Conversations participant's address, and the sweep for lost cancels.

(The cancel job itself, `cancel_messages_to`, lives with the other text jobs in jobs/messages.py.)
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from .. import queueing
from ..extensions import db
from ..models import OWED_STATUSES, Message
from ..models.optouts import OptOut
from ..services import optouts
from ..twilio_client import get_client
from .messages import cancel_messages_to, queue_cancel

log = logging.getLogger(__name__)


def queue_participant_lookup(conversation_sid: str, participant_sid: str) -> bool:
    """Queue the lookup of a participant's address (with retries); False when Redis is down."""
    job_id = queueing.job_id("participant", participant_sid)
    return queueing.enqueue(opt_out_participant, conversation_sid, participant_sid, job_id=job_id) is not None


def opt_out_participant(conversation_sid: str, participant_sid: str) -> None:
    """RQ job: a Conversations receipt failed with 21610 for a participant whose address we never
    saw; fetch it from Twilio and opt that address out."""
    participant = get_client().conversations.v1.conversations(conversation_sid).participants(participant_sid).fetch()
    address = (participant.messaging_binding or {}).get("address")
    if not address:
        log.warning("participant %s has no SMS address; nothing to opt out", participant_sid)
        return
    if optouts.set_opted_out(address, True, "21610", f"conversation {conversation_sid}"):
        queue_cancel(address)


def sweep_opted_out() -> int:
    """Sweeper: opted-out numbers that still have owed messages (their cancel job was lost)."""
    numbers = db.session.scalars(
        select(Message.to_number)
        .join(OptOut, OptOut.number == Message.to_number)
        .where(OptOut.opted_out.is_(True), Message.status.in_(OWED_STATUSES), Message.cancel_requested_at.is_(None))
        .distinct()
    ).all()
    return sum(cancel_messages_to(number) for number in numbers)
