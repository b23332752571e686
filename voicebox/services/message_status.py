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
        _advance(message.id, status, error_code)
    db.session.commit()
    if message is None or error_code != statuses.UNSUBSCRIBED:
        return CallbackResult(message.id if message else None)
    return CallbackResult(message.id, _unsubscribed(message, sid))


def adopt_early_callbacks(message: Message) -> None:
    """Attach callbacks that arrived before we committed the message's SID, and apply them.

    Twilio can call /sms/status within milliseconds of accepting a message, before the worker that
    sent it has stored the SID; such callbacks were kept unattached (see record_callback).
    """
    early = db.session.scalars(
        select(MessageEvent).where(
            MessageEvent.message_id.is_(None),
            MessageEvent.twilio_sid == message.twilio_sid,
            MessageEvent.kind == "status_callback",
        )
    ).all()
    for event in early:
        event.message_id = message.id
        _advance(message.id, event.status, event.error_code)
    db.session.commit()
    if any(event.error_code == statuses.UNSUBSCRIBED for event in early):
        _unsubscribed(message, message.twilio_sid)


def _advance(message_id: int, status: str, error_code: str | None) -> None:
    values: dict[str, Any] = {"status": status}
    if error_code:
        values |= {
            "error_code": error_code,
            "error_message": statuses.reason(error_code),
            "error_more_info": f"https://www.twilio.com/docs/api/errors/{error_code}",
        }
    db.session.execute(
        update(Message)
        .where(Message.id == message_id, Message.status.in_(statuses.statuses_below(status)))
        .values(**values)
    )


def _unsubscribed(message: Message, sid: str | None) -> str:
    # 21610: Twilio refused because the recipient replied STOP (possibly to another number of ours).
    optouts.set_opted_out(message.to_number, True, "21610", f"status callback for {sid}")
    return message.to_number
