"""SMS status callbacks: every callback is kept; the message's status only moves forward."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from ..extensions import db
from ..models import Message, MessageEvent
from . import optouts, statuses


@dataclass(frozen=True)
class CallbackResult:
    """What a status callback changed: the message it names (if known) and a number that just
    opted out because Twilio refused with 21610."""

    message_id: int | None
    unsubscribed: str | None = None


def record_callback(params: dict[str, Any], sid: str, status: str) -> CallbackResult:
    """Store the callback as an event and advance the message's status by delivery precedence.

    Twilio sends callbacks out of order and more than once; a conditional UPDATE (status IN the ones
    this status may replace) keeps `sent` from overwriting `delivered`, even when two arrive at once.
    A callback for a MessageSid we do not know is still stored, with no message attached.
    """
    status = status.lower()
    error_code = params.get("ErrorCode") or None
    message = db.session.scalar(select(Message).where(Message.twilio_sid == sid))
    db.session.add(
        MessageEvent(
            message_id=message.id if message else None,
            twilio_sid=sid,
            kind="status_callback",
            status=status,
            error_code=error_code,
            detail=statuses.reason(error_code),
            params=params,
        )
    )
    if message is not None:
        values: dict[str, Any] = {"status": status}
        if error_code:
            values |= {
                "error_code": error_code,
                "error_message": statuses.reason(error_code),
                "error_more_info": f"https://www.twilio.com/docs/api/errors/{error_code}",
            }
        db.session.execute(
            update(Message)
            .where(Message.id == message.id, Message.status.in_(statuses.statuses_below(status)))
            .values(**values)
        )
    db.session.commit()
    if message is None or error_code != statuses.UNSUBSCRIBED:
        return CallbackResult(message.id if message else None)
    # 21610: Twilio refused because the recipient replied STOP (possibly to another service of ours).
    optouts.set_opted_out(message.to_number, True, "21610", f"status callback for {sid}")
    return CallbackResult(message.id, message.to_number)
